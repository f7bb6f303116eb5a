package verify_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/verify"
)

// A real GitHub Actions provenance bundle from the public-good instance
// (sigstore-conformance's happy-path-intoto-in-dsse-v3), verified offline
// against the embedded trusted root. The signer (a workflow of
// sigstore-conformance) and the builder named in the provenance (a workflow
// of loosebazooka/aa-test) differ: they are separate expectations.
func ExampleVerifier_Verify() {
	trust, err := verify.PublicGood()
	if err != nil {
		panic(err)
	}
	v, err := verify.New(trust, verify.Expectation{
		Signer: verify.Identity{
			SAN:    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
			Issuer: "https://token.actions.githubusercontent.com",
			Claims: verify.Claims{SourceRepositoryRef: "refs/heads/main"},
		},
		PredicateType: attest.PredicateSLSAProvenanceV1,
		Provenance: &verify.Provenance{
			BuilderID:        "https://github.com/loosebazooka/aa-test/.github/workflows/provenance.yaml",
			SourceRepository: "github.com/loosebazooka/aa-test",
			SourceRef:        "refs/heads/main",
		},
	})
	if err != nil {
		panic(err)
	}
	bundleJSON, _ := os.ReadFile("testdata/conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json")
	artifact, _ := os.ReadFile("testdata/conformance/a.txt")

	res, err := v.Verify(context.Background(), bundleJSON, verify.ArtifactBytes(artifact))
	if err != nil {
		fmt.Println("denied:", err)
		return
	}
	fmt.Print(res)
	// Output:
	// verified sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf
	//   bundle:    application/vnd.dev.sigstore.bundle.v0.3+json
	//   signer:    https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main (issuer https://token.actions.githubusercontent.com)
	//     buildSignerURI: https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
	//     buildSignerDigest: 82a3bfe6dd50fe9c71d6315eae66da15307856cf
	//     runnerEnvironment: github-hosted
	//     sourceRepositoryURI: https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon
	//     sourceRepositoryDigest: 82a3bfe6dd50fe9c71d6315eae66da15307856cf
	//     sourceRepositoryRef: refs/heads/main
	//     sourceRepositoryIdentifier: 632596897
	//     sourceRepositoryOwnerURI: https://github.com/sigstore-conformance
	//     sourceRepositoryOwnerIdentifier: 131804563
	//     buildConfigURI: https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
	//     buildConfigDigest: 82a3bfe6dd50fe9c71d6315eae66da15307856cf
	//     buildTrigger: workflow_dispatch
	//     runInvocationURI: https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/actions/runs/12359147651/attempts/1
	//     sourceRepositoryVisibilityAtSigning: public
	//   signed at: 2024-12-16T18:42:56Z (proven by tlog https://rekor.sigstore.dev)
	//   statement: https://slsa.dev/provenance/v1, 1 subject(s)
	//   checks:    bundle, tlog, timestamp, certificate-chain, sct, signature, artifact, identity, predicate-type, provenance
}

// Every failure is an ErrVerification; mismatches say what was expected and
// what was found.
func ExampleIdentityMismatchError() {
	trust, err := verify.PublicGood()
	if err != nil {
		panic(err)
	}
	// Check New's error: a verifier that was not built decides nothing.
	v, err := verify.New(trust, verify.Expectation{
		Signer:        verify.Identity{SANRegexp: `https://github\.com/my-org/.*`, Issuer: "https://token.actions.githubusercontent.com"},
		PredicateType: attest.PredicateSLSAProvenanceV1,
	})
	if err != nil {
		panic(err)
	}
	bundleJSON, _ := os.ReadFile("testdata/conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json")
	artifact, _ := os.ReadFile("testdata/conformance/a.txt")

	_, err = v.Verify(context.Background(), bundleJSON, verify.ArtifactBytes(artifact))
	var mismatch *verify.IdentityMismatchError
	if errors.As(err, &mismatch) {
		fmt.Println("field:", mismatch.Field)
		fmt.Println("want: ", mismatch.Want)
		fmt.Println("got:  ", mismatch.Got)
	}
	fmt.Println("denied:", errors.Is(err, verify.ErrVerification))
	// Output:
	// field: san
	// want:  regexp ^(?:https://github\.com/my-org/.*)$
	// got:   https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
	// denied: true
}

// Verifying without saying who must have signed is refused.
func ExampleNew_noSigner() {
	trust, _ := verify.PublicGood()
	_, err := verify.New(trust, verify.Expectation{PredicateType: attest.PredicateSLSAProvenanceV1})
	fmt.Println(errors.Is(err, verify.ErrInvalidExpectation))
	// Output: true
}

// The artifact can be given by digest, as a deploy gate that only knows an
// image or file digest would.
func ExampleArtifactDigest() {
	trust, err := verify.PublicGood()
	if err != nil {
		panic(err)
	}
	// Check New's error: a verifier that was not built decides nothing.
	v, err := verify.New(trust, verify.Expectation{
		Signer: verify.Identity{
			SAN:    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
			Issuer: "https://token.actions.githubusercontent.com",
		},
	})
	if err != nil {
		panic(err)
	}
	art, err := verify.ArtifactDigest("sha256", "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf")
	if err != nil {
		panic(err)
	}
	bundleJSON, _ := os.ReadFile("testdata/conformance/happy-path-v0.3/bundle.sigstore.json")
	res, err := v.Verify(context.Background(), bundleJSON, art)
	if err != nil {
		fmt.Println("denied:", err)
		return
	}
	fmt.Println(strings.Join(res.Checks, " "))
	fmt.Println(res.Times[0].By)
	// Output:
	// bundle tlog timestamp certificate-chain sct signature artifact identity predicate-type
	// tlog
}

