package gate

import (
	"testing"

	"github.com/ztci/ztci/attest/vsa"
	"github.com/ztci/ztci/verify"
)

// TestReview16SummaryNamesTheKeyNotTheHint: a summary the gate issues
// (WithVSA) named a keyed input by the bundle's hint, which the bundle
// chooses: a trusting gate, which revokes keys and counts distinct signers
// by that annotation (Revocations.Keys, meetsThreshold), saw one key under
// two hints as two signers and a key revoked by its fingerprint as
// unrevoked. It names the key that verified the bundle.
func TestReview16SummaryNamesTheKeyNotTheHint(t *testing.T) {
	r := &verify.Result{Signer: verify.SignerInfo{Kind: verify.SignerKey, KeyHint: "chosen-by-the-bundle", KeyFingerprint: "the-key"}}
	ann := inputAnnotations(r, Attestation(r))
	if got := ann[vsa.AnnotationKeyHint]; got != "the-key" {
		t.Fatalf("key annotation %v; want the key that verified, %q", got, "the-key")
	}
	a, err := Admission(Artifact("app", "sha256:00", true, r), []*verify.Result{r})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Signers) != 1 || a.Signers[0].KeyID != "the-key" {
		t.Fatalf("inventory signers %+v; want key id %q", a.Signers, "the-key")
	}
	// Without a fingerprint (a verifier that reports none) the hint stands.
	r.Signer.KeyFingerprint = ""
	if got := inputAnnotations(r, Attestation(r))[vsa.AnnotationKeyHint]; got != "chosen-by-the-bundle" {
		t.Fatalf("key annotation %v; want the hint", got)
	}
}
