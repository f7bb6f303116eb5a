package audit

import (
	"errors"
	"testing"
	"time"
)

// review35MarkPrefixCases are repository and owner mark ids that no
// compromise check can match: MarkIDs emits the prefix in lower case, then
// the platform, a slash and a non-empty name or number. An operator (or an
// automated escalation) that marked one believed the repository
// quarantined while its jobs went on being allowed.
var review35MarkPrefixCases = []struct {
	name string
	id   string
}{
	{"capitalised repository prefix", "Repository:github-actions/acme/app"},
	{"uppercase repository_id prefix", "REPOSITORY_ID:github-actions/42"},
	{"mixed-case owner prefix", "Repository_Owner_ID:github-actions/7"},
	{"space after the prefix", "repository: github-actions/acme/app"},
	{"tab after the prefix", "repository_id:\tgithub-actions/42"},
	{"space before the slash", "repository_id:github-actions /42"},
	{"space after the slash", "repository_owner_id:github-actions/ 7"},
	{"no platform segment, no slash", "repository_id:42"},
	{"no slash at all", "repository_owner_id:github-actions"},
	{"empty value", "repository:github-actions/"},
	{"prefix only", "repository:"},
	{"slash only", "repository_id:/"},
}

// TestReview35MarkPrefixRefused: KillSwitch.Mark accepted a repository or
// owner mark id that no check could match (a prefix in another case, which
// CanonicalMarkID does not fold; whitespace where MarkIDs puts none; no
// platform-and-value shape), set and audited it, and the repository was
// not quarantined. Such an id is refused with a FieldError, and nothing is
// set or audited.
func TestReview35MarkPrefixRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range review35MarkPrefixCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var fe *FieldError
			if err := CheckMarkID(tc.id); !errors.As(err, &fe) {
				t.Fatalf("CheckMarkID(%q): %v, want a *FieldError", tc.id, err)
			}
			rec := &recorder{}
			ks, err := NewKillSwitch(rec, WithClock(func() time.Time { return testT0 }))
			if err != nil {
				t.Fatal(err)
			}
			err = ks.Mark(t.Context(), tc.id, "test", "operator", time.Time{})
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("Mark(%q): %v, want a *FieldError", tc.id, err)
			}
			if ms := ks.Marks(); len(ms) != 0 {
				t.Fatalf("Mark(%q) refused but set %+v", tc.id, ms)
			}
			rec.mu.Lock()
			n := len(rec.events)
			rec.mu.Unlock()
			if n != 0 {
				t.Fatalf("Mark(%q) refused but audited %d events", tc.id, n)
			}
		})
	}
}

// TestReview35MarkPrefixAccepted: every id MarkIDs can emit is still
// accepted (claims naming no platform give "repository:/acme/app"), in
// any case after the prefix, and denies the repository's jobs.
func TestReview35MarkPrefixAccepted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		id     string
		claims map[string]string
	}{
		{"repository by name", "repository:github-actions/acme/app",
			map[string]string{"platform": "github-actions", "repository": "acme/app"}},
		{"repository by name, other case", "repository:GitHub-Actions/Acme/App",
			map[string]string{"platform": "github-actions", "repository": "acme/app"}},
		{"repository by id", "repository_id:github-actions/42",
			map[string]string{"platform": "github-actions", "repository_id": "42"}},
		{"owner", "repository_owner_id:gitlab-ci/7",
			map[string]string{"platform": "gitlab-ci", "repository_owner_id": "7"}},
		{"no platform claim", "repository:/acme/app",
			map[string]string{"repository": "acme/app"}},
		{"platform name with a space", "repository:Acme CI/acme/app",
			map[string]string{"platform": "acme ci", "repository": "acme/app"}},
		{"name with a space inside", "repository:ztci/acme/my app",
			map[string]string{"platform": "ztci", "repository": "acme/my app"}},
		{"value that is a slash", "repository:ztci//",
			map[string]string{"platform": "ztci", "repository": "/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := CheckMarkID(tc.id); err != nil {
				t.Fatalf("CheckMarkID(%q): %v", tc.id, err)
			}
			ks, err := NewKillSwitch(&recorder{}, WithClock(func() time.Time { return testT0 }))
			if err != nil {
				t.Fatal(err)
			}
			if err := ks.Mark(t.Context(), tc.id, "test", "operator", time.Time{}); err != nil {
				t.Fatal(err)
			}
			if !ActorCompromised(ks, Actor{ID: "https://issuer.example#job", Kind: "job", Claims: tc.claims}) {
				t.Fatalf("mark %q: job with claims %v allowed, want denied", tc.id, tc.claims)
			}
		})
	}
}
