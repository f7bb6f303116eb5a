package rekorv1_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/sign"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/blob"
	"github.com/ztci/ztci/verify/rekorv1"
)

// signLogged signs artifact as cosign ≥ v2.6 sign-blob does with a key of
// algorithm alg (sigstore-go's sign.Bundle: the digest the key signs, and a
// hashedrekord entry of that digest uploaded to the live Rekor v1), with a
// certificate for release when keyless, else with the bare key. It returns
// the detached signature and certificate (nil for a key) and the key.
func (w *liveWorld) signLogged(t *testing.T, alg protocommon.PublicKeyDetails, keyless bool, artifact []byte) (*blob.Detached, *sign.EphemeralKeypair) {
	t.Helper()
	kp, err := sign.NewEphemeralKeypair(&sign.EphemeralKeypairOptions{Algorithm: alg})
	if err != nil {
		t.Fatal(err)
	}
	opts := sign.BundleOptions{
		Context:          t.Context(),
		TransparencyLogs: []sign.Transparency{sign.NewRekor(&sign.RekorOptions{BaseURL: w.rekor.URL, Version: 1, Timeout: 30 * time.Second, Retries: 1})},
	}
	if keyless {
		opts.CertificateProvider = attest.SigstoreCertificateProvider(w.ca.IssuerFor(release))
	}
	pb, err := sign.Bundle(&sign.PlainData{Data: artifact}, kp, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &blob.Detached{Signature: pb.GetMessageSignature().GetSignature(), Certificate: pb.GetVerificationMaterial().GetCertificate().GetRawBytes()}, kp
}

// counter counts the requests a Client sends.
type counter struct{ n atomic.Int32 }

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// findFresh looks up an entry just uploaded: rekor-server writes its index
// keys after answering the upload, so a miss is retried for up to 30 s, as
// a caller that has just signed would (itest.RekorV1.WaitIndexed does the
// same for SHA-256 only).
func findFresh(t *testing.T, c *rekorv1.Client, d *blob.Detached, a blob.Artifact) *blob.LogEntry {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		e, err := c.FindEntry(t.Context(), d, a)
		switch {
		case err == nil:
			return e
		case !errors.Is(err, rekorv1.ErrNotFound) || time.Now().After(deadline):
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// requests is how many requests a fresh Client sends for one FindEntry
// that must succeed.
func (w *liveWorld) requests(t *testing.T, d *blob.Detached, a blob.Artifact) int32 {
	t.Helper()
	var n counter
	c, err := rekorv1.New(w.rekor.URL, rekorv1.WithTransport(&n))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindEntry(t.Context(), d, a); err != nil {
		t.Fatal(err)
	}
	return n.n.Load()
}

// testEd25519phSHA512: an Ed25519ph signature made with a key, logged as
// cosign ≥ v2.6 logs it (a hashedrekord of the artifact's SHA-512), is
// found by FindEntry for blob.Bytes — the caller names no digest — with
// one search (by SHA-512, as the 64-byte signature tells) and one fetch,
// and verifies offline against the key pinned Ed25519ph. It is not found
// for the artifact known by its SHA-256 alone (the entry logs the SHA-512)
// nor for another artifact.
func testEd25519phSHA512(t *testing.T, w *liveWorld) {
	artifact := []byte("kubectl v1.99.0 linux/arm64, signed Ed25519ph\n")
	d, kp := w.signLogged(t, protocommon.PublicKeyDetails_PKIX_ED25519_PH, false, artifact)
	if d.Certificate != nil {
		t.Fatal("a key signature with a certificate")
	}
	c, err := rekorv1.New(w.rekor.URL)
	if err != nil {
		t.Fatal(err)
	}
	a := blob.Bytes(artifact)
	e := findFresh(t, c, d, a)
	if e.Proof == nil || len(e.SET) == 0 || !bytes.Contains(e.Body, []byte(`"algorithm":"sha512"`)) {
		t.Fatalf("entry without inclusion proof or SET, or not of the SHA-512: %+v", e)
	}
	if got := w.requests(t, d, a); got != 2 {
		t.Errorf("%d requests, want 2 (one search by SHA-512, one fetch)", got)
	}
	d.Entry = e
	v := w.verifier(t, verify.Expectation{Signer: verify.PublicKey{Key: kp.GetPublicKey(), Ed25519ph: true}})
	res, err := v.Verify(t.Context(), d, a)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Times) != 1 || res.Times[0].By != verify.TimeByTlog {
		t.Fatalf("result %v", res)
	}

	d.Entry = nil
	sum := sha256.Sum256(artifact)
	only256, err := blob.Digest("sha256:" + hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindEntry(t.Context(), d, only256); !errors.Is(err, rekorv1.ErrNotFound) {
		t.Errorf("artifact known by its SHA-256 alone: %v", err)
	}
	if _, err := c.FindEntry(t.Context(), d, blob.Bytes([]byte("another artifact"))); !errors.Is(err, rekorv1.ErrNotFound) {
		t.Errorf("another artifact: %v", err)
	}
}

// testP384SHA384: a keyless signature by a P-384 key, logged as cosign ≥
// v2.6 logs it (a hashedrekord of the artifact's SHA-384), is found by
// FindEntry for blob.Bytes with one search (Rekor v1's index refuses
// SHA-384 hashes: by the certificate, as its P-384 key tells) and one
// fetch, and verifies offline. For another artifact the certificate's
// search lists the entry, whose body logs another SHA-384: it is not
// returned (ErrNotFound, the mismatch named). Known by its SHA-512 alone,
// the artifact is not found either.
func testP384SHA384(t *testing.T, w *liveWorld) {
	artifact := []byte("kubectl v1.99.0 linux/s390x, signed P-384\n")
	d, _ := w.signLogged(t, protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384, true, artifact)
	if d.Certificate == nil {
		t.Fatal("a keyless signature without a certificate")
	}
	c, err := rekorv1.New(w.rekor.URL)
	if err != nil {
		t.Fatal(err)
	}
	a := blob.Bytes(artifact)
	e := findFresh(t, c, d, a)
	if !bytes.Contains(e.Body, []byte(`"algorithm":"sha384"`)) {
		t.Fatalf("entry not of the SHA-384: %s", e.Body)
	}
	if got := w.requests(t, d, a); got != 2 {
		t.Errorf("%d requests, want 2 (one search by certificate, one fetch)", got)
	}
	d.Entry = e
	v := w.verifier(t, verify.Expectation{Signer: verify.Identity{SAN: release.Subject, Issuer: release.Issuer}})
	res, err := v.Verify(t.Context(), d, a)
	if err != nil {
		t.Fatal(err)
	}
	if res.Signer.SAN != release.Subject || len(res.Times) != 1 || res.Times[0].By != verify.TimeByTlog {
		t.Fatalf("result %v", res)
	}

	d.Entry = nil
	if _, err := c.FindEntry(t.Context(), d, blob.Bytes([]byte("another artifact"))); !errors.Is(err, rekorv1.ErrNotFound) || !errors.Is(err, blob.ErrEntryMismatch) {
		t.Errorf("another artifact: %v", err)
	}
	sum := sha512.Sum512(artifact)
	only512, err := blob.Digest("sha512:" + hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindEntry(t.Context(), d, only512); !errors.Is(err, rekorv1.ErrNotFound) {
		t.Errorf("artifact known by its SHA-512 alone: %v", err)
	}
}
