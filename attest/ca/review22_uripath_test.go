package ca_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
)

// TestReview22URIPathDotSegments: the CA certified a SAN URI or a URI-typed
// Fulcio extension with "%2e%2e", "/./", "//", "%2f" or "%5c" in its path,
// as the token stated it. Git refuses ".." in a ref name but not '%': a
// branch "%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/victim/app/…" puts dot segments
// after "@refs/heads/", and a verifier that decodes and cleans the path
// (path.Clean, url.ResolveReference, a WHATWG URL parser) reads the
// certificate as victim/app's release workflow.
func TestReview22URIPathDotSegments(t *testing.T) {
	t.Parallel()
	const gh = "https://token.actions.githubusercontent.com"
	c, err := ca.New(
		ca.WithSubjectDomain(gh, "https://github.com"),
		ca.WithSubjectDomain("https://gitlab.example.com", "https://gitlab.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	github := func(subject, workflowRef, repo string) identity.Identity {
		return identity.Identity{Issuer: gh, Subject: subject, Claims: identity.Claims{
			Platform: "github-actions", Repository: repo, WorkflowRef: workflowRef, Ref: "refs/heads/main",
			RunID: "1", RunAttempt: "1"}}
	}
	gitlab := func(configRef string) identity.Identity {
		return identity.Identity{Issuer: "https://gitlab.example.com", Subject: "https://" + configRef, Claims: identity.Claims{
			Platform: "gitlab-ci", Repository: "grp/proj", WorkflowRef: configRef, Job: "7"}}
	}
	const wf = "acme/app/.github/workflows/release.yml"
	evilRef := wf + "@refs/heads/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/victim/app/.github/workflows/release.yml"
	refused := map[string]identity.Identity{
		"SAN: %2e%2e segments in the branch": github("https://github.com/"+evilRef, wf+"@refs/heads/main", "acme/app"),
		"SAN: upper-case and mixed":          github("https://github.com/"+wf+"@refs/heads/%2E./.%2E/x", wf+"@refs/heads/main", "acme/app"),
		"SAN: double-encoded":                github("https://github.com/"+wf+"@refs/heads/%252e%252e/x", wf+"@refs/heads/main", "acme/app"),
		"SAN: /./":                           github("https://github.com/acme/./app/.github/workflows/release.yml@refs/heads/main", wf+"@refs/heads/main", "acme/app"),
		"SAN: //":                            github("https://github.com/acme//app/.github/workflows/release.yml@refs/heads/main", wf+"@refs/heads/main", "acme/app"),
		"SAN: leading //":                    github("https://github.com//evil.example/x", wf+"@refs/heads/main", "acme/app"),
		"SAN: %2f":                           github("https://github.com/acme%2fapp/.github/workflows/release.yml@refs/heads/main", wf+"@refs/heads/main", "acme/app"),
		"SAN: %5c":                           github("https://github.com/acme/app%5C..%5Cx/release.yml@refs/heads/main", wf+"@refs/heads/main", "acme/app"),
		"build signer: %2e%2e in the branch": github("https://github.com/"+wf+"@refs/heads/main", evilRef, "acme/app"),
		"repository: dot segment":            github("https://github.com/"+wf+"@refs/heads/main", wf+"@refs/heads/main", "acme/%2e%2e"),
		"repository: //":                     github("https://github.com/"+wf+"@refs/heads/main", wf+"@refs/heads/main", "acme//app"),
		"repository URL: %2F":                github("https://github.com/"+wf+"@refs/heads/main", wf+"@refs/heads/main", "https://github.com/victim%2Fapp"),
		"gitlab: second //":                  gitlab("gitlab.example.com/grp/proj//ci//x.yml@refs/heads/main"),
		"gitlab: // before any project":      gitlab("gitlab.example.com//.gitlab-ci.yml@refs/heads/main"),
		"gitlab: %2e%2e in the branch":       gitlab("gitlab.example.com/grp/proj//.gitlab-ci.yml@refs/heads/%2e%2e/x"),
	}
	for name, id := range refused {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := c.Issue(context.Background(), key(t).Public(), id)
			if !errors.Is(err, ca.ErrIdentity) || !errors.Is(err, oidc.ErrURIPath) {
				t.Fatalf("Issue: %v, want ErrIdentity and oidc.ErrURIPath", err)
			}
		})
	}
	certified := map[string]identity.Identity{
		"branch with '/'":        github("https://github.com/"+wf+"@refs/heads/feature/x/y", wf+"@refs/heads/feature/x/y", "acme/app"),
		"tag":                    github("https://github.com/"+wf+"@refs/tags/v1.2.3", wf+"@refs/tags/v1.2.3", "acme/app"),
		"pull request":           github("https://github.com/"+wf+"@refs/pull/1/merge", wf+"@refs/pull/1/merge", "acme/app"),
		"other escapes":          github("https://github.com/"+wf+"@refs/heads/100%25-%41.b..c", wf+"@refs/heads/100%25-%41", "acme/app"),
		"dots inside a segment":  github("https://github.com/acme/app.js/.github/workflows/a..b.yml@refs/heads/v1..2", "acme/app.js/.github/workflows/x.yml@refs/heads/.x", "acme/app.js"),
		"gitlab's //":            gitlab("gitlab.example.com/grp/proj//.gitlab-ci.yml@refs/heads/main"),
		"gitlab's // nested":     gitlab("gitlab.example.com/grp/sub/proj//ci/build.yml@refs/tags/v1.2.3"),
		"gitlab branch with '/'": gitlab("gitlab.example.com/grp/proj//.gitlab-ci.yml@refs/heads/feature/x"),
	}
	for name, id := range certified {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := c.Issue(context.Background(), key(t).Public(), id); err != nil {
				t.Fatalf("Issue: %v", err)
			}
		})
	}
}
