package gate

import (
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// A package URL's scheme and type are case-insensitive: a summary whose
// resourceUri spells "pkg:OCI/" names an OCI repository as much as
// "pkg:oci/" does, and another repository is refused (or the URL, if it
// does not parse), never passed over as a third party's convention.
func TestAboutRepositoryTypeCase(t *testing.T) {
	t.Parallel()
	repo, err := name.NewRepository("registry.example/acme/app", name.StrictValidation)
	if err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{
		"pkg:OCI/copy@sha256:" + sixtyFour + "?repository_url=registry.example/acme/copy",
		"PKG:oci/copy@sha256:" + sixtyFour,
		"pkg:Oci/app@sha256:" + sixtyFour + "?repository_url=registry.example/acme/copy",
	} {
		if err := aboutRepository(uri, repo); !errors.Is(err, ErrVSAOtherRepository) {
			t.Errorf("aboutRepository(%q) = %v, want ErrVSAOtherRepository", uri, err)
		}
	}
	if err := aboutRepository("https://verifier.example/summaries/app", repo); err != nil {
		t.Errorf("a resourceUri of another form: %v", err)
	}
}

const sixtyFour = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
