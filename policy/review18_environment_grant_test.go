package policy_test

import (
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/secrets"
)

// A grant naming environments gave a GitLab job its secret whenever the
// job named the environment, protected or not: on GitLab a job creates an
// environment by naming it, so any developer's branch pipeline (with a
// grant that allows unprotected refs, or a protected branch whose
// environment no one protected) took "production". On GitLab CI, whose
// token says environment_protected, only a protected environment
// matches now, unless the grant allows unprotected ones; GitHub states
// no protection and is not affected.
func TestReview18GitLabGrantNeedsProtectedEnvironment(t *testing.T) {
	t.Parallel()
	grant := func(allowUnprotectedEnv bool) policy.LibraryConfig {
		return policy.LibraryConfig{Secrets: policy.SecretsConfig{Grants: []policy.SecretGrant{{
			Secret: "prod/*", Repositories: []string{"acme/app"}, Refs: []string{"refs/heads/*"},
			Environments: []string{"production"}, AllowUnprotected: true,
			AllowUnprotectedEnvironment: allowUnprotectedEnv,
		}}}}
	}
	job := func(platform string, protectedEnv bool) identity.Identity {
		return identity.Identity{Issuer: "https://ci.example", Subject: "job", Claims: identity.Claims{
			Platform: platform, Repository: "acme/app", Ref: "refs/heads/feature", Environment: "production",
			EnvironmentProtected: protectedEnv,
		}}
	}
	for _, tc := range []struct {
		name         string
		id           identity.Identity
		allowUnprot  bool
		wantReleased bool
	}{
		{"gitlab, unprotected environment", job("gitlab-ci", false), false, false},
		{"gitlab, protected environment", job("gitlab-ci", true), false, true},
		{"gitlab, grant allows unprotected", job("gitlab-ci", false), true, true},
		{"github states no protection", job("github-actions", false), false, true},
	} {
		az := policy.SecretsAuthorizer(newConfigured(t, grant(tc.allowUnprot)))
		d, err := az.Authorize(t.Context(), secrets.Request{Identity: tc.id, Name: "prod/db", LeaseID: "l1"})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if d.Allow != tc.wantReleased {
			t.Errorf("%s: released %v (%s), want %v", tc.name, d.Allow, d.Reason, tc.wantReleased)
		}
	}
}
