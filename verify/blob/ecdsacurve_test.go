package blob_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/blob"
)

// signECDSA signs artifact with a new key on curve as `cosign sign-blob
// --key` does since v2.6 (cosign pkg/cosign/keys.go LoadPrivateKey →
// sigstore signature.LoadDefaultSignerVerifier: the curve's hash), or with
// hash h when not zero (cosign up to v2.5 signed SHA-256 whatever the
// curve), logged as a hashedrekord of the digest signed.
func (w *world) signECDSA(t *testing.T, artifact []byte, curve elliptic.Curve, h crypto.Hash) (*ecdsa.PublicKey, files) {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var sv signature.SignerVerifier
	if h == 0 {
		sv, err = signature.LoadDefaultSignerVerifier(k)
	} else {
		sv, err = signature.LoadSignerVerifier(k, h)
	}
	if err != nil {
		t.Fatal(err)
	}
	sig, err := sv.SignMessage(bytes.NewReader(artifact))
	if err != nil {
		t.Fatal(err)
	}
	if h == 0 {
		h = map[elliptic.Curve]crypto.Hash{elliptic.P256(): crypto.SHA256, elliptic.P384(): crypto.SHA384, elliptic.P521(): crypto.SHA512}[curve]
	}
	d := h.New()
	d.Write(artifact)
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	alg := map[crypto.Hash]string{crypto.SHA256: "sha256", crypto.SHA384: "sha384", crypto.SHA512: "sha512"}[h]
	return &k.PublicKey, w.logged(t, sig, pubPEM, nil, alg, d.Sum(nil), nil)
}

// TestVerifyECDSACurves: a detached signature by a P-384 or P-521 key, as
// cosign sign-blob --key makes it since v2.6 (SHA-384 or SHA-512, logged
// so), verifies against the key for the artifact's bytes, a stream, or the
// digest the entry logs, from cosign's bundle file or as the Sigstore
// bundle it converts to; it is refused for a SHA-256 digest alone, against
// a key of another curve, and the same key signing SHA-256 (cosign up to
// v2.5) is refused with a signature error.
func TestVerifyECDSACurves(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	artifact := []byte("kubectl, signed by cosign sign-blob --key with an ECDSA key")
	sum256 := sha256.Sum256(artifact)
	d256, err := blob.Digest("sha256:" + hex.EncodeToString(sum256[:]))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		curve elliptic.Curve
		other elliptic.Curve
		alg   string
	}{
		{"p384", elliptic.P384(), elliptic.P521(), "sha384"},
		{"p521", elliptic.P521(), elliptic.P384(), "sha512"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pub, f := w.signECDSA(t, artifact, tc.curve, 0)
			d := detached(t, f, true)
			v := w.verifier(t, verify.Expectation{Signer: verify.PublicKey{Key: pub}})
			h := map[string]crypto.Hash{"sha384": crypto.SHA384, "sha512": crypto.SHA512}[tc.alg].New()
			h.Write(artifact)
			dAlg, err := blob.Digest(tc.alg + ":" + hex.EncodeToString(h.Sum(nil)))
			if err != nil {
				t.Fatal(err)
			}
			stream, err := blob.Reader(bytes.NewReader(artifact))
			if err != nil {
				t.Fatal(err)
			}
			for name, a := range map[string]blob.Artifact{"bytes": blob.Bytes(artifact), "stream": stream, tc.alg: dAlg} {
				res, err := v.Verify(t.Context(), d, a)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				if res.Signer.Kind != verify.SignerKey || len(res.Times) != 1 || res.Times[0].By != verify.TimeByTlog {
					t.Errorf("%s: result %+v", name, res)
				}
			}
			b, err := d.Bundle(blob.Bytes(artifact))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.VerifyBundle(t.Context(), b, dAlg); err != nil {
				t.Errorf("converted bundle, %s: %v", tc.alg, err)
			}
			if _, err := v.VerifyBundle(t.Context(), b, blob.Bytes(artifact)); err != nil {
				t.Errorf("converted bundle, bytes: %v", err)
			}

			// The SHA-256 alone cannot name what the entry logs.
			var em *blob.EntryMismatchError
			if _, err := v.Verify(t.Context(), d, d256); !errors.As(err, &em) || em.Field != "data.hash" {
				t.Errorf("sha256 digest: %v", err)
			}
			if _, err := v.VerifyBundle(t.Context(), b, d256); !errors.Is(err, verify.ErrArtifactMismatch) {
				t.Errorf("converted bundle, sha256 digest: %v", err)
			}
			// A key of another curve: refused.
			otherPub, _ := w.signECDSA(t, artifact, tc.other, 0)
			ov := w.verifier(t, verify.Expectation{Signer: verify.PublicKey{Key: otherPub}})
			if _, err := ov.Verify(t.Context(), d, blob.Bytes(artifact)); err == nil || !errors.Is(err, verify.ErrVerification) {
				t.Errorf("other curve's key: %v", err)
			}
			// The same curve signing SHA-256, logged so: refused by the
			// signature check (the key verifies only its curve's hash).
			pub256, f256 := w.signECDSA(t, artifact, tc.curve, crypto.SHA256)
			v256 := w.verifier(t, verify.Expectation{Signer: verify.PublicKey{Key: pub256}})
			for name, a := range map[string]blob.Artifact{"bytes": blob.Bytes(artifact), "sha256": d256} {
				if _, err := v256.Verify(t.Context(), detached(t, f256, true), a); !errors.Is(err, verify.ErrSignature) {
					t.Errorf("SHA-256 signature, %s: want ErrSignature, got %v", name, err)
				}
			}
		})
	}
}
