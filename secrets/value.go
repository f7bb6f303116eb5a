package secrets

import (
	"fmt"
	"github.com/ztci/ztci/internal/redact"
	"log/slog"
	"sync"
)

// Redacted is what every self-redacting type prints instead of its value.
const Redacted = redact.Marker

// Value is a secret value that redacts itself wherever it is printed,
// logged or marshalled: String, GoString, Format (every verb), LogValue,
// MarshalJSON and MarshalText all yield [Redacted]. Reading it is explicit:
// [Value.Reveal].
//
// A Value is safe for concurrent use. Copies share the underlying bytes, so
// [Value.Wipe] on one copy empties all of them (best effort: strings obtained
// from Reveal before the wipe are not reachable).
type Value struct {
	b *valueBytes
}

type valueBytes struct {
	mu sync.RWMutex
	b  []byte
}

// NewValue wraps s as a secret Value.
func NewValue(s string) Value {
	return Value{b: &valueBytes{b: []byte(s)}}
}

// Reveal returns the secret. It is the only way to read it.
func (v Value) Reveal() string {
	if v.b == nil {
		return ""
	}
	v.b.mu.RLock()
	defer v.b.mu.RUnlock()
	return string(v.b.b)
}

// Len returns the length of the secret in bytes.
func (v Value) Len() int {
	if v.b == nil {
		return 0
	}
	v.b.mu.RLock()
	defer v.b.mu.RUnlock()
	return len(v.b.b)
}

// IsZero reports whether v holds no secret.
func (v Value) IsZero() bool { return v.Len() == 0 }

// Wipe overwrites the secret's bytes with zeros and empties the Value.
func (v Value) Wipe() {
	if v.b == nil {
		return
	}
	v.b.mu.Lock()
	defer v.b.mu.Unlock()
	clear(v.b.b)
	v.b.b = nil
}

// String returns [Redacted].
func (Value) String() string { return Redacted }

// GoString returns [Redacted].
func (Value) GoString() string { return Redacted }

// Format writes [Redacted] for every verb and flag.
func (Value) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// LogValue returns [Redacted].
func (Value) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON returns "[REDACTED]" as a JSON string.
func (Value) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText returns [Redacted].
func (Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
