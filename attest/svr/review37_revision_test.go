package svr_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/svr"
)

// TestReview37PolicyRevisionString: the policy revision annotation was
// read only when it was a string and was otherwise dropped without a
// word, so a result naming its revision as 42, {} or "" read as one that
// names none, and a string revision could hold a line break, a C1 control
// or a bidi override straight into the consumer's logs. A revision is now
// what the policy package allows of one (1 to 512 bytes, printable), or
// the result is refused, read or written.
func TestReview37PolicyRevisionString(t *testing.T) {
	t.Parallel()
	const doc = `{"verifier":{"id":"https://v.example","policy":{"uri":"urn:ztci:policy","annotations":{"ztci.dev/policy-revision":REV}}},"timeCreated":"2026-03-01T12:00:00Z","properties":["A"]}`
	for _, tc := range []struct{ name, rev string }{
		{"number", `42`}, {"object", `{"r":"1"}`}, {"array", `["r1"]`}, {"bool", `true`}, {"empty", `""`},
		{"line break", `"r1\nlevel=INFO"`}, {"C1 NEL", `"r1\u0085"`}, {"bidi override", `"r1\u202e"`},
		{"zero width", `"r\u200b1"`}, {"em space", `"r\u20031"`}, {"too long", `"` + strings.Repeat("r", 513) + `"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var fe *svr.FieldError
			_, err := svr.ParsePredicate([]byte(strings.Replace(doc, "REV", tc.rev, 1)))
			if !errors.Is(err, svr.ErrBadValue) || !errors.As(err, &fe) || !strings.HasPrefix(fe.Field, "verifier.policy") {
				t.Errorf("ParsePredicate: %v, want ErrBadValue at verifier.policy", err)
			}
		})
	}
	for _, rev := range []any{42.0, "", "r1\n", map[string]any{"r": "1"}} {
		r := svr.Result{Verifier: svr.Verifier{ID: "https://v.example", Policy: &attest.ResourceDescriptor{URI: "urn:ztci:policy",
			Annotations: map[string]any{svr.AnnotationPolicyRevision: rev}}}, TimeCreated: time.Unix(1_700_000_000, 0), Properties: []string{}}
		if _, err := svr.Predicate(r).PredicateJSON(); !errors.Is(err, svr.ErrBadValue) {
			t.Errorf("Predicate with revision %#v: %v, want ErrBadValue", rev, err)
		}
	}
	if _, err := svr.FromDecision("https://v.example", svr.Decision{PolicyRevision: "r1\n", Time: time.Unix(1_700_000_000, 0)}); !errors.Is(err, svr.ErrBadValue) {
		t.Errorf("FromDecision with a line break in the revision: %v, want ErrBadValue", err)
	}
	for _, rev := range []string{"r1", "deploy 2026-03 (hotfix)", "sha256:" + strings.Repeat("ab", 32), "révision-é", strings.Repeat("r", 512)} {
		r, err := svr.ParsePredicate([]byte(strings.Replace(doc, "REV", `"`+rev+`"`, 1)))
		if err != nil || r.PolicyRevision() != rev {
			t.Errorf("revision %q: %v, %v", rev, r, err)
		}
	}
	// Other annotations keep any JSON value.
	other := strings.Replace(doc, `"ztci.dev/policy-revision":REV`, `"https://x.example/n":42`, 1)
	if r, err := svr.ParsePredicate([]byte(other)); err != nil || r.PolicyRevision() != "" {
		t.Errorf("other annotation: %v, %v", r, err)
	}
}
