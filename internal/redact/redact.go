package redact

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Marker is what a secret prints as, everywhere.
const Marker = "[REDACTED]"

// Format writes placeholder, whatever the verb, flags, width or precision:
// the Format method of a self-redacting type. %x or %q of the raw value
// would otherwise encode the secret rather than hide it.
func Format(f fmt.State, placeholder string) { _, _ = io.WriteString(f, placeholder) }

// LogValue is the slog value of a secret: [Marker].
func LogValue() slog.Value { return slog.StringValue(Marker) }

// MarshalJSON returns [Marker] as a JSON string. Each call returns a new
// slice, which encoding/json may keep.
func MarshalJSON() ([]byte, error) { return []byte(`"` + Marker + `"`), nil }

// MarshalText returns [Marker]. Each call returns a new slice.
func MarshalText() ([]byte, error) { return []byte(Marker), nil }

// minTokenPart is the shortest dot-separated part of a token WithoutToken
// scrubs on its own; shorter ones (a JWS with an empty payload) would
// blank common text, and say little.
const minTokenPart = 8

// WithoutToken is err's text with raw, and each dot-separated part of raw
// at least minTokenPart long (a JWT's header, claims, signature), replaced
// by [Marker]: the text of an error a vendor's token verifier returned,
// which may quote the token it refused, for the log.
func WithoutToken(err error, raw string) string {
	msg := err.Error()
	if raw == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, raw, Marker)
	for part := range strings.SplitSeq(raw, ".") {
		if len(part) >= minTokenPart {
			msg = strings.ReplaceAll(msg, part, Marker)
		}
	}
	return msg
}
