package attest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
)

// TestReview21JobProvenanceSourceDependency: the source of a job's
// provenance is the verified identity's, stated first in
// resolvedDependencies; a caller's Dependencies naming the same repository
// at another commit or ref was appended after it, so the signed provenance
// named the source twice, and a reader that looks the source repository
// up among the dependencies (rather than at index 0) read the caller's
// commit. Any dependency naming the source repository, in any spelling
// verify treats as the same (with or without git+ or .git, the host in
// another case), is refused with ErrJobProvenance; others are kept.
func TestReview21JobProvenanceSourceDependency(t *testing.T) {
	t.Parallel()
	other := attest.DigestSet{"gitCommit": strings.Repeat("b", 40)}
	for _, uri := range []string{
		"git+https://git.example/acme/app@refs/heads/main",
		"git+https://git.example/acme/app@refs/heads/evil",
		"git+https://git.example/acme/app.git@refs/heads/main",
		"git+https://GIT.example/acme/app@refs/heads/main",
		"https://git.example/acme/app",
		"git+https://git.example/acme/app/",
		"git+ssh://git@git.example/acme/app@refs/heads/main",
	} {
		b := releaseBuild
		b.Dependencies = []attest.ResourceDescriptor{{URI: uri, Digest: other}}
		if _, err := attest.JobProvenance(releaseJob, b); !errors.Is(err, attest.ErrJobProvenance) {
			t.Errorf("dependency %s: err %v, want ErrJobProvenance", uri, err)
		}
	}
	b := releaseBuild
	b.Dependencies = []attest.ResourceDescriptor{
		{URI: "git+https://git.example/acme/lib@refs/tags/v1", Digest: other},
		{URI: "git+https://git.example/acme/app-tools@refs/heads/main", Digest: other},
		{Name: "go.sum", Digest: attest.DigestSet{"sha256": strings.Repeat("c", 64)}},
	}
	p, err := attest.JobProvenance(releaseJob, b)
	if err != nil {
		t.Fatalf("other dependencies: %v", err)
	}
	if n := len(p.BuildDefinition.ResolvedDependencies); n != 4 {
		t.Errorf("%d resolved dependencies, want the source and 3", n)
	}
}
