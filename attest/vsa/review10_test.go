package vsa_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vsa"
)

// TestReview10WritesOnlyWhatItReads: Predicate validated the Summary's
// rules, not its encoding, and wrote annotation and version maps with two
// names equal under case folding, which ParsePredicate refuses (readers
// that fold names take the later one): a signed VSA no reader of this
// package accepts. It now fails with ErrInvalid, and what it writes
// parses.
func TestReview10WritesOnlyWhatItReads(t *testing.T) {
	t.Parallel()
	summary := func(version map[string]string, policy, input map[string]any) vsa.Summary {
		return vsa.Summary{
			Verifier:     vsa.Verifier{ID: "https://gate.example/v1", Version: version},
			TimeVerified: time.Unix(1_700_000_000, 0),
			ResourceURI:  "pkg:oci/app@sha256%3A" + strings.Repeat("a", 64),
			Policy:       attest.ResourceDescriptor{URI: "https://policy.example/p", Annotations: policy},
			InputAttestations: []attest.ResourceDescriptor{{
				Digest: attest.DigestSet{"sha256": strings.Repeat("b", 64)}, Annotations: input,
			}},
			Result:         vsa.Passed,
			VerifiedLevels: []string{"SLSA_BUILD_LEVEL_3"},
		}
	}
	for name, s := range map[string]vsa.Summary{
		"policy annotations": summary(nil, map[string]any{vsa.AnnotationPolicyRevision: "r1", "ZTCI.DEV/POLICY-REVISION": "r2"}, nil),
		"input annotations":  summary(nil, nil, map[string]any{vsa.AnnotationBuilder: "https://a", "ztci.dev/builder\u212a": "x", "ztci.dev/builderk": "y"}),
		"verifier version":   summary(map[string]string{"gate": "1", "GATE": "2"}, nil, nil),
	} {
		b, err := vsa.Predicate(s).PredicateJSON()
		if !errors.Is(err, vsa.ErrInvalid) || b != nil {
			t.Errorf("%s: wrote %s, %v; want ErrInvalid", name, b, err)
		}
	}
	b, err := vsa.Predicate(summary(map[string]string{"gate": "1"}, map[string]any{vsa.AnnotationPolicyRevision: "r1", "x": nil}, nil)).PredicateJSON()
	if err != nil {
		t.Fatal(err)
	}
	if s, err := vsa.ParsePredicate(b); err != nil || s.PolicyRevision() != "r1" {
		t.Fatalf("written summary reads back as %+v, %v", s, err)
	}
}
