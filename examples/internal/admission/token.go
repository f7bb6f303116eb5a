package admission

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Redacted is what a Token prints instead of its value.
const Redacted = "[REDACTED]"

// Token is a bearer token in a Request. It decodes from JSON, but prints,
// logs and encodes as Redacted; Reveal returns the value.
type Token struct{ raw string }

// NewToken wraps a raw token.
func NewToken(raw string) Token { return Token{raw: raw} }

// Reveal returns the raw token.
func (t Token) Reveal() string { return t.raw }

// IsZero reports whether the token is empty.
func (t Token) IsZero() bool { return t.raw == "" }

// String returns Redacted.
func (t Token) String() string { return Redacted }

// GoString returns Redacted.
func (t Token) GoString() string { return Redacted }

// Format writes Redacted for every verb.
func (t Token) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// LogValue returns Redacted.
func (t Token) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON writes Redacted. Use EncodeRequest to send a token.
func (t Token) MarshalJSON() ([]byte, error) { return json.Marshal(Redacted) }

// UnmarshalJSON reads the raw token.
func (t *Token) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &t.raw) }

// Bundle is one Sigstore bundle carried inline as a JSON object.
type Bundle = json.RawMessage

// EncodeRequest returns the JSON body of r with its token included, for
// clients. json.Marshal(r) redacts the token.
func EncodeRequest(r Request) ([]byte, error) {
	type wire struct {
		JobToken string   `json:"job_token"`
		Image    string   `json:"image,omitempty"`
		Bundles  []Bundle `json:"bundles,omitempty"`
		Name     string   `json:"name,omitempty"`
		Digest   string   `json:"digest,omitempty"`
	}
	return json.Marshal(wire{JobToken: r.JobToken.Reveal(), Image: r.Image, Bundles: r.Bundles, Name: r.Name, Digest: r.Digest})
}
