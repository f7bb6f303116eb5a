package attest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
)

// TestReview39DepSpellingJobProvenance: a caller's dependency naming the
// source repository was refused only in the spellings verify compares
// alike (git+ or not, .git, host case). A build fetches what it likes, and
// "git+https://git.example/%61cme/app@refs/heads/evil" at another commit
// was kept: a reader that parses and normalises URLs (percent-decoding,
// cleaning the path, dropping a default port) looks the source repository
// up among the dependencies and takes it for the source. Those spellings
// are refused too; other repositories are kept.
func TestReview39DepSpellingJobProvenance(t *testing.T) {
	t.Parallel()
	other := attest.DigestSet{"gitCommit": strings.Repeat("b", 40)}
	tests := []struct {
		name, uri string
	}{
		{"percent-encoded owner", "git+https://git.example/%61cme/app@refs/heads/evil"},
		{"percent-encoded twice", "git+https://git.example/%2561cme/app@refs/heads/evil"},
		{"dot segment", "git+https://git.example/acme/./app@refs/heads/evil"},
		{"dot-dot segment", "git+https://git.example/other/../acme/app@refs/heads/evil"},
		{"default port", "git+https://git.example:443/acme/app@refs/heads/evil"},
		{"path case", "git+https://git.example/ACME/App@refs/heads/evil"},
		{"encoded at", "git+https://git.example/acme/app%40refs/heads/evil"},
		{"http scheme", "git+http://git.example/acme/app@refs/heads/evil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := releaseBuild
			b.Dependencies = []attest.ResourceDescriptor{{URI: tt.uri, Digest: other}}
			if _, err := attest.JobProvenance(releaseJob, b); !errors.Is(err, attest.ErrJobProvenance) {
				t.Fatalf("dependency %s: err %v, want ErrJobProvenance", tt.uri, err)
			}
		})
	}
	b := releaseBuild
	b.Dependencies = []attest.ResourceDescriptor{
		{URI: "git+https://git.example/acme/app-tools@refs/heads/main", Digest: other},
		{URI: "git+https://git.example:8443/acme/app@refs/heads/main", Digest: other},
		{URI: "git+https://other.example/acme/app@refs/heads/main", Digest: other},
		{URI: "pkg:golang/example.com/acme/app@v1.0.0", Digest: other},
	}
	if _, err := attest.JobProvenance(releaseJob, b); err != nil {
		t.Fatalf("other repositories: %v", err)
	}
}
