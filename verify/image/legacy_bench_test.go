package image_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// BenchmarkLegacy measures what reading a cosign legacy signature adds to
// verifying it: the conversion alone, and conversion + verification against
// verification of the already converted bundle (the peer, same run), by
// digest and by payload, on the public-good Rekor vector.
func BenchmarkLegacy(b *testing.B) {
	dir := filepath.Join("testdata", "cosign-legacy", "rekor-public-good-357097618")
	read := func(f string) []byte {
		x, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			b.Fatal(err)
		}
		return x
	}
	var ann map[string]string
	if err := json.Unmarshal(read("annotations.json"), &ann); err != nil {
		b.Fatal(err)
	}
	payload := read("payload.json")
	img, err := v1.NewHash(strings.TrimSpace(string(read("image-digest"))))
	if err != nil {
		b.Fatal(err)
	}
	key, err := verify.ParsePublicKeyPEM(read("cosign.pub"))
	if err != nil {
		b.Fatal(err)
	}
	trust, err := verify.PublicGood()
	if err != nil {
		b.Fatal(err)
	}
	vv, err := verify.New(trust, verify.Expectation{Signer: key})
	if err != nil {
		b.Fatal(err)
	}
	bv, err := image.VerifyBundles(vv)
	if err != nil {
		b.Fatal(err)
	}
	layer := v1.Descriptor{MediaType: image.MediaTypeSimpleSigning, Annotations: ann}
	lb, err := image.ConvertLegacy(layer, payload, img)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("convert", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := image.ConvertLegacy(layer, payload, img); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("convert+verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			lb, err := image.ConvertLegacy(layer, payload, img)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := bv.VerifyBundle(b.Context(), lb.Bundle, lb.Artifact); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify-converted-bundle", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bv.VerifyBundle(b.Context(), lb.Bundle, lb.Artifact); err != nil {
				b.Fatal(err)
			}
		}
	})
	// What a Verifier does for a ".sig" since VerifyBundles is a
	// LegacyPayloadVerifier: the same bundle verified against the payload's
	// bytes instead of its digest (the peer is verify-converted-bundle).
	pv := bv.(image.LegacyPayloadVerifier)
	b.Run("verify-converted-bundle-payload", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pv.VerifyLegacyPayload(b.Context(), lb.Bundle, lb.Payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}
