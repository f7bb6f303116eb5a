package audit

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/ztci/ztci/internal/redact"
	"github.com/ztci/ztci/secrets/seal"
)

// SealedPrefix marks a value replaced by [Sealer]: "sealed:v1:" followed by
// the unpadded base64url of a [seal] record.
const SealedPrefix = "sealed:v1:"

// Sealer replaces sensitive event fields with their encryption under a
// [seal.Encrypter], so that whoever holds the key can read them again
// ([Unseal]) and nobody else can — unlike [HMAC], which is one-way but
// joinable. Each field is sealed with the additional data
// event id + "\x00" + field name (e.g. "evt-1\x00attributes.client_ip"), so a
// sealed value copied into another event or another field does not open.
//
// Sealed values are random (a fresh data key per value): equal inputs give
// different outputs, so sealed fields cannot be joined or searched. Use
// [HMAC] for a field that must be, never both on one field ([Protect]).
type Sealer struct {
	enc    seal.Encrypter
	fields fieldSet
}

// NewSealer returns a Sealer over the named fields (the Field constants, as
// for [NewHMAC]) that seals with enc — a [seal.Envelope] over local keys or
// a KMS. Errors wrap [ErrConfig].
func NewSealer(enc seal.Encrypter, fields ...string) (*Sealer, error) {
	if enc == nil {
		return nil, fmt.Errorf("%w: sealer: nil Encrypter", ErrConfig)
	}
	fs, err := parseFields("sealer", fields)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		// The additional data is id NUL field; a NUL in a field name would
		// make two (id, field) pairs share it.
		if strings.ContainsRune(f, 0) {
			return nil, fmt.Errorf("%w: sealer: field %q contains NUL", ErrConfig, f)
		}
	}
	return &Sealer{enc: enc, fields: fs}, nil
}

// Apply returns a copy of e with the configured fields sealed; e's maps are
// not modified, and empty values stay empty (absence is not hidden). It
// fails, returning the zero Event and an error wrapping [ErrSeal], when e's
// ID is empty or contains NUL (with a [*FieldError]: the sealed values are
// bound to it) or when the Encrypter fails (with an [*EncrypterError]:
// [seal.ErrSeal], the Encrypter's error matched but not printed). The
// error names the field, never its value.
func (s *Sealer) Apply(ctx context.Context, e Event) (Event, error) {
	if e.ID == "" || strings.ContainsRune(e.ID, 0) {
		// Not the id itself: the event's producer wrote it.
		return Event{}, fmt.Errorf("%w: %w", ErrSeal, &FieldError{Field: "id", Want: "non-empty, without NUL (sealed fields are bound to it)", Got: otherText(len(e.ID))})
	}
	return s.fields.rewrite(e, false, func(prefix, key, v string) (string, error) {
		rec, err := s.enc.Seal(ctx, []byte(v), sealAAD(e.ID, prefix, key))
		if err != nil {
			return "", fmt.Errorf("%w: field %q: %w", ErrSeal, prefix+key, sealError(s.enc, err))
		}
		return SealedPrefix + base64.RawURLEncoding.EncodeToString(rec), nil
	})
}

// Sink returns a Sink that writes [Sealer.Apply] of each event to next.
// When sealing fails (the KMS is down, the event has no ID) it writes
// nothing and returns the error of Apply, which wraps [ErrSeal] and so
// [ErrSink]: the event is never written with the plaintext, and the audited
// action fails as for any sink error. Put it before the [Log] (and any
// other sink that must not see the values): the Merkle tree and its
// checkpoints then hash the sealed form.
func (s *Sealer) Sink(next Sink) Sink {
	return SinkFunc(func(ctx context.Context, e Event) error {
		sealed, err := s.Apply(ctx, e)
		if err != nil {
			return err
		}
		return next.Write(ctx, sealed)
	})
}

