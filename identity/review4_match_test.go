package identity_test

import (
	"testing"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity"
)

// TestReview4UnsetConditionsMatchNothing: a prefix left empty (an unset
// configuration value) is not a wildcard, and a nil SPIFFE ID matcher
// matches nothing instead of panicking where the decision is made.
func TestReview4UnsetConditionsMatchNothing(t *testing.T) {
	t.Parallel()
	job := identity.Identity{Issuer: "https://ci.test", Subject: "repo:o/r", Claims: identity.Claims{Ref: "refs/heads/main", Repository: "o/r"}}
	if identity.MatchClaimPrefix("ref", "").Match(job) {
		t.Error(`MatchClaimPrefix("ref", "") matched a job: an empty prefix admits every ref`)
	}
	if !identity.MatchClaimPrefix("ref", "refs/heads/").Match(job) {
		t.Error("MatchClaimPrefix with a prefix no longer matches")
	}
	wl := identity.Identity{SPIFFEID: spiffeid.RequireFromString("spiffe://ci.test/job")}
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("MatchSPIFFEID(nil) panicked: %v", r)
			}
		}()
		if identity.MatchSPIFFEID(nil).Match(wl) {
			t.Error("MatchSPIFFEID(nil) matched")
		}
	}()
	g, err := identity.NewGuard([]identity.Grant{{Name: "any-ref", To: identity.MatchClaimPrefix("ref", ""), Permissions: []string{"deploy:production"}}})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := g.Check(t.Context(), identity.Request{Who: job, Permission: identity.Deploy("production")}); err != nil || d.Allowed {
		t.Errorf("Guard with an empty-prefix grant: %+v, %v; want deny", d, err)
	}
}
