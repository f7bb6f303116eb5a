package blob_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/blob"
)

// world signs blobs as cosign sign-blob does — a key certified by ztci's
// embedded CA (keyless) or a bare key — and logs them in a Rekor v1 of which
// only the signing key is needed offline (the SET). The files follow cosign
// exactly: ".sig" is the base64 signature, ".cert" the base64 of the PEM
// certificate, "--bundle" cosign's LocalSignedPayload (cosign
// pkg/cosign/bundle/sign.go) with a RekorBundle whose SET is the log key's
// signature over the RFC 8785 JSON of Payload (cosign
// pkg/cosign/verify_test.go createRekorEntry), and the entry a hashedrekord
// 0.0.1 body (rekor pkg/types/hashedrekord/v0.0.1).
//
// Real cosign output is in testdata/cosign-v3.1.3-* (see testdata/README.md).
type world struct {
	ca          *ca.CA
	rekor       *ecdsa.PrivateKey
	logID       []byte
	trustedRoot []byte
}

var (
	release  = identity.Identity{Issuer: "https://ci.example", Subject: "https://ci.example/org/app/release.yml@refs/heads/main"}
	intruder = identity.Identity{Issuer: "https://ci.example", Subject: "https://ci.example/org/other/build.yml@refs/heads/main"}
)

func newWorld(t testing.TB) *world {
	t.Helper()
	c, err := ca.New(ca.WithSubjectDomain("https://ci.example", "https://ci.example"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	id := sha256.Sum256(der)
	tr, err := json.Marshal(attest.NewTrustedRoot().
		AddEmbeddedCA("https://ca.ci.example", c).
		AddTransparencyLog("https://rekor.ci.example", 1, &k.PublicKey, time.Now().Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	return &world{ca: c, rekor: k, logID: id[:], trustedRoot: tr}
}

// signer is who signs: a key and, keyless, its certificate.
type signer struct {
	key  *ecdsa.PrivateKey
	cert []byte // DER; nil for a bare key
}

func (w *world) keyless(t testing.TB, id identity.Identity) signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := w.ca.Issue(context.Background(), &k.PublicKey, id)
	if err != nil {
		t.Fatal(err)
	}
	return signer{key: k, cert: chain[0].Raw}
}

func keyed(t testing.TB) signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signer{key: k}
}

func (s signer) publicPEM(t testing.TB) []byte {
	if s.cert != nil {
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert})
	}
	der, err := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func (s signer) public() verify.PublicKey { return verify.PublicKey{Key: &s.key.PublicKey} }

// files are what cosign sign-blob writes.
type files struct {
	sig, cert, bundle []byte
}

// signBlob signs artifact with s and logs it; the body logs what body
// returns (by default the hashedrekord of this signature).
func (w *world) signBlob(t testing.TB, s signer, artifact []byte, edit func(body map[string]any)) files {
	t.Helper()
	sum := sha256.Sum256(artifact)
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	var cert []byte
	if s.cert != nil {
		cert = s.publicPEM(t)
	}
	return w.logged(t, sig, s.publicPEM(t), cert, "sha256", sum[:], edit)
}

// logged logs sig, made by the key or certificate in publicPEM over the
// artifact whose alg digest is digest, as a hashedrekord (edited by edit),
// and returns the files cosign writes; cert is the ".cert" PEM, nil for a
// key.
func (w *world) logged(t testing.TB, sig, publicPEM, cert []byte, alg string, digest []byte, edit func(body map[string]any)) files {
	t.Helper()
	body := map[string]any{
		"apiVersion": "0.0.1",
		"kind":       "hashedrekord",
		"spec": map[string]any{
			"data": map[string]any{"hash": map[string]any{"algorithm": alg, "value": hex.EncodeToString(digest)}},
			"signature": map[string]any{
				"content":   base64.StdEncoding.EncodeToString(sig),
				"publicKey": map[string]any{"content": base64.StdEncoding.EncodeToString(publicPEM)},
			},
		},
	}
	if edit != nil {
		edit(body)
	}
	bodyJSON, err := json.Marshal(body) // keys sorted, no spaces: canonical here
	if err != nil {
		t.Fatal(err)
	}
	payload := map[string]any{
		"body":           base64.StdEncoding.EncodeToString(bodyJSON),
		"integratedTime": time.Now().Unix(),
		"logIndex":       int64(4242),
		"logID":          hex.EncodeToString(w.logID),
	}
	canon, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	setSum := sha256.Sum256(canon)
	set, err := ecdsa.SignASN1(rand.Reader, w.rekor, setSum[:])
	if err != nil {
		t.Fatal(err)
	}
	f := files{sig: []byte(base64.StdEncoding.EncodeToString(sig))}
	lsp := map[string]any{
		"base64Signature": string(f.sig),
		"rekorBundle":     map[string]any{"SignedEntryTimestamp": set, "Payload": payload},
	}
	if cert != nil {
		f.cert = []byte(base64.StdEncoding.EncodeToString(cert))
		lsp["cert"] = string(f.cert)
	}
	if f.bundle, err = json.Marshal(lsp); err != nil {
		t.Fatal(err)
	}
	return f
}

// verifier is a blob.Verifier with the world's trust and expect.
func (w *world) verifier(t testing.TB, expect verify.Expectation) *blob.Verifier {
	t.Helper()
	trust, err := verify.ParseTrustedRoot(w.trustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	vv, err := verify.New(trust, expect, verify.WithSCTThreshold(0))
	if err != nil {
		t.Fatal(err)
	}
	v, err := blob.NewVerifier(vv)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func expectIdentity(id identity.Identity) verify.Expectation {
	return verify.Expectation{Signer: verify.Identity{SAN: id.Subject, Issuer: id.Issuer}}
}
