package gate

import (
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// TestReview37FoldAboutRepositoryASCIIOnly: a summary's resourceUri names
// the repository's last segment up to ASCII case only. strings.EqualFold
// took "\u212ait" (Kelvin sign) for the repository kit and "ta\u017fk" (long
// s) for task: names no registry holds stood for the repository verified.
// A resourceUri whose scheme and type only Unicode folding makes
// "pkg:oci/" is still read, and refused.
func TestReview37FoldAboutRepositoryASCIIOnly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, repo, uri string
		ok              bool
	}{
		{name: "exact", repo: "registry.example/acme/kit", uri: "pkg:oci/kit@sha256:" + sixtyFour, ok: true},
		{name: "ascii case", repo: "registry.example/acme/kit", uri: "pkg:oci/KIT@sha256:" + sixtyFour, ok: true},
		{name: "kelvin sign", repo: "registry.example/acme/kit", uri: "pkg:oci/\u212ait@sha256:" + sixtyFour},
		{name: "long s", repo: "registry.example/acme/task", uri: "pkg:oci/ta\u017fk@sha256:" + sixtyFour},
		{name: "kelvin sign in scheme", repo: "registry.example/acme/kit", uri: "p\u212ag:oci/copy@sha256:" + sixtyFour},
		{name: "dotted I in type", repo: "registry.example/acme/kit", uri: "pkg:oc\u0130/copy@sha256:" + sixtyFour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			repo, err := name.NewRepository(tc.repo, name.StrictValidation)
			if err != nil {
				t.Fatal(err)
			}
			err = aboutRepository(tc.uri, repo)
			if tc.ok {
				if err != nil {
					t.Fatalf("aboutRepository(%q) = %v", tc.uri, err)
				}
				return
			}
			if !errors.Is(err, ErrVSAOtherRepository) {
				t.Fatalf("aboutRepository(%q) = %v, want ErrVSAOtherRepository", tc.uri, err)
			}
		})
	}
}
