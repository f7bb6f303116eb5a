package verify_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ztci/ztci/verify"
)

func addBundleSeeds(f *testing.F) {
	f.Helper()
	for _, p := range []string{
		"testdata/conformance/happy-path-v0.1/bundle.sigstore.json",
		"testdata/conformance/happy-path-v0.2/bundle.sigstore.json",
		"testdata/conformance/happy-path-v0.3/bundle.sigstore.json",
		"testdata/conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json",
		"testdata/conformance/rekor2-happy-path/bundle.sigstore.json",
		"testdata/conformance/managed-key-happy-path/bundle.sigstore.json",
		"testdata/conformance/bundle-malformed-json_fail/bundle.sigstore.json",
		"testdata/slsa/gha_delegator/v1.9.0/binary-linux-amd64-push-v14.2.build.slsa",
	} {
		b, err := os.ReadFile(filepath.FromSlash(p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","MediaType":"x"}`))
	f.Add([]byte(`{"mediaType":"a","\u006dediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	variants, _ := ambiguousBundles(f)
	for _, b := range variants {
		f.Add(b)
	}
}

// FuzzValidateBundle: arbitrary bytes never panic and every error is a
// verification error.
func FuzzValidateBundle(f *testing.F) {
	addBundleSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		mt, err := verify.ValidateBundle(b)
		if err != nil {
			if !errors.Is(err, verify.ErrVerification) {
				t.Fatalf("error outside the hierarchy: %v", err)
			}
			return
		}
		if !strings.HasPrefix(mt, "application/vnd.dev.sigstore.bundle") {
			t.Fatalf("accepted media type %q", mt)
		}
	})
}

// FuzzVerify verifies arbitrary bytes as a bundle with the public-good root
// and the conformance identity: no panic, errors in the hierarchy, and a
// success only with the expected signer over the expected artifact.
func FuzzVerify(f *testing.F) {
	addBundleSeeds(f)
	trust, err := verify.PublicGood()
	if err != nil {
		f.Fatal(err)
	}
	v, err := verify.New(trust, verify.Expectation{Signer: verify.Identity{SAN: conformanceIdentity, Issuer: conformanceIssuer}}, verify.WithAnyPredicateTypeUnsafe())
	if err != nil {
		f.Fatal(err)
	}
	artifact, err := os.ReadFile("testdata/conformance/a.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := v.Verify(t.Context(), b, verify.ArtifactBytes(artifact))
		if err != nil {
			if !errors.Is(err, verify.ErrVerification) {
				t.Fatalf("error outside the hierarchy: %v", err)
			}
			return
		}
		if res.Signer.SAN != conformanceIdentity || res.Signer.Issuer != conformanceIssuer {
			t.Fatalf("verified with signer %+v", res.Signer)
		}
		if res.Artifact != "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf" {
			t.Fatalf("verified artifact %s", res.Artifact)
		}
	})
}
