package gate

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/ztci/ztci/internal/redact"
)

// Token is the deploying job's bearer token in a [Request]. It decodes from
// JSON but prints, logs and encodes as "[REDACTED]"; only [Token.Reveal]
// returns the value, so a Request can be logged or audited whole.
type Token struct{ raw string }

// NewToken wraps a raw token.
func NewToken(raw string) Token { return Token{raw: raw} }

// Reveal returns the raw token.
func (t Token) Reveal() string { return t.raw }

// IsZero reports whether the token is empty.
func (t Token) IsZero() bool { return t.raw == "" }

// String returns "[REDACTED]".
func (t Token) String() string { return redact.Marker }

// GoString returns "[REDACTED]".
func (t Token) GoString() string { return redact.Marker }

// Format writes "[REDACTED]" for every verb.
func (t Token) Format(f fmt.State, _ rune) { redact.Format(f, redact.Marker) }

// LogValue returns "[REDACTED]".
func (t Token) LogValue() slog.Value { return redact.LogValue() }

// MarshalJSON writes "[REDACTED]". Use [EncodeRequest] to send a token.
func (t Token) MarshalJSON() ([]byte, error) { return redact.MarshalJSON() }

// UnmarshalJSON reads the raw token.
func (t *Token) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &t.raw) }

// EncodeRequest returns the JSON body of r with its token included, for
// clients of [Gate.Handler]. json.Marshal(r) redacts the token.
func EncodeRequest(r Request) ([]byte, error) {
	// Every member of Request: one left out here would be silently dropped
	// on the way to the gate (third_party_vsas was).
	type wire struct {
		JobToken       string            `json:"job_token"`
		Image          string            `json:"image,omitempty"`
		Bundles        []json.RawMessage `json:"bundles,omitempty"`
		Name           string            `json:"name,omitempty"`
		Digest         string            `json:"digest,omitempty"`
		ThirdPartyVSAs []json.RawMessage `json:"third_party_vsas,omitempty"`
		DryRun         bool              `json:"dry_run,omitempty"`
	}
	return json.Marshal(wire{JobToken: r.JobToken.Reveal(), Image: r.Image, Bundles: r.Bundles, Name: r.Name, Digest: r.Digest,
		ThirdPartyVSAs: r.ThirdPartyVSAs, DryRun: r.DryRun})
}
