package image_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

type review15Transport struct{ h http.Handler }

func (t review15Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, r)
	return w.Result(), nil
}

// TestReview15OneKeyOneSigner: k-of-n counts distinct signers. A keyed
// bundle accepted by a verify.Verifier that pins no key (its trust
// material's keys, WithAnySignerUnsafe) was counted as "key #<index of the
// verifier>": one key holder who signed a provenance (accepted by the
// first verifier) and a VSA (refused by the first for its predicate type,
// accepted by the second) was two signers and met a threshold of 2 alone.
// The signer is now the key the material answered with, whichever verifier
// accepted the bundle and whatever hint the bundle chose (this material,
// like cosign's for a --key, ignores hints).
func TestReview15OneKeyOneSigner(t *testing.T) {
	t.Parallel()
	stamps, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := attest.NewTrustedRoot().AddEmbeddedTSA("https://tsa.example", stamps).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadDefaultVerifier(kp.GetPublicKey())
	if err != nil {
		t.Fatal(err)
	}
	keys := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
	})
	trust, err := verify.NewTrust(tr, keys)
	if err != nil {
		t.Fatal(err)
	}
	const provenance, vsa = "https://slsa.dev/provenance/v1", "https://slsa.dev/verification_summary/v1"
	var vs []*verify.Verifier
	for _, pt := range []string{provenance, vsa} {
		v, err := verify.New(trust, verify.Expectation{PredicateType: pt}, verify.WithAnySignerUnsafe(),
			verify.WithTlogThreshold(0), verify.WithSCTThreshold(0), verify.WithSignedTimestampThreshold(1))
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	bv, err := image.VerifyBundles(vs...)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("image manifest"))
	img := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	bundle := func(pt, hint string) []byte {
		st := fmt.Appendf(nil, `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":%q}}],"predicateType":%q,"predicate":{}}`, img.Hex, pt)
		ta := sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: "https://tsa.example/api/v1/timestamp", Transport: review15Transport{stamps.Handler()}})
		b, err := sign.Bundle(&sign.DSSEData{Data: st, PayloadType: "application/vnd.in-toto+json"}, kp,
			sign.BundleOptions{TimestampAuthorities: []*sign.TimestampAuthority{ta}, Context: t.Context()})
		if err != nil {
			t.Fatal(err)
		}
		out, err := protojson.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if hint != "" {
			var m map[string]any
			if err := json.Unmarshal(out, &m); err != nil {
				t.Fatal(err)
			}
			m["verificationMaterial"].(map[string]any)["publicKey"].(map[string]any)["hint"] = hint
			if out, err = json.Marshal(m); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	seen := map[string]bool{}
	for _, b := range [][]byte{bundle(provenance, ""), bundle(vsa, ""), bundle(vsa, "another-name")} {
		br, err := bv.VerifyBundle(t.Context(), b, img)
		if err != nil {
			t.Fatal(err)
		}
		seen[br.Signer] = true
	}
	if len(seen) != 1 {
		t.Fatalf("one key counted as %d signers: %v", len(seen), seen)
	}
	fp, err := verify.KeyFingerprint(kp.GetPublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if !seen["key "+fp] {
		t.Errorf("signer %v, want %q", seen, "key "+fp)
	}
}
