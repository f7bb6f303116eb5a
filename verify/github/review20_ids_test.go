package github_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/github"
)

// Owner and Repo name a repository by names that can be registered
// again once released (repojacking): a policy can now pin GitHub's
// numeric ids, which the certificate carries and nobody can take over.
func TestReview20RepositoryIDs(t *testing.T) {
	t.Parallel()
	bundles, err := github.ParseBundles(bytes.NewReader(read(t, "sigstore-js-2.1.0_with_2_bundles.jsonl")))
	if err != nil {
		t.Fatal(err)
	}
	art := verify.ArtifactBytes(read(t, "sigstore-js-2.1.0.tgz"))
	// sigstore/sigstore-js's ids, as its release certificates name them.
	const repoID, ownerID = "495574555", "71096353"
	for _, tc := range []struct {
		name        string
		repo, owner string
		wantOK      bool
	}{
		{"both ids", repoID, ownerID, true},
		{"repository id", repoID, "", true},
		{"another repository", "495574556", ownerID, false},
		{"another owner", repoID, "71096354", false},
	} {
		v, err := github.New(github.Policy{Repo: "sigstore/sigstore-js", RepositoryID: tc.repo, OwnerID: tc.owner})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		_, err = v.VerifyAll(t.Context(), bundles, art)
		if tc.wantOK && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !tc.wantOK && !errors.Is(err, verify.ErrIdentityMismatch) {
			t.Errorf("%s: %v, want an identity mismatch", tc.name, err)
		}
	}
	for _, bad := range []string{"0495574555", "4955 74555", "x", "-1"} {
		if _, err := github.New(github.Policy{Repo: "sigstore/sigstore-js", RepositoryID: bad}); !errors.Is(err, verify.ErrInvalidExpectation) {
			t.Errorf("RepositoryID %q: %v, want ErrInvalidExpectation", bad, err)
		}
	}
}
