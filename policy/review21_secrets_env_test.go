package policy_test

import (
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/secrets"
)

// A grant naming environments required a protected environment only of a
// job whose platform was spelled exactly "gitlab-ci". ztci's own issuer
// (identity/oidc) writes environment_protected for every job with an
// environment, as GitLab does, under the platform the vendor names
// (default "ztci"): such a job in an unprotected "production", which any
// developer's branch creates by naming it, received the production
// secret, as did a GitLab job whose platform a hand-built Job spelled
// "GitLab-CI" or left empty. Only GitHub Actions states no protection (it
// issues an environment's token once its protection rules have passed):
// every other platform needs environment_protected true.
func TestReview21EnvironmentProtectionOnEveryPlatformButGitHub(t *testing.T) {
	t.Parallel()
	cfg := policy.LibraryConfig{Secrets: policy.SecretsConfig{Grants: []policy.SecretGrant{{
		Secret: "prod/*", Repositories: []string{"acme/app"}, Refs: []string{"refs/heads/*"},
		Environments: []string{"production"}, AllowUnprotected: true,
	}}}}
	az := policy.SecretsAuthorizer(newConfigured(t, cfg))
	for _, tc := range []struct {
		platform     string
		protectedEnv bool
		want         bool
	}{
		{"ztci", false, false},
		{"acme-ci", false, false},
		{"GitLab-CI", false, false},
		{"gitlab-ci ", false, false},
		{"", false, false},
		{"github-actions ", false, false},
		{"ztci", true, true},
		{"acme-ci", true, true},
		{"gitlab-ci", true, true},
		{"github-actions", false, true},
	} {
		id := identity.Identity{Issuer: "https://ci.example", Subject: "job", Claims: identity.Claims{
			Platform: tc.platform, Repository: "acme/app", Ref: "refs/heads/feature", Environment: "production",
			EnvironmentProtected: tc.protectedEnv,
		}}
		d, err := az.Authorize(t.Context(), secrets.Request{Identity: id, Name: "prod/db", LeaseID: "l1"})
		if err != nil {
			t.Fatalf("%q: %v", tc.platform, err)
		}
		if d.Allow != tc.want {
			t.Errorf("platform %q, environment_protected %v: released %v (%s), want %v",
				tc.platform, tc.protectedEnv, d.Allow, d.Reason, tc.want)
		}
	}
}
