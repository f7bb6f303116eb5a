package oidc

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/ztci/ztci/internal/redact"
)

// Token is a minted job token. It redacts itself wherever it could be
// printed, logged or serialized; only [Token.Reveal] returns the JWT.
type Token struct {
	raw       string
	id        string
	expiresAt time.Time
}

// Reveal returns the compact JWT. Call it only to hand the token to the job
// (for example in an environment variable the job's masker already knows).
func (t Token) Reveal() string { return t.raw }

// ID returns the token's jti, which is not secret and is safe to log.
func (t Token) ID() string { return t.id }

// Expiry returns when the token expires.
func (t Token) Expiry() time.Time { return t.expiresAt }

// String returns a redacted placeholder.
func (t Token) String() string { return "oidc.Token(" + redact.Marker + ")" }

// GoString returns a redacted placeholder, so %#v does not leak the token.
func (t Token) GoString() string { return t.String() }

// Format prints the redacted placeholder for every verb.
func (t Token) Format(f fmt.State, _ rune) { redact.Format(f, t.String()) }

// LogValue redacts the token in slog output, keeping its jti.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token", redact.Marker), slog.String("jti", t.id))
}

// MarshalJSON writes "[REDACTED]".
func (t Token) MarshalJSON() ([]byte, error) { return redact.MarshalJSON() }

// MarshalText writes [REDACTED].
func (t Token) MarshalText() ([]byte, error) { return redact.MarshalText() }
