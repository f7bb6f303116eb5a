package vsa_test

import (
	"fmt"
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
