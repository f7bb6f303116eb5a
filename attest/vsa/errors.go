package vsa

import (
	"fmt"
	"strconv"

	"github.com/ztci/ztci/attest"
)

// Errors. Every error this package returns wraps ErrInvalid, so also
// attest.ErrInvalidPredicate; the finer sentinels below are wrapped under
// it, and a [*FieldError] names the field.
var (
	// ErrInvalid: a summary is not a valid SLSA VSA v1 predicate.
	ErrInvalid = fmt.Errorf("%w: verification summary", attest.ErrInvalidPredicate)
	// ErrPredicateType: a Statement's predicateType is not PredicateType.
	ErrPredicateType = fmt.Errorf("%w: predicate type is not %s", ErrInvalid, PredicateType)
	// ErrTooLarge: the input exceeds MaxSize, or one of its objects holds
	// more members than its size allows.
	ErrTooLarge = fmt.Errorf("%w: too large", ErrInvalid)
	// ErrMalformed: the input is not one JSON object, has a repeated member
	// or a member spelt like a known one in another case, or a value of
	// the wrong JSON type.
	ErrMalformed = fmt.Errorf("%w: malformed JSON", ErrInvalid)
	// ErrMissingField: a field the specification requires is absent or
	// empty.
	ErrMissingField = fmt.Errorf("%w: required field missing", ErrInvalid)
	// ErrUnknownField: a member that is neither a field of the
	// specification nor an extension named by a URI.
	ErrUnknownField = fmt.Errorf("%w: unknown field", ErrInvalid)
	// ErrBadValue: a field holds a value the specification does not allow
	// (a result other than PASSED or FAILED, two levels of one track, a
	// negative count, a time outside RFC 3339, ...).
	ErrBadValue = fmt.Errorf("%w: value not allowed", ErrInvalid)
)

// FieldError says which field of a summary is wrong. Err wraps one of the
// sentinels above; errors.Is sees through it.
type FieldError struct {
	// Field is the JSON path of the field below the predicate, e.g.
	// "verifiedLevels[1]" or "policy.uri".
	Field string
	Err   error
}

// Error names the field as it is when it is printable ASCII, otherwise
// quoted: a path can hold a member name or a dependencyLevels key of the
// input, whose control characters must not reach a log or a terminal.
func (e *FieldError) Error() string {
	f := e.Field
	for i := range len(f) {
		if f[i] < 0x20 || f[i] > 0x7e {
			f = strconv.Quote(f)
			break
		}
	}
	return fmt.Sprintf("vsa: %s: %v", f, e.Err)
}

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field string, sentinel error, format string, args ...any) error {
	if format == "" {
		return &FieldError{Field: field, Err: sentinel}
	}
	return &FieldError{Field: field, Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
}
