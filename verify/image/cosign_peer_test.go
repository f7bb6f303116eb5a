package image_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// TestCosignPeerRoundTrips counts, on the server side of the same in-process
// registry (referrers API on) and for the same attested image, the requests
// that cosign v3's verify-attestation makes and those VerifyImage makes. It is
// a peer measurement for the README, run by .ci/peers.sh, which builds cosign
// (about 11 minutes on 2 cores); without ZTCI_COSIGN it skips.
func TestCosignPeerRoundTrips(t *testing.T) {
	cosign := os.Getenv("ZTCI_COSIGN")
	if cosign == "" {
		t.Skip("ZTCI_COSIGN is not set: run bash .ci/peers.sh to build cosign and compare")
	}
	var requests atomic.Int64
	reg := ocitest.Start(t, ocitest.GGCRReferrers, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			h.ServeHTTP(w, r)
		})
	})
	tag := reg.Ref(t, "app:v1")
	img := ocitest.PushImage(t, tag, 1)

	sigstore := newEmbeddedSigstore(t)
	trPath := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(trPath, sigstore.trustedRoot, 0o600); err != nil {
		t.Fatal(err)
	}
	release := identity.Identity{Issuer: "https://ci.example", Subject: "https://ci.example/org/app/release.yml@refs/heads/main"}
	bundle := sigstore.sign(t, release, img, attest.PredicateTestResult, `{"result":"PASSED","configuration":[],"url":"https://ci.example/run/1"}`)
	if _, err := attach.Bundle(t.Context(), tag, bundle, attachOpts(nil)...); err != nil {
		t.Fatal(err)
	}

	requests.Store(0)
	out, err := exec.CommandContext(t.Context(), cosign, "verify-attestation",
		"--allow-http-registry", "--trusted-root", trPath,
		"--certificate-identity", release.Subject, "--certificate-oidc-issuer", release.Issuer,
		"--type", attest.PredicateTestResult,
		"--insecure-ignore-tlog", "--insecure-ignore-sct", "--use-signed-timestamps",
		tag.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("cosign verify-attestation: %v\n%s", err, out)
	}
	cosignRequests := requests.Swap(0)

	trust, err := verify.ParseTrustedRoot(sigstore.trustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	vv, err := verify.New(trust, verify.Expectation{
		Signer:        verify.Identity{SAN: release.Subject, Issuer: release.Issuer},
		PredicateType: attest.PredicateTestResult,
	}, verify.WithTlogThreshold(0), verify.WithSCTThreshold(0))
	if err != nil {
		t.Fatal(err)
	}
	bv, err := image.VerifyBundles(vv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := image.NewVerifier(bv, opts(nil)...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.VerifyImage(t.Context(), tag)
	if err != nil || !res.Verified {
		t.Fatalf("VerifyImage: %v %+v", err, res)
	}
	ours := requests.Load()
	t.Logf("cold verify of %s by tag, requests reaching the registry: cosign verify-attestation %d, ztci VerifyImage %d", tag, cosignRequests, ours)
}
