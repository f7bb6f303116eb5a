package blob_test

import (
	"testing"

	"github.com/ztci/ztci/verify/blob"
)

// BenchmarkVerify measures, in one run on the real cosign vector, what the
// conversion of detached files costs next to the verification itself:
// parsing the three files and converting them (Convert), verifying the
// converted bundle (VerifyConverted: the verify.Verifier alone, the
// baseline), and both (Detached).
func BenchmarkVerify(b *testing.B) {
	v := loadVector(b, "cosign-v3.1.3-keyless-rekor-v1")
	sigFile, certFile, bundleFile := v.read(b, "artifact.sig"), v.read(b, "artifact.cert"), v.read(b, "artifact.bundle.json")
	art := blob.Bytes(v.artifact)
	bv := v.verifier(b, v.identity)
	parse := func(b *testing.B) *blob.Detached {
		sig, err := blob.ParseSignature(sigFile)
		if err != nil {
			b.Fatal(err)
		}
		cert, err := blob.ParseCertificate(certFile)
		if err != nil {
			b.Fatal(err)
		}
		lb, err := blob.ParseCosignBundle(bundleFile)
		if err != nil {
			b.Fatal(err)
		}
		return &blob.Detached{Signature: sig, Certificate: cert, Entry: lb.Entry}
	}
	b.Run("Convert", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parse(b).Bundle(art); err != nil {
				b.Fatal(err)
			}
		}
	})
	converted, err := parse(b).Bundle(art)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("VerifyConverted", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bv.VerifyBundle(b.Context(), converted, art); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Detached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bv.Verify(b.Context(), parse(b), art); err != nil {
				b.Fatal(err)
			}
		}
	})
}
