package policy

import "context"

// Evaluator decides whether the action described by an [Input] may proceed.
//
// Contract:
//   - A deny is a [Decision] with Allowed false and, normally, Violations
//     saying why. It is not an error.
//   - A non-nil error means "could not decide" (no policy, undefined result,
//     wrong result shape, invalid input, deadline exceeded, audit failure).
//     Callers must treat it as a deny: fail closed.
//   - Evaluate must honour ctx cancellation and deadlines, and be safe for
//     concurrent use. It must not retain in after it returns.
type Evaluator interface {
	Evaluate(ctx context.Context, in Input) (Decision, error)
}

// EvaluatorFunc adapts a function to an [Evaluator], e.g. a fixed decision
// in a caller's test.
type EvaluatorFunc func(ctx context.Context, in Input) (Decision, error)

// Evaluate calls f(ctx, in).
func (f EvaluatorFunc) Evaluate(ctx context.Context, in Input) (Decision, error) { return f(ctx, in) }
