package claims_test

import (
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/claims"
)

// TestReview17BuildkiteRefIsAGitRef: Buildkite's build_branch became Ref
// as "refs/heads/" + whatever it held. Buildkite names a third-party
// fork's pull-request branch "<fork owner>:<branch>", and a build's branch
// is whatever its creator typed, so a fork's build read as
// "refs/heads/evil:main", a branch of the repository to a grant on
// MatchClaimGlob("ref", "refs/heads/*") or MatchClaimPrefix("ref",
// "refs/heads/"), though git refuses ':' in a ref name. A build_branch or
// build_tag git could not name gets no Ref.
func TestReview17BuildkiteRefIsAGitRef(t *testing.T) {
	t.Parallel()
	build := func(kv ...string) map[string]any {
		raw := map[string]any{"organization_slug": "acme", "pipeline_slug": "app", "build_commit": "0123abcd", "build_tag": nil}
		for i := 0; i < len(kv); i += 2 {
			raw[kv[i]] = kv[i+1]
		}
		return raw
	}
	branches := identity.MatchClaimGlob("ref", "refs/heads/*")
	for _, name := range []string{"evil:main", "a..b", "main.lock", "feature/.hidden", "a b", "-main", "x@{1}", "a//b", "main/",
		"tab\tx", "star*", "q?", "br[0]", "til~1", "car^", `back\slash`, "@", "dot."} {
		c, err := claims.Buildkite(build("build_branch", name))
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if c.Ref != "" || branches.Match(identity.Identity{Issuer: "https://agent.buildkite.com", Subject: "s", Claims: c}) {
			t.Errorf("build_branch %q: Ref = %q, want none", name, c.Ref)
		}
		if c, _ := claims.Buildkite(build("build_tag", name)); c.Ref != "" {
			t.Errorf("build_tag %q: Ref = %q, want none", name, c.Ref)
		}
	}
	for kv, want := range map[[2]string]string{
		{"build_branch", "main"}:                                   "refs/heads/main",
		{"build_branch", "feature/x-1.2"}:                          "refs/heads/feature/x-1.2",
		{"build_branch", "dependabot/npm_and_yarn/@types/node-20"}: "refs/heads/dependabot/npm_and_yarn/@types/node-20",
		{"build_tag", "v1.2.3"}:                                    "refs/tags/v1.2.3",
	} {
		if c, err := claims.Buildkite(build(kv[0], kv[1])); err != nil || c.Ref != want {
			t.Errorf("%s %q: Ref = %q, %v; want %q", kv[0], kv[1], c.Ref, err, want)
		}
	}
}