// CheckProvenance checks the build, separately from the signer: here the
// provenance's builder is a different workflow from the signing identity.
func ExampleCheckProvenance() {
	trust, err := verify.PublicGood()
	if err != nil {
		panic(err)
	}
	// Check New's error: a verifier that was not built decides nothing.
	v, err := verify.New(trust, verify.Expectation{
		Signer: verify.Identity{
			SANRegexp: `https://github\.com/slsa-framework/slsa-github-generator/\.github/workflows/delegator_generic_slsa3\.yml@refs/tags/v.*`,
			Issuer:    "https://token.actions.githubusercontent.com",
		},
		PredicateType: attest.PredicateSLSAProvenanceV1,
	})
	if err != nil {
		panic(err)
	}
	dir := "testdata/slsa/gha_delegator/v2.1.0/"
	bundleJSON, _ := os.ReadFile(dir + "binary-linux-amd64-push-v14.2.build.slsa")
	artifact, _ := os.ReadFile(dir + "binary-linux-amd64-push-v14.2")
	res, err := v.Verify(context.Background(), bundleJSON, verify.ArtifactBytes(artifact))
	if err != nil {
		fmt.Println("denied:", err)
		return
	}
	facts, err := verify.CheckProvenance(res.Statement, verify.Provenance{
		BuilderID:        "https://github.com/slsa-framework/example-trw/.github/workflows/builder_high-perms_slsa3.yml",
		SourceRepository: "github.com/slsa-framework/example-package",
		SourceVersionTag: "v14",
	})
	if err != nil {
		fmt.Println("denied:", err)
		return
	}
	fmt.Println("signer: ", res.Signer.SAN)
	fmt.Println("builder:", facts.BuilderID)
	fmt.Println("source: ", facts.SourceRepository, facts.SourceRef)
	// Output:
	// signer:  https://github.com/slsa-framework/slsa-github-generator/.github/workflows/delegator_generic_slsa3.yml@refs/tags/v2.1.0
	// builder: https://github.com/slsa-framework/example-trw/.github/workflows/builder_high-perms_slsa3.yml@refs/tags/v2.1.0
	// source:  git+https://github.com/slsa-framework/example-package refs/tags/v14.2
}

// A Result marshals to stable JSON without protobuf types.
func ExampleResult_json() {
	trust, err := verify.PublicGood()
	if err != nil {
		panic(err)
	}
	// Check New's error: a verifier that was not built decides nothing.
	v, err := verify.New(trust, verify.Expectation{
		Signer: verify.Identity{
			SAN:    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
			Issuer: "https://token.actions.githubusercontent.com",
		},
	})
	if err != nil {
		panic(err)
	}
	bundleJSON, _ := os.ReadFile("testdata/conformance/happy-path-v0.3/bundle.sigstore.json")
	artifact, _ := os.ReadFile("testdata/conformance/a.txt")
	res, err := v.Verify(context.Background(), bundleJSON, verify.ArtifactBytes(artifact))
	if err != nil {
		fmt.Println("denied:", err)
		return
	}
	out, _ := json.Marshal(struct {
		Signer verify.SignerInfo `json:"signer"`
	}{res.Signer})
	var m map[string]map[string]any
	_ = json.Unmarshal(out, &m)
	fmt.Println(m["signer"]["kind"], m["signer"]["claims"].(map[string]any)["sourceRepositoryRef"])
	// Output: certificate refs/heads/main
}

// An Ed25519 key that signs Ed25519ph, as cosign v2.6 and later do with
// `cosign sign --key`, `cosign attest --key` and `cosign sign-blob --key`,
// is pinned so: it then verifies Ed25519ph signatures only. The option
// means nothing for another key type, so New refuses it there.
func ExamplePublicKey_ed25519ph() {
	trust, _ := verify.PublicGood()
	key, _ := verify.ParsePublicKeyPEM([]byte(`-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAw00JTR3Yq2Nyu+hzfq885uXuAiKTX3nxGfkX4/16log=
-----END PUBLIC KEY-----`))
	key.Ed25519ph = true
	_, err := verify.New(trust, verify.Expectation{Signer: key})
	fmt.Println("Ed25519 key pinned Ed25519ph:", err)

	ecKey, _ := verify.ParsePublicKeyPEM([]byte(`-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEcN9ez8H9gGXSaVfq4ffXmGTDtziz
uXNa94VaNIsRVLgvSkF04VGFsxPv8hTchgu9bdDOsrw9rWXuL1dX/T9PKA==
-----END PUBLIC KEY-----`))
	ecKey.Ed25519ph = true
	_, err = verify.New(trust, verify.Expectation{Signer: ecKey})
	var ke *verify.KeyAlgorithmError
	fmt.Println("ECDSA key pinned Ed25519ph:", errors.As(err, &ke), errors.Is(err, verify.ErrInvalidExpectation))
	fmt.Println(err)
	// Output:
	// Ed25519 key pinned Ed25519ph: <nil>
	// ECDSA key pinned Ed25519ph: true true
	// verify: Ed25519ph needs an Ed25519 key, got *ecdsa.PublicKey
}

// KeyFingerprint is the key id a keyed bundle's signer is reported by (and
// revoked by): the base64 SHA-256 of the public key's PKIX encoding.
func ExampleKeyFingerprint() {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	id, err := verify.KeyFingerprint(key.Public())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(id)
	// Output: M54v+RdjBQe2pCO1zghOKF0fpl2Ts+J6YZXTu+vJriM=
}
