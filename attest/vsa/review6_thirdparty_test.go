package vsa_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/ztci/ztci/attest/vsa"
)

// TestReview6ThirdPartySubjectCaseVariant: slsa-verifier reads the
// payload with encoding/json, which takes "Subject" for subject and keeps
// the last; VerifyThirdParty read the exact "subject". A signed payload
// holding both names two sets of artifacts, one per reader: refused.
func TestReview6ThirdPartySubjectCaseVariant(t *testing.T) {
	t.Parallel()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	want := gceExpect(t)
	want.Key, want.KeyID = key.Public(), "key-1"
	payload := gceStatement(t)
	if _, err := vsa.VerifyThirdParty(t.Context(), signEnvelope(t, key, "key-1", payload), want); err != nil {
		t.Fatalf("unaltered payload: %v", err)
	}
	for _, extra := range []string{
		`"Subject":[{"digest":{"gce_image_id":"1"}}],`,
		`"PredicateType":"https://example.com/other",`,
	} {
		bad := bytes.Replace(payload, []byte("{"), []byte("{"+extra), 1)
		if _, err := vsa.VerifyThirdParty(t.Context(), signEnvelope(t, key, "key-1", bad), want); !errors.Is(err, vsa.ErrUnverified) {
			t.Errorf("%s: err = %v, want ErrUnverified", extra, err)
		}
	}
}
