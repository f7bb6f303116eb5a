package redact_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/redact"
	"github.com/ztci/ztci/internal/redact/redacttest"
)

// secret is a minimal self-redacting type built only from this package.
type secret struct{ raw string }

func (s secret) String() string               { return redact.Marker }
func (s secret) GoString() string             { return redact.Marker }
func (s secret) Format(f fmt.State, _ rune)   { redact.Format(f, redact.Marker) }
func (s secret) LogValue() slog.Value         { return redact.LogValue() }
func (s secret) MarshalJSON() ([]byte, error) { return redact.MarshalJSON() }
func (s secret) MarshalText() ([]byte, error) { return redact.MarshalText() }

func TestHelpersRedact(t *testing.T) {
	t.Parallel()
	redacttest.Check(t, secret{"canary-5f1d2e"}, "canary-5f1d2e", redact.Marker)
	b, _ := json.Marshal(secret{"canary"})
	if string(b) != `"[REDACTED]"` {
		t.Fatalf("json = %s", b)
	}
	if got := fmt.Sprintf("%10q|%x", secret{"a"}, secret{"b"}); got != "[REDACTED]|[REDACTED]" {
		t.Fatalf("Format ignores verbs and flags: got %q", got)
	}
}

// leaky prints itself through String only, the mistake redacttest exists to
// catch: %x, encoding/json and slog reach its field.
type leaky struct{ Raw string }

func (l leaky) String() string { return redact.Marker }

// recorder records failures instead of failing the test that runs it.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatal(...any)          { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

func TestCheckCatchesLeaks(t *testing.T) {
	t.Parallel()
	r := &recorder{TB: t}
	redacttest.Check(r, leaky{"canary-9a8b"}, "canary-9a8b", redact.Marker)
	if !r.failed {
		t.Fatal("redacttest.Check passed a type that leaks through hex, JSON and slog")
	}
}

// TestWithoutToken: a verifier's error that quotes the token, or any of its
// parts of 8 bytes or more, is logged with each replaced; short parts stay.
func TestWithoutToken(t *testing.T) {
	t.Parallel()
	const raw = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJl"
	err := fmt.Errorf("token %q refused: payload %s, signature %s, alg part ab.cd", raw, "eyJzdWIiOiJjYW5hcnkifQ", "c2lnbmF0dXJl")
	got := redact.WithoutToken(err, raw)
	for _, part := range []string{raw, "eyJhbGciOiJFUzI1NiJ9", "eyJzdWIiOiJjYW5hcnkifQ", "c2lnbmF0dXJl"} {
		if strings.Contains(got, part) {
			t.Fatalf("%q left in %q", part, got)
		}
	}
	if !strings.Contains(got, "ab.cd") || redact.WithoutToken(err, "") != err.Error() {
		t.Fatalf("scrubbed more than the token: %q", got)
	}
}
