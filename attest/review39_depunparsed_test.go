package attest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
)

// TestReview39DepUnparsedJobProvenance: a caller's dependency that is a
// URL on the source's host but does not parse ("%zz", a DEL, a bad port)
// was kept, though a lenient URL reader may read the source repository in
// it, and slsasource.Of (verify's reader) refuses it as a possible second
// source: the writer signed provenances its own reader refuses. Writer and
// reader now share slsasource.MayNameSource; such a dependency on another
// host is kept.
func TestReview39DepUnparsedJobProvenance(t *testing.T) {
	t.Parallel()
	other := attest.DigestSet{"gitCommit": strings.Repeat("b", 40)}
	for _, tt := range []struct{ name, uri string }{
		{"invalid escape", "git+https://git.example/%zz/../acme/app@refs/heads/evil"},
		{"control character", "git+https://git.example/acme/app\x7f@refs/heads/evil"},
		{"bad port", "git+https://git.example:x/acme/app@refs/heads/evil"},
		{"encoded too deep", "git+https://git.example/%2525252561cme/app@refs/heads/evil"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := releaseBuild
			b.Dependencies = []attest.ResourceDescriptor{{URI: tt.uri, Digest: other}}
			if _, err := attest.JobProvenance(releaseJob, b); !errors.Is(err, attest.ErrJobProvenance) {
				t.Fatalf("dependency %q: err %v, want ErrJobProvenance", tt.uri, err)
			}
		})
	}
	b := releaseBuild
	b.Dependencies = []attest.ResourceDescriptor{
		{URI: "git+https://other.example/%zz/acme/app@refs/heads/main", Digest: other},
	}
	if _, err := attest.JobProvenance(releaseJob, b); err != nil {
		t.Fatalf("unparseable on another host: %v", err)
	}
}
