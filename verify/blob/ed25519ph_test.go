package blob_test

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/blob"
)

// edSigned is a detached signature by an Ed25519 key, logged as cosign
// sign-blob --key logs it.
type edSigned struct {
	pub   ed25519.PublicKey
	files files
}

// signEd25519 signs artifact as `cosign sign-blob --key` does with an
// Ed25519 key since v2.6 when the signature is logged (the default):
// Ed25519ph over the artifact's SHA-512, logged as a hashedrekord of that
// SHA-512 (cosign v3.1.2 pkg/cosign/keys.go:302-309 GetDefaultLoadOptions:
// options.WithED25519ph(); cmd/cosign/cli/sign/sign_blob.go:78-83 keeps
// pure Ed25519 only when not uploading to the log).
// With ph false it signs pure Ed25519 instead (what cosign signs only
// when not logging), logged the same way, for a key pinned to the other
// scheme to refuse.
func (w *world) signEd25519(t *testing.T, artifact []byte, ph bool) edSigned {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512(artifact)
	var sig []byte
	if ph {
		if sig, err = priv.Sign(rand.Reader, sum[:], &ed25519.Options{Hash: crypto.SHA512}); err != nil {
			t.Fatal(err)
		}
	} else {
		sig = ed25519.Sign(priv, artifact)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	return edSigned{pub: pub, files: w.logged(t, sig, pubPEM, nil, "sha512", sum[:], nil)}
}

// TestVerifyEd25519ph: a detached Ed25519ph signature with its
// hashedrekord entry (SHA-512) verifies against the key pinned with
// verify.PublicKey.Ed25519ph, for the artifact's bytes, a stream or its
// SHA-512, from cosign's bundle file or as the Sigstore bundle it converts
// to; it is refused for another artifact, for a SHA-256 digest alone (the
// entry logs the SHA-512), and against the key pinned as pure Ed25519; and
// a pure Ed25519 signature is refused against the key pinned Ed25519ph.
func TestVerifyEd25519ph(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	artifact := []byte("kubectl, signed by cosign sign-blob --key with an Ed25519 key")
	ph := w.signEd25519(t, artifact, true)
	d := detached(t, ph.files, true)
	v := w.verifier(t, verify.Expectation{Signer: verify.PublicKey{Key: ph.pub, Ed25519ph: true}})

	sum512 := sha512.Sum512(artifact)
	d512, err := blob.Digest("sha512:" + hex.EncodeToString(sum512[:]))
	if err != nil {
		t.Fatal(err)
	}
	stream, err := blob.Reader(bytes.NewReader(artifact))
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]blob.Artifact{"bytes": blob.Bytes(artifact), "stream": stream, "sha512": d512} {
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
	if _, err := v.VerifyBundle(t.Context(), b, d512); err != nil {
		t.Errorf("converted bundle, sha512: %v", err)
	}

	// Another artifact: the entry does not log it.
	var em *blob.EntryMismatchError
	if _, err := v.Verify(t.Context(), d, blob.Bytes([]byte("other"))); !errors.As(err, &em) || em.Field != "data.hash" || !errors.Is(err, verify.ErrArtifactMismatch) {
		t.Errorf("other artifact: %v", err)
	}
	// The SHA-256 alone cannot name what the entry logs and the signature
	// signs.
	sum256 := sha256.Sum256(artifact)
	d256, err := blob.Digest("sha256:" + hex.EncodeToString(sum256[:]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), d, d256); !errors.As(err, &em) || em.Field != "data.hash" {
		t.Errorf("sha256 digest: %v", err)
	}
	if _, err := v.VerifyBundle(t.Context(), b, d256); !errors.Is(err, verify.ErrArtifactMismatch) {
		t.Errorf("converted bundle, sha256 digest: %v", err)
	}
	// The same key pinned as pure Ed25519 (the default): refused.
	pure := w.verifier(t, verify.Expectation{Signer: verify.PublicKey{Key: ph.pub}})
	if _, err := pure.Verify(t.Context(), d, blob.Bytes(artifact)); !errors.Is(err, verify.ErrSignature) {
		t.Errorf("pinned pure: want ErrSignature, got %v", err)
	}
	// A pure Ed25519 signature against a key pinned Ed25519ph: refused,
	// here already by the entry (a hashedrekord's Ed25519 signature is
	// Ed25519ph over the logged digest, and sigstore-go checks it; the
	// signature check itself is TestEd25519phPinned's in verify).
	ps := w.signEd25519(t, artifact, false)
	pv := w.verifier(t, verify.Expectation{Signer: verify.PublicKey{Key: ps.pub, Ed25519ph: true}})
	if _, err := pv.Verify(t.Context(), detached(t, ps.files, true), blob.Bytes(artifact)); !errors.Is(err, verify.ErrTlog) {
		t.Errorf("pure signature, pinned Ed25519ph: want ErrTlog, got %v", err)
	}
}
