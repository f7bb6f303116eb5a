package policy

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error Evaluate returns wraps [ErrNoDecision]: the
// caller could not get a verdict and must deny. Every error from loading or
// reloading a policy wraps [ErrLoad].
var (
	// ErrNoDecision: the evaluator could not decide. Fail closed.
	ErrNoDecision = errors.New("policy: no decision")
	// ErrUndefined: the decision query produced no result (the rule is
	// missing or undefined for this input).
	ErrUndefined = fmt.Errorf("%w: decision undefined", ErrNoDecision)
	// ErrResultShape: the decision rule returned a value of the wrong shape;
	// the error is a [*ShapeError].
	ErrResultShape = fmt.Errorf("%w: decision has the wrong shape", ErrNoDecision)
	// ErrInvalidInput: the input is not a valid [Input] document.
	ErrInvalidInput = fmt.Errorf("%w: invalid input", ErrNoDecision)
	// ErrDuplicateKey: an input object holds the same member name twice;
	// the error is a [*KeyError].
	ErrDuplicateKey = fmt.Errorf("%w: duplicate key", ErrInvalidInput)
	// ErrKeyCase: an input object holds a schema member name in another
	// case, or two names that differ only in case; the error is a
	// [*KeyError].
	ErrKeyCase = fmt.Errorf("%w: key differs only in case", ErrInvalidInput)
	// ErrEvaluation: OPA failed while evaluating (a builtin error, a
	// conflict, a cancelled context or an exceeded deadline; errors.Is
	// also matches context.DeadlineExceeded / context.Canceled then).
	ErrEvaluation = fmt.Errorf("%w: evaluation failed", ErrNoDecision)
	// ErrAudit: the decision could not be recorded to the audit sink.
	ErrAudit = fmt.Errorf("%w: audit", ErrNoDecision)
	// ErrClosed: the evaluator was closed.
	ErrClosed = fmt.Errorf("%w: evaluator closed", ErrNoDecision)

	// ErrLoad: a policy could not be loaded; the previous one, if any,
	// stays in force.
	ErrLoad = errors.New("policy: load")
	// ErrCompile: the policy's modules do not compile; the error is a
	// [*CompileError].
	ErrCompile = fmt.Errorf("%w: compile", ErrLoad)
	// ErrExpired: the Source says the policy in force is older than its
	// publisher or the vendor allows (policy/ocibundle's WithMaxAge). An
	// Engine whose reload fails with it stops deciding with that policy,
	// rather than keep a policy that someone holding back updates may have
	// frozen: Evaluate fails with [ErrNoDecision] until a reload succeeds.
	ErrExpired = fmt.Errorf("%w: policy expired", ErrLoad)
	// ErrInvalidOption: a constructor option is invalid or conflicts with
	// another.
	ErrInvalidOption = errors.New("policy: invalid option")
)

// ShapeError reports a decision result, or part of it, that does not have
// the shape the evaluator expects.
type ShapeError struct {
	// Path locates the offending part, e.g. "violations[2].rule".
	Path string
	// Want describes the expected shape; Got the actual Rego type.
	Want, Got string
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("%s: %s: want %s, got %s", ErrResultShape, e.Path, e.Want, e.Got)
}

// Unwrap returns ErrResultShape.
func (e *ShapeError) Unwrap() error { return ErrResultShape }

// CompileError lists what is wrong with a policy that does not compile.
type CompileError struct {
	// Problems are OPA's messages, with file and line.
	Problems []string
	err      error
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("%s: %s", ErrCompile, strings.Join(e.Problems, "; "))
}

// Unwrap returns ErrCompile and the underlying OPA error.
func (e *CompileError) Unwrap() []error { return []error{ErrCompile, e.err} }