// Unseal returns a copy of e with every sealed value opened: each actor.id,
// resource, reason, claim and attribute that begins with [SealedPrefix].
// Other fields and other values are returned as they are. It fails closed:
// if any sealed value does not open — damaged, under a key enc does not
// hold, under other key material, moved from another event or field, or
// beginning with SealedPrefix without being sealed for this event and
// field — it returns the zero Event (no value of e, opened or not) and an
// error wrapping [ErrUnseal] and the [seal.ErrOpen] class that says why.
// Decoded events come from [Decode], [Log.Lookup] or [Verifier.VerifyEvent].
//
// Unseal cannot tell which fields were sealed, so a value that an actor
// chose and no [Sealer] seals (a resource name, a workflow name in the
// claims) that merely begins with SealedPrefix makes it fail for the whole
// event: a job can keep the sealed fields of its own events from an
// operator that way. Open events with [Sealer.Unseal], which knows its
// fields, where the values of other fields are not trusted.
func Unseal(ctx context.Context, enc seal.Encrypter, e Event) (Event, error) {
	if enc == nil {
		return Event{}, fmt.Errorf("%w: unseal: nil Encrypter", ErrConfig)
	}
	return unseal(ctx, enc, e, fieldSet{}, true)
}

// Unseal returns a copy of e with the fields s seals opened, as [Unseal]
// does and failing closed as it does, and every other field as it is, a
// value that begins with [SealedPrefix] included. Every non-empty value of
// a sealed field was sealed by [Sealer.Apply] (a value that already began
// with the prefix too), so one that does not open was altered or moved
// after sealing; a value of another field is whatever the event's producer
// wrote, which an actor may have chosen to look sealed so that [Unseal]
// fails for the event and its sealed fields stay closed to the operator.
// s must name the fields the events were sealed with (a Sealer over the
// same field names and an Encrypter holding the key).
func (s *Sealer) Unseal(ctx context.Context, e Event) (Event, error) {
	return unseal(ctx, s.enc, e, s.fields, false)
}

// unseal opens the sealed values of e in the fields of fs (with all: in
// every field that can be sealed).
func unseal(ctx context.Context, enc seal.Encrypter, e Event, fs fieldSet, all bool) (Event, error) {
	return fs.rewrite(e, all, func(prefix, key, v string) (string, error) {
		if !strings.HasPrefix(v, SealedPrefix) {
			return v, nil
		}
		field := strconv.Quote(prefix + key)
		if all && key != "" {
			// A claim or attribute key [Unseal] found in the event, not one
			// a Sealer was configured with: it may carry anything.
			field = prefix + "<key of " + strconv.Itoa(len(key)) + " bytes>"
		}
		rec, err := decodeSealed(v[len(SealedPrefix):])
		if err != nil {
			return "", fmt.Errorf("%w: field %s: %w", ErrUnseal, field, err)
		}
		pt, err := enc.Open(ctx, rec, sealAAD(e.ID, prefix, key))
		if err != nil {
			return "", fmt.Errorf("%w: field %s: %w", ErrUnseal, field, openError(err))
		}
		return string(pt), nil
	})
}

// EncrypterError is a [seal.Encrypter]'s failure as [Sealer] and [Unseal]
// report it. Its text names the class, the operation and, for sealing,
// the Encrypter's current key id (when it says: [seal.Envelope] does)
// only: a KMS-backed Encrypter's error may quote a key URI with
// credentials in it, a token or the data, and opening's may quote the
// record (a key id read from it), which whoever wrote a value beginning
// with [SealedPrefix] chose; these errors reach callers, job logs and
// audit pipelines. errors.Is matches the class ([seal.ErrSeal], or the
// [seal.ErrOpen] class that says why) and, through Unwrap, the
// Encrypter's own error (context.DeadlineExceeded, a KMS client's
// types); an operator's code that wants the Encrypter's text logs
// [EncrypterError.Cause] deliberately, to a log only operators read.
type EncrypterError struct {
	Op    string // "seal" or "open"
	KeyID string // the Encrypter's current key id when sealing, if it has one
	class error
	cause error
}

func (e *EncrypterError) Error() string {
	if e.KeyID == "" {
		return fmt.Sprintf("%v (%s: the Encrypter's error is withheld)", e.class, e.Op)
	}
	return fmt.Sprintf("%v: key %q: %s failed (the Encrypter's error is withheld)", e.class, e.KeyID, e.Op)
}

// GoString is Error: %#v would print the Encrypter's error by reflection.
func (e *EncrypterError) GoString() string { return e.Error() }

