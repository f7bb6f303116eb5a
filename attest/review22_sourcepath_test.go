package attest_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/identity/oidc"
)

// TestReview22JobProvenanceSourcePath: JobProvenance stated the source
// "<uri>@<ref>" with dot segments, "//" or an encoded separator in its
// path. Git refuses ".." in a ref but not '%': the branch
// "%2e%2e/%2e%2e/%2e%2e/victim/app" made the source
// "git+https://git.example/acme/app@refs/heads/%2e%2e/%2e%2e/%2e%2e/victim/app",
// which a verifier that decodes and cleans the path reads as victim/app;
// and a runner's source URI "…/victim/app/%2e%2e/%2e%2e/acme/app" ended
// with the identity's repository while naming victim/app to a verifier
// that compares it as written.
func TestReview22JobProvenanceSourcePath(t *testing.T) {
	t.Parallel()
	refs := map[string]string{
		"%2e%2e in the branch": "refs/heads/%2e%2e/%2e%2e/%2e%2e/victim/app",
		"%2E. in the branch":   "refs/heads/%2E./x",
		"%2f in the branch":    "refs/heads/x%2f..",
		"%5c in the branch":    "refs/heads/x%5cy",
	}
	for name, ref := range refs {
		id := releaseJob
		id.Claims.Ref = ref
		if _, err := attest.JobProvenance(id, releaseBuild); !errors.Is(err, attest.ErrJobProvenance) || !errors.Is(err, oidc.ErrURIPath) {
			t.Errorf("%s: err %v, want ErrJobProvenance and oidc.ErrURIPath", name, err)
		}
	}
	for name, uri := range map[string]string{
		"%2e%2e in the source URI": "git+https://git.example/victim/app/%2e%2e/%2e%2e/acme/app",
		"// in the source URI":     "git+https://git.example/victim//acme/app",
	} {
		b := releaseBuild
		b.SourceURI = uri
		if _, err := attest.JobProvenance(releaseJob, b); !errors.Is(err, attest.ErrJobProvenance) || !errors.Is(err, oidc.ErrURIPath) {
			t.Errorf("%s: err %v, want ErrJobProvenance and oidc.ErrURIPath", name, err)
		}
	}
	// "refs/heads/100%25-%41" was accepted here; a verifier decoding the
	// source reads it as "refs/heads/100%-A", so a ref with '%' is now
	// refused (TestReview39PercentRefJobProvenance).
	for _, ref := range []string{"refs/heads/feature/x/y", "refs/tags/v1.2.3", "refs/pull/1/merge"} {
		id := releaseJob
		id.Claims.Ref = ref
		if _, err := attest.JobProvenance(id, releaseBuild); err != nil {
			t.Errorf("ref %q: %v", ref, err)
		}
	}
}
