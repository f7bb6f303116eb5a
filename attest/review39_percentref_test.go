package attest_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
)

// TestReview39PercentRefJobProvenance: JobProvenance stated a ref holding a
// percent-escape as written in the source "<uri>@<ref>". Git allows '%' in
// a branch name, and a verifier that reads the source with a URI parser
// (Go's url.Parse(...).Path, a WHATWG parser) decodes it: the branch
// "%6Dain", which anyone who may push a branch can create, read back as
// refs/heads/main, and "x%40refs/tags/v1.2.3" as a tag to a reader that
// splits the decoded path at its last '@'. A ref with '%' is refused, as
// one with '@' or '#' is: what ztci states is the claim or nothing.
func TestReview39PercentRefJobProvenance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, ref string
	}{
		{"escaped letter reads as main", "refs/heads/%6Dain"},
		{"escaped upper-case hex", "refs/heads/%6D%61in"},
		{"escaped at reads as a tag", "refs/heads/x%40refs/tags/v1.2.3"},
		{"escaped percent", "refs/heads/100%25-%41"},
		{"escaped space", "refs/heads/a%20b"},
		{"escaped newline", "refs/heads/a%0Ab"},
		{"bare percent", "refs/heads/100%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id := releaseJob
			id.Claims.Ref = tt.ref
			if _, err := attest.JobProvenance(id, releaseBuild); !errors.Is(err, attest.ErrJobProvenance) {
				t.Fatalf("ref %q: err %v, want ErrJobProvenance", tt.ref, err)
			}
		})
	}
}

// TestReview39PercentRefReadsBack: every ref JobProvenance accepts reads
// back, through a URI parser, as the ref it was given.
func TestReview39PercentRefReadsBack(t *testing.T) {
	t.Parallel()
	for _, ref := range []string{"refs/heads/main", "refs/tags/v1.2.3", "refs/pull/1/merge", "refs/heads/feature/x-y_z.1", "refs/heads/ü"} {
		id := releaseJob
		id.Claims.Ref = ref
		p, err := attest.JobProvenance(id, releaseBuild)
		if err != nil {
			t.Errorf("ref %q: %v", ref, err)
			continue
		}
		src := p.BuildDefinition.ResolvedDependencies[0].URI
		u, err := url.Parse(strings.TrimPrefix(src, "git+"))
		if err != nil {
			t.Errorf("source %q: %v", src, err)
			continue
		}
		if _, got, _ := strings.Cut(u.Path, "@"); got != ref {
			t.Errorf("source %q reads back as ref %q, want %q", src, got, ref)
		}
	}
}
