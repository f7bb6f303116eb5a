package verify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/verify"
)

// A keyed bundle's hint is not signed: a verifier pinned to one key
// reports that key's fingerprint, whatever hint the bundle carries, so
// that revoking a key by its id, counting distinct signers and the records
// that name the key cannot be steered by rewriting or dropping the hint.
func TestPinnedKeyHintIsTheKeys(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s, err := attest.NewKeySigner(key, attest.WithEmbeddedTimestampAuthority(e.tsa.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(t.Context(), s, rtStatement(t, rtArtifact))
	if err != nil {
		t.Fatal(err)
	}
	want, err := verify.KeyFingerprint(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	x := rtExpectation()
	x.Signer = verify.PublicKey{Key: key.Public()}
	v, err := verify.New(e.trust, x, privateOpts...)
	if err != nil {
		t.Fatal(err)
	}
	for name, hint := range map[string]any{"as signed": nil, "rewritten": "another-key", "emptied": ""} {
		bundle := b
		if hint != nil {
			bundle = rehint(t, b, hint.(string))
		}
		res, err := v.Verify(t.Context(), bundle, verify.ArtifactBytes(rtArtifact))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.Signer.KeyHint != want {
			t.Errorf("%s: KeyHint %q, want the pinned key's fingerprint %q", name, res.Signer.KeyHint, want)
		}
	}
}

// rehint returns bundle with its public-key hint set to hint.
func rehint(t *testing.T, bundle []byte, hint string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(bundle, &m); err != nil {
		t.Fatal(err)
	}
	vm := m["verificationMaterial"].(map[string]any)
	vm["publicKey"] = map[string]any{"hint": hint}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
