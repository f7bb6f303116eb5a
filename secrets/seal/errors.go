package seal

import (
	"errors"
	"fmt"
)

// Sentinel errors, matched with errors.Is. Every failure of
// [Envelope.Open] wraps [ErrOpen]; callers treat any of them as "this record
// cannot be trusted" and refuse it.
var (
	// ErrOpen: a sealed record could not be opened. Nothing of its content
	// may be used.
	ErrOpen = errors.New("seal: record cannot be opened")
	// ErrMalformed: the record is not in the sealed format (wrong magic or
	// version, truncated, lengths out of range).
	ErrMalformed = fmt.Errorf("%w: malformed", ErrOpen)
	// ErrUnknownKey: the record names a key id that this Envelope does not
	// hold — a retired key, or a record from another deployment.
	ErrUnknownKey = fmt.Errorf("%w: unknown key id", ErrOpen)
	// ErrTampered: authentication failed — the ciphertext, header or
	// wrapped key was changed, the key under that id is not the one that
	// sealed it, or the record was moved to another context (AAD).
	ErrTampered = fmt.Errorf("%w: authentication failed", ErrOpen)
	// ErrUnwrap: the [KeyWrapper] could not unwrap the data key for a
	// reason of its own (a KMS error); the record is refused.
	ErrUnwrap = fmt.Errorf("%w: data key could not be unwrapped", ErrOpen)

	// ErrSeal: a record could not be sealed (randomness or the
	// [KeyWrapper] failed). Nothing was written.
	ErrSeal = errors.New("seal: record cannot be sealed")
	// ErrConfig: a constructor was given an unusable argument.
	ErrConfig = errors.New("seal: bad configuration")
)

// WrapperError is a [KeyWrapper]'s failure as [Envelope] reports it. Its
// text names the class (a sentinel of this package), the operation and the
// configured key id only: a KMS client's error may quote a key URI with
// credentials in it, a token, the request's ciphertext or the data key,
// and an Envelope's errors reach callers, job logs and error pages.
// errors.Is matches the class and, through Unwrap, the wrapper's own error
// (context.DeadlineExceeded, a KMS client's types); an operator's code
// that wants the wrapper's text logs [WrapperError.Cause] deliberately,
// to a log only operators read.
type WrapperError struct {
	KeyID string // the id of the configured KeyWrapper that failed
	Op    string // "wrap" or "unwrap"
	class error
	cause error
}

func (e *WrapperError) Error() string {
	return fmt.Sprintf("%v: key %q: %s failed (the KeyWrapper's error is withheld)", e.class, e.KeyID, e.Op)
}

// GoString is Error: %#v would print the wrapper's error by reflection.
func (e *WrapperError) GoString() string { return e.Error() }

// Unwrap returns the class and the wrapper's error, for errors.Is and
// errors.As.
func (e *WrapperError) Unwrap() []error { return []error{e.class, e.cause} }

// Cause is the wrapper's own error, whose text may hold credentials or key
// material: for an operator's log only.
func (e *WrapperError) Cause() error { return e.cause }

// unwrapClass is the class of an Unwrap failure err: the [ErrOpen] class
// the wrapper named (an authentication failure is [ErrTampered]), else
// [ErrUnwrap].
func unwrapClass(err error) error {
	for _, c := range []error{ErrMalformed, ErrUnknownKey, ErrTampered, ErrUnwrap, ErrOpen} {
		if errors.Is(err, c) {
			return c
		}
	}
	return ErrUnwrap
}
