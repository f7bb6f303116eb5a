package ca_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
)

// TestReview27URIQueryFragment: git allows '#' and '?' in a branch name,
// and the CA certified them into the SAN URI and the URI-typed extensions
// as the token stated them. A branch "x#@refs/heads/main" makes the Build
// Signer URI ".../release.yml@refs/heads/x#@refs/heads/main": a policy
// matching the suffix "@refs/heads/main" accepts it, while a verifier that
// parses the URI reads branch x. Every URI the CA writes is refused with
// '?' or '#', also percent-encoded; GitLab's "//" still certifies.
func TestReview27URIQueryFragment(t *testing.T) {
	t.Parallel()
	const gh = "https://token.actions.githubusercontent.com"
	c, err := ca.New(
		ca.WithSubjectDomain(gh, "https://github.com"),
		ca.WithSubjectDomain("https://gitlab.example.com", "https://gitlab.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	github := func(subject, workflowRef, repo, runID string) identity.Identity {
		return identity.Identity{Issuer: gh, Subject: subject, Claims: identity.Claims{
			Platform: "github-actions", Repository: repo, WorkflowRef: workflowRef, Ref: "refs/heads/main",
			RunID: runID, RunAttempt: "1"}}
	}
	gitlab := func(configRef, job string) identity.Identity {
		return identity.Identity{Issuer: "https://gitlab.example.com", Subject: "https://" + configRef, Claims: identity.Claims{
			Platform: "gitlab-ci", Repository: "grp/proj", WorkflowRef: configRef, Job: job}}
	}
	const wf = "acme/app/.github/workflows/release.yml"
	const good = wf + "@refs/heads/main"
	for _, tc := range []struct {
		name string
		id   identity.Identity
	}{
		{name: "SAN: '#' in the branch", id: github("https://github.com/"+wf+"@refs/heads/x#@refs/heads/main", good, "acme/app", "1")},
		{name: "SAN: '?' in the branch", id: github("https://github.com/"+wf+"@refs/heads/x?@refs/heads/main", good, "acme/app", "1")},
		{name: "SAN: %23 in the branch", id: github("https://github.com/"+wf+"@refs/heads/x%23@refs/heads/main", good, "acme/app", "1")},
		{name: "build signer: '#' in the branch", id: github("https://github.com/"+good, wf+"@refs/heads/x#@refs/heads/main", "acme/app", "1")},
		{name: "build signer: '?' in the branch", id: github("https://github.com/"+good, wf+"@refs/heads/x?y=@refs/heads/main", "acme/app", "1")},
		{name: "build signer: %3F in the branch", id: github("https://github.com/"+good, wf+"@refs/heads/x%3F@refs/heads/main", "acme/app", "1")},
		{name: "repository URL: query", id: github("https://github.com/"+good, good, "https://github.com/acme/app?x=1", "1")},
		{name: "run invocation: '#' in the run id", id: github("https://github.com/"+good, good, "acme/app", "1#/victim")},
		{name: "gitlab: '#' in the branch", id: gitlab("gitlab.example.com/grp/proj//.gitlab-ci.yml@refs/heads/x#@refs/heads/main", "7")},
		{name: "gitlab: '?' in the job", id: gitlab("gitlab.example.com/grp/proj//.gitlab-ci.yml@refs/heads/main", "7?x")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.Issue(t.Context(), key(t).Public(), tc.id)
			if !errors.Is(err, ca.ErrIdentity) || !errors.Is(err, oidc.ErrURIPath) {
				t.Fatalf("Issue: %v, want ErrIdentity and oidc.ErrURIPath", err)
			}
		})
	}
	for _, tc := range []struct {
		name string
		id   identity.Identity
	}{
		{name: "github", id: github("https://github.com/"+good, good, "acme/app", "1")},
		{name: "gitlab's //", id: gitlab("gitlab.example.com/grp/proj//.gitlab-ci.yml@refs/heads/main", "7")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := c.Issue(t.Context(), key(t).Public(), tc.id); err != nil {
				t.Fatalf("Issue: %v", err)
			}
		})
	}
}
