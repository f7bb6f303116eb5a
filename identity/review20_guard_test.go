package identity_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
)

// A requirement on deploy:production (say, MFA) was skipped by spellings
// a grant of deploy:* allows and a protected system may read as
// production: a name below it ("production:eu", "production/",
// "production/."), and characters outside ASCII that an accent- or
// width-insensitive collation reads as plain letters (fullwidth "ｐ", an
// accent, a combining accent). Each must meet the requirement now.
func TestReview20RequirementSpellings(t *testing.T) {
	t.Parallel()
	errNoMFA := errors.New("no mfa")
	g, err := identity.NewGuard([]identity.Grant{{Name: "deployers", To: identity.MatchIssuer("https://ci.example"),
		Permissions: []string{"deploy:*"}}},
		identity.WithRequirement("deploy:production", func(context.Context, identity.Request) error { return errNoMFA }))
	if err != nil {
		t.Fatal(err)
	}
	who := identity.Identity{Issuer: "https://ci.example", Subject: "job"}
	for _, env := range []string{
		"production", "PRODUCTION", "production:eu", "production/", "production/.", "production/eu",
		"ｐroduction", "prodúction", "production\u0301",
	} {
		d, err := g.Check(t.Context(), identity.Request{Who: who, Permission: identity.Deploy(env)})
		if errors.Is(err, identity.ErrInvalidPermission) {
			continue // refused outright since review 21 ("production/", "production/.")
		}
		if err != nil {
			t.Fatalf("%q: %v", env, err)
		}
		if d.Allowed {
			t.Errorf("deploy to %q allowed without the production requirement (%s)", env, d.Reason)
		}
	}
	// Not below it, nor another resource: the requirement stays where it is.
	for _, p := range []identity.Permission{identity.Deploy("staging"), identity.Deploy("productionx")} {
		d, err := g.Check(t.Context(), identity.Request{Who: who, Permission: p})
		if err != nil || !d.Allowed {
			t.Errorf("%q: %+v, %v; want allowed", p, d, err)
		}
	}
}
