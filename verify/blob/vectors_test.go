package blob_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/blob"
)

// vector is one directory of real cosign output (testdata/README.md).
type vector struct {
	dir      string
	artifact []byte
	identity verify.Identity
	trust    []byte
}

func loadVector(t testing.TB, name string) *vector {
	t.Helper()
	v := &vector{dir: filepath.Join("testdata", name)}
	v.artifact = v.read(t, "artifact")
	v.trust = v.read(t, "trusted_root.json")
	var id struct{ SAN, Issuer string }
	if err := json.Unmarshal(v.read(t, "identity.json"), &id); err != nil {
		t.Fatal(err)
	}
	v.identity = verify.Identity{SAN: id.SAN, Issuer: id.Issuer}
	return v
}

func (v *vector) read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(v.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (v *vector) verifier(t testing.TB, signer verify.Signer) *blob.Verifier {
	t.Helper()
	trust, err := verify.ParseTrustedRoot(v.trust)
	if err != nil {
		t.Fatal(err)
	}
	// Fulcio ran without a CT log: its certificates carry no SCT.
	vv, err := verify.New(trust, verify.Expectation{Signer: signer}, verify.WithSCTThreshold(0))
	if err != nil {
		t.Fatal(err)
	}
	bv, err := blob.NewVerifier(vv)
	if err != nil {
		t.Fatal(err)
	}
	return bv
}

// TestCosignLegacyVector: cosign v3.1.3's keyless sign-blob output
// (--new-bundle-format=false: ".sig", ".cert" and "--bundle"), logged in a
// real Rekor v1, verifies offline from the bundle alone and from the
// ".sig" and ".cert" with the bundle's entry; every tamper case is refused
// with a typed error naming the failed check.
func TestCosignLegacyVector(t *testing.T) {
	t.Parallel()
	v := loadVector(t, "cosign-v3.1.3-keyless-rekor-v1")
	other := loadVector(t, "cosign-v3.1.3-keyless-rekor-v1-sigstore-bundle") // same identity, another key
	fromBundle := func(t *testing.T) *blob.Detached {
		d, err := blob.ParseCosignBundle(v.read(t, "artifact.bundle.json"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	fromFiles := func(t *testing.T) *blob.Detached {
		sig, err := blob.ParseSignature(v.read(t, "artifact.sig"))
		if err != nil {
			t.Fatal(err)
		}
		cert, err := blob.ParseCertificate(v.read(t, "artifact.cert"))
		if err != nil {
			t.Fatal(err)
		}
		return &blob.Detached{Signature: sig, Certificate: cert, Entry: fromBundle(t).Entry}
	}
	bv := v.verifier(t, v.identity)
	for name, d := range map[string]func(*testing.T) *blob.Detached{"bundle": fromBundle, ".sig and .cert": fromFiles} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res, err := bv.Verify(t.Context(), d(t), blob.Bytes(v.artifact))
			if err != nil {
				t.Fatal(err)
			}
			if res.Signer.SAN != v.identity.SAN || res.Signer.Issuer != v.identity.Issuer || len(res.Times) != 1 || res.Times[0].By != verify.TimeByTlog {
				t.Fatalf("result %v", res)
			}
		})
	}

	otherCert := func(t *testing.T) []byte {
		var b struct {
			VerificationMaterial struct {
				Certificate struct{ RawBytes []byte } `json:"certificate"`
			} `json:"verificationMaterial"`
		}
		if err := json.Unmarshal(other.read(t, "artifact.sigstore.json"), &b); err != nil || b.VerificationMaterial.Certificate.RawBytes == nil {
			t.Fatalf("other certificate: %v", err)
		}
		return b.VerificationMaterial.Certificate.RawBytes
	}
	cases := []struct {
		name     string
		signer   verify.Signer
		artifact []byte
		edit     func(t *testing.T, d *blob.Detached)
		is       error
		field    string
	}{
		{name: "other artifact", artifact: []byte("kubectl v1.99.1"), is: verify.ErrArtifactMismatch, field: "data.hash"},
		{name: "swapped certificate", edit: func(t *testing.T, d *blob.Detached) { d.Certificate = otherCert(t) }, is: blob.ErrEntryMismatch, field: "signature.publicKey"},
		{name: "edited SET", edit: func(_ *testing.T, d *blob.Detached) { d.Entry.SET[len(d.Entry.SET)-2] ^= 1 }, is: verify.ErrTlog},
		{name: "edited integrated time", edit: func(_ *testing.T, d *blob.Detached) { d.Entry.IntegratedTime++ }, is: verify.ErrTlog},
		{name: "wrong identity", signer: verify.Identity{SAN: "intruder@ci.example", Issuer: v.identity.Issuer}, is: verify.ErrIdentityMismatch},
		{name: "wrong issuer", signer: verify.Identity{SAN: v.identity.SAN, Issuer: "https://accounts.example"}, is: verify.ErrIdentityMismatch},
		{name: "no entry", edit: func(_ *testing.T, d *blob.Detached) { d.Entry = nil }, is: verify.ErrTlog},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			signer := tc.signer
			if signer == nil {
				signer = v.identity
			}
			d := fromFiles(t)
			if tc.edit != nil {
				tc.edit(t, d)
			}
			a := v.artifact
			if tc.artifact != nil {
				a = tc.artifact
			}
			res, err := v.verifier(t, signer).Verify(t.Context(), d, blob.Bytes(a))
			if err == nil || res != nil || !errors.Is(err, tc.is) || !errors.Is(err, verify.ErrVerification) {
				t.Fatalf("result %v, error %v: want %v", res, err, tc.is)
			}
			var em *blob.EntryMismatchError
			if tc.field != "" && (!errors.As(err, &em) || em.Field != tc.field) {
				t.Fatalf("%v: want *EntryMismatchError on %s", err, tc.field)
			}
		})
	}
}

// TestCosignSigstoreBundleVector: cosign v3.1.3's keyless sign-blob output
// as a Sigstore bundle (v0.3, with inclusion proof) verifies through the
// same verifier; another artifact or identity does not.
func TestCosignSigstoreBundleVector(t *testing.T) {
	t.Parallel()
	v := loadVector(t, "cosign-v3.1.3-keyless-rekor-v1-sigstore-bundle")
	b := v.read(t, "artifact.sigstore.json")
	res, err := v.verifier(t, v.identity).VerifyBundle(t.Context(), b, blob.Bytes(v.artifact))
	if err != nil {
		t.Fatal(err)
	}
	if res.Signer.SAN != v.identity.SAN || res.MediaType != "application/vnd.dev.sigstore.bundle.v0.3+json" {
		t.Fatalf("result %v", res)
	}
	if _, err := v.verifier(t, v.identity).VerifyBundle(t.Context(), b, blob.Bytes([]byte("other"))); !errors.Is(err, verify.ErrVerification) {
		t.Fatalf("other artifact: %v", err)
	}
	wrong := verify.Identity{SAN: "intruder@ci.example", Issuer: v.identity.Issuer}
	if _, err := v.verifier(t, wrong).VerifyBundle(t.Context(), b, blob.Bytes(v.artifact)); !errors.Is(err, verify.ErrIdentityMismatch) {
		t.Fatalf("wrong identity: %v", err)
	}
	if _, err := blob.ParseCosignBundle(b); !errors.Is(err, blob.ErrMalformed) {
		t.Fatalf("a Sigstore bundle read as cosign's legacy bundle: %v", err)
	}
}
