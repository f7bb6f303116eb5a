package redact

import (
	"fmt"
	"io"
	"log/slog"
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
