package svr_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/svr"
)

const (
	r37Gate = "https://gate.example/prod"
	r37Repo = "registry.example/app"
	r37Rev  = "deploy-2026-03"
)

var (
	r37Now   = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r37Image = attest.Digest{Algorithm: attest.AlgSHA256, Value: strings.Repeat("ab", 32)}
	r37Other = attest.Digest{Algorithm: attest.AlgSHA256, Value: strings.Repeat("cd", 32)}
)

// r37Statement is a gate's result (svr.FromDecision, as policy/gate's
// signSVR writes it) about subjects.
func r37Statement(t *testing.T, id string, d svr.Decision, subjects ...attest.ResourceDescriptor) *attest.Statement {
	t.Helper()
	if len(subjects) == 0 {
		subjects = []attest.ResourceDescriptor{{Name: r37Repo, Digest: r37Image.Set()}}
	}
	r, err := svr.FromDecision(id, d)
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.NewStatement(subjects, svr.Predicate(r))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func r37Allow(at time.Time) svr.Decision {
	return svr.Decision{Allowed: true, PolicyURI: "https://gate.example/policy", PolicyRevision: r37Rev, Time: at,
		Passed: []string{"SSDF-PS.2.1"}}
}

func r37Expect() svr.Expect {
	return svr.Expect{Subject: r37Image, VerifierID: r37Gate, MaxAge: time.Hour, Now: func() time.Time { return r37Now }}
}

// TestReview37ExpectUnusable: attest/svr gave a consumer nothing to check a
// result against, and the check it has now must not accept everything
// when a field is forgotten: an Expect without a subject digest, a
// verifier id or a positive MaxAge (the zero Expect above all), or with a
// malformed one, refuses every result before reading it.
func TestReview37ExpectUnusable(t *testing.T) {
	t.Parallel()
	st := r37Statement(t, r37Gate, r37Allow(r37Now))
	for _, tc := range []struct {
		name string
		edit func(*svr.Expect)
	}{
		{"zero", func(e *svr.Expect) { *e = svr.Expect{} }},
		{"zero but clock", func(e *svr.Expect) { *e = svr.Expect{Now: e.Now} }},
		{"no subject", func(e *svr.Expect) { e.Subject = attest.Digest{} }},
		{"subject without algorithm", func(e *svr.Expect) { e.Subject.Algorithm = "" }},
		{"subject without value", func(e *svr.Expect) { e.Subject.Value = "" }},
		{"subject unknown algorithm", func(e *svr.Expect) { e.Subject.Algorithm = "SHA-256" }},
		{"subject upper-case hex", func(e *svr.Expect) { e.Subject.Value = strings.ToUpper(e.Subject.Value) }},
		{"subject short", func(e *svr.Expect) { e.Subject.Value = "abab" }},
		{"no verifier id", func(e *svr.Expect) { e.VerifierID = "" }},
		{"verifier id not a URI", func(e *svr.Expect) { e.VerifierID = "prod gate" }},
		{"verifier id with zero width", func(e *svr.Expect) { e.VerifierID = r37Gate + "\u200b" }},
		{"no MaxAge", func(e *svr.Expect) { e.MaxAge = 0 }},
		{"negative MaxAge", func(e *svr.Expect) { e.MaxAge = -time.Hour }},
		{"negative ClockSkew", func(e *svr.Expect) { e.ClockSkew = -time.Second }},
		{"empty accepted revision", func(e *svr.Expect) { e.PolicyRevisions = []string{r37Rev, ""} }},
		{"revision with line break", func(e *svr.Expect) { e.PolicyRevisions = []string{"r1\n"} }},
		{"empty required property", func(e *svr.Expect) { e.Properties = []string{""} }},
		{"required property with space", func(e *svr.Expect) { e.Properties = []string{"SSDF PS.2.1"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := r37Expect()
			tc.edit(&e)
			if err := e.Validate(); !errors.Is(err, svr.ErrExpectation) {
				t.Errorf("Validate: %v, want ErrExpectation", err)
			}
			r, err := e.Check(st)
			if !errors.Is(err, svr.ErrExpectation) || r != nil {
				t.Errorf("Check: %v, %v; want ErrExpectation and no result", r, err)
			}
		})
	}
	if err := r37Expect().Validate(); err != nil {
		t.Fatalf("usable Expect: %v", err)
	}
}

// TestReview37ExpectCheck: every check a consumer had to write by hand,
// and every way to get one wrong: another image's result, one about the
// same manifest in another repository, another gate's (or a look-alike)
// verifier id, a result too old or dated in the future (an age-only check
// reads it as the freshest), a deny that lists the controls it passed (so
// requiring a control alone accepts it), an allow of a warn mode with
// violations, a missing required property, an unaccepted or absent policy
// revision.
func TestReview37ExpectCheck(t *testing.T) {
	t.Parallel()
	denyControls := svr.Decision{Allowed: false, PolicyRevision: r37Rev, Time: r37Now, Passed: []string{"SSDF-PS.2.1"}}
	warnAllow := svr.Decision{Allowed: true, Rules: []string{"unsigned"}, PolicyRevision: r37Rev, Time: r37Now}
	sha512 := attest.Digest{Algorithm: attest.AlgSHA512, Value: strings.Repeat("ab", 64)}
	index := []attest.ResourceDescriptor{
		{Name: r37Repo, Digest: r37Other.Set()},
		{Name: r37Repo, Digest: r37Image.Set()},
	}
	for _, tc := range []struct {
		name     string
		id       string // verifier.id written, r37Gate when empty
		decision svr.Decision
		subjects []attest.ResourceDescriptor
		edit     func(*svr.Expect)
		want     error // nil: accepted
	}{
		{name: "allow", decision: r37Allow(r37Now)},
		{name: "allow with repository", decision: r37Allow(r37Now), edit: func(e *svr.Expect) { e.Repository = r37Repo }},
		{name: "allow with accepted revision", decision: r37Allow(r37Now), edit: func(e *svr.Expect) { e.PolicyRevisions = []string{"old", r37Rev} }},
		{name: "allow with required control", decision: r37Allow(r37Now), edit: func(e *svr.Expect) { e.Properties = []string{"SSDF-PS.2.1"} }},
		{name: "platform manifest among subjects", decision: r37Allow(r37Now), subjects: index},
		{name: "exactly MaxAge old", decision: r37Allow(r37Now.Add(-time.Hour))},
		{name: "within default skew", decision: r37Allow(r37Now.Add(svr.DefaultClockSkew))},

		{name: "other image", decision: r37Allow(r37Now), edit: func(e *svr.Expect) { e.Subject = r37Other }, want: svr.ErrSubjectMismatch},
		{name: "other algorithm", decision: r37Allow(r37Now), edit: func(e *svr.Expect) { e.Subject = sha512 }, want: svr.ErrSubjectMismatch},
		{name: "digest in no subject of several", decision: r37Allow(r37Now), subjects: index[:1], want: svr.ErrSubjectMismatch},
		{name: "same manifest, other repository", decision: r37Allow(r37Now),
			subjects: []attest.ResourceDescriptor{{Name: "registry.example/evil", Digest: r37Image.Set()}},
			edit:     func(e *svr.Expect) { e.Repository = r37Repo }, want: svr.ErrSubjectMismatch},
		{name: "repository on another subject than the digest", decision: r37Allow(r37Now),
			subjects: []attest.ResourceDescriptor{{Name: r37Repo, Digest: r37Other.Set()}, {Name: "registry.example/evil", Digest: r37Image.Set()}},
			edit:     func(e *svr.Expect) { e.Repository = r37Repo }, want: svr.ErrSubjectMismatch},

		{name: "other gate", id: "https://gate.example/staging", decision: r37Allow(r37Now), want: svr.ErrVerifierMismatch},
		{name: "verifier id extended", id: r37Gate + ".evil.example", decision: r37Allow(r37Now), want: svr.ErrVerifierMismatch},
		{name: "verifier id other case", id: "https://gate.example/PROD", decision: r37Allow(r37Now), want: svr.ErrVerifierMismatch},

		{name: "older than MaxAge", decision: r37Allow(r37Now.Add(-time.Hour - time.Nanosecond)), want: svr.ErrStale},
		{name: "year 1", decision: r37Allow(time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC)), want: svr.ErrStale},
		{name: "future beyond default skew", decision: r37Allow(r37Now.Add(svr.DefaultClockSkew + time.Nanosecond)), want: svr.ErrFuture},
		{name: "future beyond set skew", decision: r37Allow(r37Now.Add(10 * time.Second)),
			edit: func(e *svr.Expect) { e.ClockSkew = 5 * time.Second }, want: svr.ErrFuture},
		{name: "year 9999 with the largest MaxAge", decision: r37Allow(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)),
			edit: func(e *svr.Expect) { e.MaxAge = math.MaxInt64 }, want: svr.ErrFuture},

		{name: "deny listing its passed controls", decision: denyControls, want: svr.ErrNotAllowed},
		{name: "deny, the control required", decision: denyControls,
			edit: func(e *svr.Expect) { e.Properties = []string{"SSDF-PS.2.1"} }, want: svr.ErrNotAllowed},
		{name: "warn-mode allow with violations", decision: warnAllow, want: svr.ErrNotAllowed},
		{name: "required control missing", decision: r37Allow(r37Now),
			edit: func(e *svr.Expect) { e.Properties = []string{"SLSA-BUILD-L3"} }, want: svr.ErrPropertyMissing},

		{name: "revision not accepted", decision: r37Allow(r37Now),
			edit: func(e *svr.Expect) { e.PolicyRevisions = []string{"deploy-2026-04"} }, want: svr.ErrRevision},
		{name: "no revision", decision: svr.Decision{Allowed: true, PolicyURI: "https://gate.example/policy", Time: r37Now},
			edit: func(e *svr.Expect) { e.PolicyRevisions = []string{r37Rev} }, want: svr.ErrRevision},
		{name: "no policy", decision: svr.Decision{Allowed: true, Time: r37Now},
			edit: func(e *svr.Expect) { e.PolicyRevisions = []string{r37Rev} }, want: svr.ErrRevision},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id := tc.id
			if id == "" {
				id = r37Gate
			}
			st := r37Statement(t, id, tc.decision, tc.subjects...)
			e := r37Expect()
			if tc.edit != nil {
				tc.edit(&e)
			}
			r, err := e.Check(st)
			if tc.want == nil {
				if err != nil || r == nil || !r.Has(svr.PropertyAllowed) {
					t.Fatalf("Check: %v, %v; want the allow", r, err)
				}
				return
			}
			var mm *svr.MismatchError
			if !errors.Is(err, tc.want) || !errors.Is(err, svr.ErrUnexpected) || !errors.As(err, &mm) || r != nil {
				t.Fatalf("Check: %v, %v; want a *MismatchError wrapping %v and no result", r, err, tc.want)
			}
			if errors.Is(err, svr.ErrInvalid) || errors.Is(err, svr.ErrExpectation) {
				t.Errorf("Check: %v also wraps ErrInvalid or ErrExpectation", err)
			}
		})
	}
}

// TestReview37ExpectStatement: what Check reads must be a valid Statement
// of this predicate type; a Statement built by hand with no subject, a nil
// one or another predicate type is refused as invalid.
func TestReview37ExpectStatement(t *testing.T) {
	t.Parallel()
	good := r37Statement(t, r37Gate, r37Allow(r37Now))
	noSubject := *good
	noSubject.Subject = nil
	otherType := *good
	otherType.PredicateType = "https://slsa.dev/verification_summary/v1"
	badPredicate := *good
	badPredicate.Predicate = json.RawMessage(`{"verifier":{"id":"` + r37Gate + `"},"timeCreated":"2026-03-01T12:00:00Z","properties":["ZTCI_POLICY_ALLOWED","ZTCI_POLICY_ALLOWED"]}`)
	for _, tc := range []struct {
		name string
		st   *attest.Statement
		want error
	}{
		{"nil", nil, svr.ErrInvalid},
		{"no subject", &noSubject, svr.ErrInvalid},
		{"other predicate type", &otherType, svr.ErrPredicateType},
		{"invalid predicate", &badPredicate, svr.ErrBadValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := r37Expect()
			if r, err := e.Check(tc.st); !errors.Is(err, tc.want) || r != nil {
				t.Errorf("Check: %v, %v; want %v", r, err, tc.want)
			}
		})
	}
}

// TestReview37ExpectClipped: a mismatch names what the result holds, which
// its signer chose; a verifier id, subject names and properties of
// hundreds of kilobytes reach the error clipped.
func TestReview37ExpectClipped(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 100_000)
	many := make([]string, 2000)
	for i := range many {
		many[i] = "CONTROL-" + strings.Repeat("y", 40) + "-" + string(rune('a'+i%26)) + strings.Repeat("z", i%50)
	}
	for _, tc := range []struct {
		name     string
		id       string
		decision svr.Decision
		subjects []attest.ResourceDescriptor
	}{
		{name: "verifier id", id: "https://gate.example/" + long, decision: r37Allow(r37Now)},
		{name: "subject name", decision: r37Allow(r37Now), subjects: []attest.ResourceDescriptor{{Name: long, Digest: r37Other.Set()}}},
		{name: "properties", decision: svr.Decision{Time: r37Now, Passed: uniq(many)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id := cmpOr(tc.id, r37Gate)
			_, err := r37Expect().Check(r37Statement(t, id, tc.decision, tc.subjects...))
			var mm *svr.MismatchError
			if !errors.As(err, &mm) {
				t.Fatalf("Check: %v, want a *MismatchError", err)
			}
			if len(mm.Got) > 64+len("…") || len(err.Error()) > 1024 {
				t.Errorf("Got is %d bytes, error %d bytes", len(mm.Got), len(err.Error()))
			}
		})
	}
}

// TestReview37ExpectDefaultClock: with no Now the check reads the real
// clock; a result good now is refused once MaxAge has passed.
func TestReview37ExpectDefaultClock(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		st := r37Statement(t, r37Gate, r37Allow(time.Now()))
		e := svr.Expect{Subject: r37Image, VerifierID: r37Gate, MaxAge: time.Minute}
		if _, err := e.Check(st); err != nil {
			t.Fatalf("fresh: %v", err)
		}
		time.Sleep(time.Minute + time.Second)
		if _, err := e.Check(st); !errors.Is(err, svr.ErrStale) {
			t.Fatalf("after MaxAge: %v, want ErrStale", err)
		}
	})
}

func uniq(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
