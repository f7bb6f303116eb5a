package identity_test

import (
	"slices"
	"testing"

	"github.com/ztci/ztci/identity"
)

// TestReview18EnvironmentProtected: environment_protected is a claim name
// Get, Map, ClaimNames and MatchClaim know, "true" or absent as
// ref_protected, so a grant can require GitLab's protected environment
// and not only its name, which any job may give.
func TestReview18EnvironmentProtected(t *testing.T) {
	t.Parallel()
	if !slices.Contains(identity.ClaimNames(), "environment_protected") {
		t.Fatalf("ClaimNames() = %v", identity.ClaimNames())
	}
	prod := identity.All(identity.MatchClaim("environment", "production"), identity.MatchClaim("environment_protected", "true"))
	for _, protected := range []bool{false, true} {
		c := identity.Claims{Repository: "acme/app", Environment: "production", EnvironmentProtected: protected}
		want := map[bool]string{true: "true"}[protected]
		if got, m := c.Get("environment_protected"), c.Map(); got != want || m["environment_protected"] != want {
			t.Errorf("protected=%v: Get %q, Map %v", protected, got, m)
		}
		if got := prod.Match(identity.Identity{Issuer: "i", Subject: "s", Claims: c}); got != protected {
			t.Errorf("protected=%v: matched %v", protected, got)
		}
		if a := (identity.Identity{Issuer: "i", Subject: "s", Claims: c}).AuditActor(); a.Claims["environment_protected"] != want {
			t.Errorf("protected=%v: audit actor claims %v", protected, a.Claims)
		}
	}
}