// Unwrap returns the class and the Encrypter's error, for errors.Is and
// errors.As.
func (e *EncrypterError) Unwrap() []error { return []error{e.class, e.cause} }

// Cause is the Encrypter's own error, whose text may hold credentials or
// data: for an operator's log only.
func (e *EncrypterError) Cause() error { return e.cause }

// sealError is enc's failure err to seal, as an [*EncrypterError] of class
// [seal.ErrSeal] naming enc's current key id if enc tells it.
func sealError(enc seal.Encrypter, err error) error {
	e := &EncrypterError{Op: "seal", class: seal.ErrSeal, cause: err}
	if k, ok := enc.(interface{ CurrentKeyID() string }); ok {
		e.KeyID = k.CurrentKeyID()
	}
	return e
}

// openError is an Encrypter's failure err to open a record, as an
// [*EncrypterError] of the [seal.ErrOpen] class err names; an Encrypter
// outside package seal that does not classify its failure still fails as
// "cannot be opened". No key id: the record names it, not the Encrypter.
func openError(err error) error {
	class := seal.ErrOpen
	for _, c := range []error{seal.ErrMalformed, seal.ErrUnknownKey, seal.ErrTampered, seal.ErrUnwrap} {
		if errors.Is(err, c) {
			class = c
			break
		}
	}
	return &EncrypterError{Op: "open", class: class, cause: err}
}

// decodeSealed reads the base64url part of a sealed value. Only the
// canonical form is accepted: no padding, no non-zero trailing bits, no line
// breaks (which encoding/base64 would otherwise skip), so one record has one
// spelling.
func decodeSealed(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("%w: line break in sealed value", seal.ErrMalformed)
	}
	rec, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: sealed value is not unpadded base64url", seal.ErrMalformed)
	}
	return rec, nil
}

// sealAAD is the additional data binding a sealed value to its event and
// field: id NUL prefix key. Neither id nor a configured field name contains
// NUL ([NewSealer], [Sealer.Apply]), so the pair is unambiguous.
func sealAAD(id, prefix, key string) []byte {
	b := make([]byte, 0, len(id)+1+len(prefix)+len(key))
	b = append(b, id...)
	b = append(b, 0)
	b = append(b, prefix...)
	return append(b, key...)
}

// Protect returns a Sink that hashes h's fields and seals s's fields of each
// event, then writes it to next. Either h or s may be nil (not both). It is
// where the rule "a field is hashed or sealed, never both" is enforced: a
// field named by both fails with [ErrConfig]. (Chaining [HMAC.Sink] and
// [Sealer.Sink] by hand skips that check: hashing a sealed value destroys
// it, and sealing a hashed one protects nothing.) Sealing failures fail the
// write as for [Sealer.Sink].
func Protect(next Sink, h *HMAC, s *Sealer) (Sink, error) {
	switch {
	case next == nil:
		return nil, fmt.Errorf("%w: protect: nil next sink", ErrConfig)
	case h == nil && s == nil:
		return nil, fmt.Errorf("%w: protect: neither an HMAC nor a Sealer", ErrConfig)
	case s == nil:
		return h.Sink(next), nil
	case h == nil:
		return s.Sink(next), nil
	}
	if both := h.fields.overlap(s.fields); len(both) > 0 {
		return nil, fmt.Errorf("%w: protect: %s both hashed and sealed; a field is either joinable (HMAC) or reversible (Sealer)", ErrConfig, strings.Join(both, ", "))
	}
	sealed := s.Sink(next)
	return SinkFunc(func(ctx context.Context, e Event) error { return sealed.Write(ctx, h.Apply(e)) }), nil
}

// String names the sealed fields; the Encrypter (which may hold keys) is
// never printed.
func (s *Sealer) String() string {
	return "audit.Sealer{fields:[" + strings.Join(s.fields.names(), " ") + "]}"
}

// GoString is String.
func (s *Sealer) GoString() string { return s.String() }

// Format writes String for every verb, so that no verb reaches the
// Encrypter by reflection.
func (s *Sealer) Format(f fmt.State, _ rune) { redact.Format(f, s.String()) }

// LogValue is String.
func (s *Sealer) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON is String as a JSON string.
func (s *Sealer) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }
