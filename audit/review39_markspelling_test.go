package audit

import (
	"errors"
	"testing"
	"time"
)

// TestReview39MarkSpelling: a repository or owner mark spelt otherwise than
// any token spells it — a trailing slash, percent-encoding, a numeric id
// with leading zeros or a '+' — was stored as typed, audited as in force,
// and denied no job: the kill switch is a deny-list, so the repository's
// jobs went on. CanonicalMarkID now brings these spellings to the one
// MarkIDs emits, on marks, clears and checks alike (the mark from the
// operator's Mark and from a detector's event).
func TestReview39MarkSpelling(t *testing.T) {
	t.Parallel()
	job := Actor{ID: "https://token.actions.githubusercontent.com#repo:acme/app:ref:refs/heads/x", Kind: "job",
		Claims: map[string]string{"platform": "github-actions", "repository": "acme/app",
			"repository_id": "42", "repository_owner_id": "7"}}
	zeroes := Actor{ID: "x", Claims: map[string]string{"platform": "ci", "repository_id": "0042", "repository_owner_id": "+7"}}
	for _, tc := range []struct {
		name  string
		mark  string
		clear string
		actor Actor
	}{
		{"trailing slash", "repository:github-actions/acme/app/", "repository:github-actions/acme/app", job},
		{"trailing slashes on an id", "repository_id:github-actions/42//", "repository_id:github-actions/42", job},
		{"percent-encoded slash", "repository:github-actions/acme%2Fapp", "repository:github-actions/acme/app", job},
		{"percent-encoded letters in another case", "repository:github-actions/%41cme/app", "repository:github-actions/acme/app", job},
		{"leading zeros", "repository_id:github-actions/00042", "repository_id:github-actions/42", job},
		{"plus sign", "repository_owner_id:github-actions/+7", "repository_owner_id:github-actions/007", job},
		{"token with leading zeros", "repository_id:ci/42", "repository_id:ci/042", zeroes},
		{"token with a plus sign", "repository_owner_id:ci/7", "repository_owner_id:ci/+07", zeroes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, viaDetector := range []bool{false, true} {
				ks, err := NewKillSwitch(&recorder{}, WithClock(func() time.Time { return testT0 }))
				if err != nil {
					t.Fatal(err)
				}
				if viaDetector {
					err = ks.Write(t.Context(), Event{ID: "d1", Time: testT0, Source: "detector", Action: ActionCompromiseDetected,
						Outcome: OutcomeSuccess, Actor: Actor{ID: "detector"}, Attributes: map[string]string{AttrCompromisedID: tc.mark}})
				} else {
					err = ks.Mark(t.Context(), tc.mark, "test", "operator", time.Time{})
				}
				if err != nil {
					t.Fatal(err)
				}
				if !ActorCompromised(ks, tc.actor) {
					t.Fatalf("mark %q (detector %v), job %v: allowed; want denied", tc.mark, viaDetector, tc.actor.Claims)
				}
				covered := false
				for _, id := range MarkIDs(tc.actor) {
					covered = covered || ks.Compromised(id)
				}
				if !covered {
					t.Fatalf("mark %q: no id of MarkIDs(%v) compromised", tc.mark, tc.actor.Claims)
				}
				if err := ks.Clear(t.Context(), tc.clear, "test", "operator"); err != nil {
					t.Fatalf("Clear(%q) of mark %q: %v", tc.clear, tc.mark, err)
				}
				if ActorCompromised(ks, tc.actor) {
					t.Fatalf("Clear(%q): job still denied", tc.clear)
				}
			}
		})
	}
}

// TestReview39MarkSpellingKept: what the canonical form leaves alone — ids
// that are not repository or owner marks, a repository name with digits
// (only the numeric ids lose their zeros), an invalid escape, a bare
// platform — and that the result is stable.
func TestReview39MarkSpellingKept(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"spiffe", "spiffe://example.org/x/", "spiffe://example.org/x/"},
		{"issuer subject", "https://issuer.example/#repo:acme/app%2F007", "https://issuer.example/#repo:acme/app%2F007"},
		{"repository name of digits", "repository:ci/acme/007", "repository:ci/acme/007"},
		{"zero", "repository_id:ci/000", "repository_id:ci/0"},
		{"not a number", "repository_id:ci/0x2a", "repository_id:ci/0x2a"},
		{"sign alone", "repository_id:ci/+", "repository_id:ci/+"},
		{"invalid escape", "repository:ci/acme/%zz", "repository:ci/acme/%zz"},
		{"escaped percent", "repository:ci/acme/a%2525", "repository:ci/acme/a%2525"},
		{"escaped percent folded", "repository:ci/Acme/A%2F%25", "repository:ci/acme/a%2f%25"},
		{"bare platform", "repository:github-actions/", "repository:github-actions/"},
	} {
		if got := CanonicalMarkID(tc.in); got != tc.want {
			t.Errorf("%s: CanonicalMarkID(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
		if got := CanonicalMarkID(CanonicalMarkID(tc.in)); got != CanonicalMarkID(tc.in) {
			t.Errorf("%s: CanonicalMarkID not idempotent on %q: %q", tc.name, tc.in, got)
		}
	}
	var fe *FieldError
	if err := CheckMarkID("repository:github-actions/"); !errors.As(err, &fe) {
		t.Errorf("CheckMarkID of a bare platform: %v, want a FieldError", err)
	}
}

// TestReview39MarkSpellingNoAlloc: a canonical id costs the check path no
// allocation.
func TestReview39MarkSpellingNoAlloc(t *testing.T) {
	ids := []string{"repository:github-actions/acme/app", "repository_id:github-actions/42", "repository_owner_id:github-actions/7"}
	if n := testing.AllocsPerRun(100, func() {
		for _, id := range ids {
			_ = CanonicalMarkID(id)
		}
	}); n != 0 {
		t.Errorf("CanonicalMarkID of canonical ids: %v allocations, want 0", n)
	}
}
