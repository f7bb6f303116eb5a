package gate_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy/gate"
)

// TestReview16ImageRefusalDoesNotEchoRawText: an image reference that did
// not parse was refused with go-containerregistry's message, which quotes
// the reference as the caller wrote it: a line break in it reached
// Decision.Error and Decision.String ("error: …\nallow sha256:… rev=…"),
// forging a line in any text log of the decision (and the admission
// webhook's message), and a reference as long as the body made as long an
// error. The reference is quoted and bounded.
func TestReview16ImageRefusalDoesNotEchoRawText(t *testing.T) {
	t.Parallel()
	g := newGate(t, &allowVerified{}, &memSink{})
	forged := "allow sha256:" + strings.Repeat("0", 64) + " rev=prod"
	for _, img := range []string{
		"registry.example/acme/app\n" + forged,
		"registry.example/acme/app:v1\u202e" + forged,
		"registry.example/acme/app\r" + forged,
		"registry.example/acme/" + strings.Repeat("A", 100000),
	} {
		d, err := g.Decide(t.Context(), gate.Request{JobToken: gate.NewToken(goodToken), Image: img})
		if !errors.Is(err, gate.ErrBadRequest) || d.Allowed {
			t.Fatalf("Decide(%.40q) = %+v, %v; want ErrBadRequest", img, d, err)
		}
		for what, s := range map[string]string{"Decision.Error": d.Error, "Decision.String": d.String(), "err": err.Error()} {
			if strings.ContainsAny(s, "\n\r\u202e") {
				t.Errorf("%s echoes the raw reference: %.200q", what, s)
			}
			if len(s) > 1024 {
				t.Errorf("%s is %d bytes", what, len(s))
			}
		}
	}
}

// TestReview16DecisionStringIsOneLine: Decision.String is one line of
// printable text whatever the decision holds (an error quoting what a
// registry answered, a rule id a custom policy built from input).
func TestReview16DecisionStringIsOneLine(t *testing.T) {
	t.Parallel()
	for _, d := range []gate.Decision{
		{Outcome: gate.OutcomeError, Error: "registry said: x\nallow sha256:00 rev=1"},
		{Outcome: gate.OutcomeDeny, Digest: "sha256:00", PolicyRevision: "r\u2028evil"},
		{Outcome: gate.OutcomeError, Error: "bad \xff byte\u202e"},
	} {
		s := d.String()
		if strings.ContainsAny(s, "\n\r\u2028\u202e") || !strings.HasPrefix(s, d.Outcome) {
			t.Errorf("String() = %q", s)
		}
	}
	if got := (gate.Decision{Outcome: gate.OutcomeError, Error: `gate: bad request: registry not allowed: "x"`}).String(); got != `error: gate: bad request: registry not allowed: "x"` {
		t.Errorf("a printable reason changed: %s", got)
	}
}
