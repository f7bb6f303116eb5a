package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"

	"github.com/ztci/ztci/internal/redact"
)

// HMACPrefix marks a value replaced by its keyed hash, as Vault's audit
// devices do.
const HMACPrefix = "hmac-sha256:"

// Field names accepted by [NewHMAC] and [NewSealer]. Map fields take a key
// after the dot: "actor.claims.email", "attributes.client_ip".
const (
	FieldActorID     = "actor.id"
	FieldResource    = "resource"
	FieldReason      = "reason"
	FieldActorClaims = "actor.claims."
	FieldAttributes  = "attributes."
)

// HMAC replaces sensitive event fields with HMAC-SHA256 of their value under
// a secret key, so that events stay joinable (equal inputs give equal
// outputs) without revealing the values. Whoever holds the key can compute
// [HMAC.Sum] of a candidate value to search for it.
//
// Every named field is hashed whatever it holds, a value already sealed by
// [Sealer] included: skipping values that look sealed would let a value
// that merely begins with [SealedPrefix] through in clear. Hashing a sealed
// value keeps it hidden but makes it neither joinable nor recoverable, so
// seal a field or hash it, not both (for example a Sealer before the log
// and an HMAC on the same field in audit/otelsink).
//
// The key never leaves the value: String, GoString, Format, LogValue and
// MarshalJSON print "[REDACTED]".
type HMAC struct {
	key    []byte
	fields fieldSet
}

// MinHMACKeySize is the minimum key length accepted by [NewHMAC].
const MinHMACKeySize = 32

// NewHMAC returns an HMAC over the named fields (see the Field constants).
// It copies key, which must be at least [MinHMACKeySize] bytes. Errors wrap
// [ErrConfig].
func NewHMAC(key []byte, fields ...string) (*HMAC, error) {
	if len(key) < MinHMACKeySize {
		return nil, fmt.Errorf("%w: hmac key: want at least %d bytes, got %d", ErrConfig, MinHMACKeySize, len(key))
	}
	fs, err := parseFields("hmac", fields)
	if err != nil {
		return nil, err
	}
	return &HMAC{key: append([]byte(nil), key...), fields: fs}, nil
}

// Sum returns HMACPrefix followed by the hex HMAC-SHA256 of value. The empty
// string stays empty (absence is not hidden).
func (h *HMAC) Sum(value string) string {
	if value == "" {
		return ""
	}
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(value))
	return HMACPrefix + hex.EncodeToString(m.Sum(nil))
}

// Apply returns a copy of e with the configured fields hashed. e's maps are
// not modified.
func (h *HMAC) Apply(e Event) Event {
	// Hashing cannot fail, so rewrite returns no error here.
	out, _ := h.fields.rewrite(e, false, func(_, _, v string) (string, error) { return h.Sum(v), nil })
	return out
}

// Sink returns a Sink that writes [HMAC.Apply] of each event to next.
func (h *HMAC) Sink(next Sink) Sink {
	return SinkFunc(func(ctx context.Context, e Event) error { return next.Write(ctx, h.Apply(e)) })
}

// String redacts the key.
func (h *HMAC) String() string { return "audit.HMAC{key:" + redact.Marker + "}" }

// GoString redacts the key.
func (h *HMAC) GoString() string { return h.String() }

// Format writes String for every verb, so that no verb (%x, %q) can reach
// the key.
func (h *HMAC) Format(f fmt.State, _ rune) { redact.Format(f, h.String()) }

// LogValue redacts the key.
func (h *HMAC) LogValue() slog.Value { return redact.LogValue() }

// MarshalJSON redacts the key.
func (h *HMAC) MarshalJSON() ([]byte, error) { return redact.MarshalJSON() }
