package vsa_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vsa"
)

// A gate writes the summary of an allow as an in-toto Statement about the
// image digest; a consumer reads it back from the verified Statement.
func Example() {
	digest := strings.Repeat("ab", 32)
	st, err := attest.NewStatement(
		[]attest.ResourceDescriptor{{Name: "registry.example/app", Digest: attest.DigestSet{"sha256": digest}}},
		vsa.Predicate(vsa.Summary{
			Verifier:     vsa.Verifier{ID: "https://gate.example/staging"},
			TimeVerified: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
			ResourceURI:  "pkg:oci/app@sha256%3A" + digest + "?repository_url=registry.example/app",
			Policy: attest.ResourceDescriptor{URI: "https://gate.example/policy/deploy",
				Annotations: map[string]any{vsa.AnnotationPolicyRevision: "deploy-2026-03"}},
			InputAttestations: []attest.ResourceDescriptor{{Digest: attest.DigestSet{"sha256": strings.Repeat("cd", 32)}}},
			Result:            vsa.Passed,
			VerifiedLevels:    []string{"SLSA_BUILD_LEVEL_3"},
		}))
	if err != nil {
		panic(err)
	}
	// ... attest.Sign(ctx, signer, st), attach, and later verify the bundle;
	// then, on the verified Statement:
	s, err := vsa.FromStatement(st)
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Verifier.ID, s.Result, s.VerifiedLevels, s.PolicyRevision(), len(s.InputAttestations))
	// Output:
	// https://gate.example/staging PASSED [SLSA_BUILD_LEVEL_3] deploy-2026-03 1
}

// A consumer verifies a VSA a third-party verifier (here Google's BCID
// verifier, the vector slsa-verifier tests with) signed as a raw DSSE
// envelope, with the verifier's pinned key, as slsa-verifier verify-vsa
// does.
func ExampleVerifyThirdParty() {
	envelope, err := os.ReadFile("testdata/slsa-verifier-gce-vsa.intoto.jsonl")
	if err != nil {
		panic(err)
	}
	pemKey, err := os.ReadFile("testdata/slsa-verifier-gce-vsa-key.pem")
	if err != nil {
		panic(err)
	}
	blk, _ := pem.Decode(pemKey)
	key, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		panic(err)
	}
	want := vsa.ThirdPartyExpectations{
		Key:            key,
		KeyID:          "keystore://76574:prod:vsa_signing_public_key",
		SubjectDigests: attest.DigestSet{"gce_image_id": "8970095005306000053"},
		VerifierID:     "https://bcid.corp.google.com/verifier/bcid_package_enforcer/v0.1",
		ResourceURI:    "gce_image://gke-node-images:gke-12615-gke1418000-cos-101-17162-463-29-c-cgpv1-pre",
		VerifiedLevels: []string{"SLSA_BUILD_LEVEL_1"}, // the summary's level 2 covers 1
	}
	v, err := vsa.VerifyThirdParty(context.Background(), envelope, want)
	if err != nil {
		panic(err)
	}
	fmt.Println(v.Summary.Result, v.Summary.VerifiedLevels, v.Summary.TimeVerified.Format(time.DateOnly))

	// Asking for more than it verified is refused, naming the check.
	want.VerifiedLevels = []string{"SLSA_BUILD_LEVEL_3"}
	_, err = vsa.VerifyThirdParty(context.Background(), envelope, want)
	var ce *vsa.CheckError
	fmt.Println(errors.Is(err, vsa.ErrLevels), errors.As(err, &ce) && ce.Check == "verifiedLevels")
	// Output:
	// PASSED [BCID_L1 SLSA_BUILD_LEVEL_2] 2024-06-12
	// true true
}
