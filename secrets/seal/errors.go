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

// isOpenErr reports whether a wrapper's error already classifies the
// failure (tampered, malformed), so Open keeps that class.
func isOpenErr(err error) bool { return errors.Is(err, ErrOpen) }
