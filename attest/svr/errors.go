package svr

import (
	"fmt"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/clip"
)

// Errors of reading and writing a result. Every error this package
// returns for a result that does not read wraps ErrInvalid, so also
// attest.ErrInvalidPredicate; the finer sentinels are wrapped under it and
// a [*FieldError] names the field. [Expect.Check] also returns
// ErrExpectation and, for a valid result the consumer does not expect, a
// [*MismatchError] wrapping ErrUnexpected (see expect.go).
var (
	// ErrInvalid: a result is not a valid SVR v0.1 predicate.
	ErrInvalid = fmt.Errorf("%w: simple verification result", attest.ErrInvalidPredicate)
	// ErrPredicateType: a Statement's predicateType is not PredicateType.
	ErrPredicateType = fmt.Errorf("%w: predicate type is not %s", ErrInvalid, PredicateType)
	// ErrTooLarge: the input exceeds MaxSize, or one of its objects holds
	// more members, or its arrays more elements, than its size allows.
	ErrTooLarge = fmt.Errorf("%w: too large", ErrInvalid)
	// ErrMalformed: not one JSON object, a repeated member or one spelt
	// like a known one in another case, a null, or a value of the wrong
	// JSON type.
	ErrMalformed = fmt.Errorf("%w: malformed JSON", ErrInvalid)
	// ErrMissingField: verifier.id, timeCreated or properties is absent.
	ErrMissingField = fmt.Errorf("%w: required field missing", ErrInvalid)
	// ErrUnknownField: a member that is neither the specification's nor an
	// extension named by a URI.
	ErrUnknownField = fmt.Errorf("%w: unknown field", ErrInvalid)
	// ErrBadValue: a value the specification (or ztci's stricter reading
	// of it) does not allow.
	ErrBadValue = fmt.Errorf("%w: value not allowed", ErrInvalid)
)

// FieldError says which field of a result is wrong. Err wraps one of the
// sentinels above; errors.Is sees through it.
type FieldError struct {
	// Field is the JSON path below the predicate, e.g. "properties[2]".
	Field string
	Err   error
}

func (e *FieldError) Error() string { return fmt.Sprintf("svr: %s: %v", e.Field, e.Err) }

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field string, sentinel error, format string, args ...any) error {
	if format == "" {
		return &FieldError{Field: field, Err: sentinel}
	}
	return &FieldError{Field: field, Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
}

// quote bounds untrusted text quoted in errors.
func quote(s string) string { return clip.String(s, 64) }
