package tuf_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/tuf"
)

var update = flag.Bool("update", false, "rewrite testdata/repository (the Example's TUF repository)")

// exampleRepository is a TUF repository on disk whose metadata expires in
// 2100, serving the public-good trusted root; TestWriteExampleRepository
// writes it with go test -run TestWriteExampleRepository -update.
const exampleRepository = "testdata/repository"

// A gate keeps its verifier in a Live: built from the trusted root that TUF
// vouches for, rebuilt only when that root changes, refreshed in the
// background. Here the repository is a directory served on 127.0.0.1, so
// the example runs offline.
func Example() {
	srv := httptest.NewServer(http.FileServer(http.Dir(exampleRepository)))
	defer srv.Close()
	anchor, err := os.ReadFile(filepath.Join(exampleRepository, "1.root.json"))
	if err != nil {
		panic(err)
	}
	cache, err := os.MkdirTemp("", "tuf-cache")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(cache)

	ctx := context.Background()
	// In production: tuf.Open(ctx, tuf.PublicGoodMirror, tuf.PublicGoodRoot(), cacheDir).
	client, err := tuf.Open(ctx, srv.URL, anchor, cache)
	if err != nil {
		fmt.Println("no trusted root:", err)
		return
	}
	// The gate says what it relies on: who signed, and what the statement
	// is (here SLSA provenance). Without a predicate type any statement by
	// that signer would pass, an SBOM where provenance is required.
	expect := verify.Expectation{Signer: verify.Identity{
		SAN:    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
		Issuer: "https://token.actions.githubusercontent.com",
	}, PredicateType: attest.PredicateSLSAProvenanceV1}
	live, err := tuf.NewLive(client, func(r *tuf.Root) (*verify.Verifier, error) {
		return verify.New(r.Material, expect)
	})
	if err != nil {
		panic(err)
	}
	if err := live.Start(ctx); err != nil {
		panic(err)
	}
	defer live.Close()

	// The hot path: no I/O, fails closed once the TUF metadata expired.
	v, err := live.Get()
	if err != nil {
		fmt.Println("deny:", err)
		return
	}
	bundleJSON, _ := os.ReadFile("../testdata/conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json")
	artifact, _ := os.ReadFile("../testdata/conformance/a.txt")
	res, err := v.Verify(ctx, bundleJSON, verify.ArtifactBytes(artifact))
	if err != nil {
		fmt.Println("deny:", err)
		return
	}
	fmt.Println("root version:", live.Root().Version)
	fmt.Println("trusted root is the public-good snapshot:", live.Root().Revision == revisionOf(verify.PublicGoodJSON()))
	fmt.Println("signer:", res.Signer.SAN)
	// Output:
	// root version: 1
	// trusted root is the public-good snapshot: true
	// signer: https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
}

// TestWriteExampleRepository (with -update) writes the Example's repository:
// a fresh key per role, everything expiring in 2100. The private keys are
// not kept: a new version means a new repository.
func TestWriteExampleRepository(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite " + exampleRepository)
	}
	repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
	end := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	repo.root.Signed.Expires, repo.targets.Signed.Expires = end, end
	repo.snapshot.Signed.Expires, repo.timestamp.Signed.Expires = end, end
	repo.signRoot(repo.signers["root"])
	repo.signTargets()
	repo.signSnapshot()
	repo.signTimestamp()
	if err := os.RemoveAll(exampleRepository); err != nil {
		t.Fatal(err)
	}
	for name, b := range repo.files {
		p := filepath.Join(exampleRepository, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d files to %s", len(repo.files), exampleRepository)
}
