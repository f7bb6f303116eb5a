package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"strings"

	"github.com/ztci/ztci/internal/redact"
)

// HMACPrefix marks a value replaced by its keyed hash, as Vault's audit
// devices do.
const HMACPrefix = "hmac-sha256:"

// Field names accepted by [NewHMAC]. Map fields take a key after the dot:
// "actor.claims.email", "attributes.client_ip".
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
// The key never leaves the value: String, GoString, Format, LogValue and
// MarshalJSON print "[REDACTED]".
type HMAC struct {
	key      []byte
	actorID  bool
	resource bool
	reason   bool
	claims   map[string]bool
	attrs    map[string]bool
}

// MinHMACKeySize is the minimum key length accepted by [NewHMAC].
const MinHMACKeySize = 32

// NewHMAC returns an HMAC over the named fields (see the Field constants).
// It copies key, which must be at least [MinHMACKeySize] bytes.
func NewHMAC(key []byte, fields ...string) (*HMAC, error) {
	if len(key) < MinHMACKeySize {
		return nil, fmt.Errorf("audit: hmac key: want at least %d bytes, got %d", MinHMACKeySize, len(key))
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("audit: hmac: no fields named")
	}
	h := &HMAC{key: append([]byte(nil), key...), claims: map[string]bool{}, attrs: map[string]bool{}}
	for _, f := range fields {
		switch {
		case f == FieldActorID:
			h.actorID = true
		case f == FieldResource:
			h.resource = true
		case f == FieldReason:
			h.reason = true
		case strings.HasPrefix(f, FieldActorClaims) && len(f) > len(FieldActorClaims):
			h.claims[f[len(FieldActorClaims):]] = true
		case strings.HasPrefix(f, FieldAttributes) && len(f) > len(FieldAttributes):
			h.attrs[f[len(FieldAttributes):]] = true
		default:
			return nil, fmt.Errorf("audit: hmac: unknown field %q (want actor.id, resource, reason, actor.claims.<key> or attributes.<key>)", f)
		}
	}
	return h, nil
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
	if h.actorID {
		e.Actor.ID = h.Sum(e.Actor.ID)
	}
	if h.resource {
		e.Resource = h.Sum(e.Resource)
	}
	if h.reason {
		e.Reason = h.Sum(e.Reason)
	}
	e.Actor.Claims = h.hashMap(e.Actor.Claims, h.claims)
	e.Attributes = h.hashMap(e.Attributes, h.attrs)
	return e
}

func (h *HMAC) hashMap(m map[string]string, keys map[string]bool) map[string]string {
	if len(keys) == 0 || len(m) == 0 {
		return m
	}
	out := maps.Clone(m)
	for k := range keys {
		if v, ok := out[k]; ok {
			out[k] = h.Sum(v)
		}
	}
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
