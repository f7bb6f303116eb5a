package identity_test

import (
	"testing"

	"github.com/ztci/ztci/identity"
)

// TestReview12RequirementFoldsUnicodeCase: requirements match without case,
// but lower-casing is not case folding. "ſ" (U+017F, long s) and "K"
// (U+212A, Kelvin sign) fold to "s" and "k" (strings.EqualFold), and
// ToLower left "ſ" as it is, so "deploy:ſtaging" skipped the requirement
// on "deploy:staging" that a "deploy:*" grant then allowed.
func TestReview12RequirementFoldsUnicodeCase(t *testing.T) {
	t.Parallel()
	g, err := identity.NewGuard([]identity.Grant{{Name: "deployers", To: identity.MatchIssuer("https://ci.test"), Permissions: []string{"deploy:*"}}},
		identity.WithRequirement("deploy:staging", identity.RequireAMR("mfa")),
		identity.WithRequirement("deploy:k8s-prod", identity.RequireAMR("mfa")))
	if err != nil {
		t.Fatal(err)
	}
	who := identity.Identity{Issuer: "https://ci.test", Subject: "alice"}
	for _, p := range []string{"deploy:staging", "deploy:STAGING", "deploy:\u017ftaging", "deploy:\u212a8s-prod", "deploy:K8S-PROD"} {
		d, err := g.Check(t.Context(), identity.Request{Who: who, Permission: identity.Permission(p)})
		if err != nil || d.Allowed {
			t.Errorf("%q without mfa: %+v, %v; want deny", p, d, err)
		}
		d, err = g.Check(t.Context(), identity.Request{Who: who, Permission: identity.Permission(p), AMR: []string{"mfa"}})
		if err != nil || !d.Allowed {
			t.Errorf("%q with mfa: %+v, %v; want allow", p, d, err)
		}
	}
}
