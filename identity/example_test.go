package identity_test

import (
	"context"
	"fmt"

	"github.com/ztci/ztci/identity"
)

// A least-privilege guard: jobs on the protected main branch of one
// repository may deploy to production; approvals need MFA.
func ExampleGuard() {
	g, err := identity.NewGuard([]identity.Grant{
		{
			Name: "app-release",
			To: identity.All(
				identity.MatchIssuer("https://token.actions.githubusercontent.com"),
				identity.MatchClaim("repository", "octo-org/app"),
				identity.MatchClaim("ref_protected", "true"),
			),
			Permissions: []string{"deploy:production", "secrets:read:app-*"},
		},
		{Name: "release-managers", To: identity.MatchID("https://sso.example.com#alice"), Permissions: []string{"approve:*"}},
	}, identity.WithRequirement("approve:*", identity.RequireAMR("mfa")))
	if err != nil {
		panic(err)
	}
	job := identity.Identity{Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:octo-org/app:ref:refs/heads/main",
		Claims: identity.Claims{Repository: "octo-org/app", Ref: "refs/heads/main", RefProtected: true}}
	alice := identity.Identity{Issuer: "https://sso.example.com", Subject: "alice"}
	ctx := context.Background()
	for _, r := range []identity.Request{
		{Who: job, Permission: identity.Deploy("production")},
		{Who: job, Permission: identity.SecretsRead("billing-db")},
		{Who: alice, Permission: identity.Approve("production"), AMR: []string{"pwd"}},
		{Who: alice, Permission: identity.Approve("production"), AMR: []string{"pwd", "mfa"}},
	} {
		d, err := g.Check(ctx, r)
		fmt.Println(r.Permission, err == nil && d.Allowed) // an error is a deny
	}
	// Output:
	// deploy:production true
	// secrets:read:billing-db false
	// approve:production false
	// approve:production true
}
