package rekorv1_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"testing"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/blob"
	"github.com/ztci/ztci/verify/rekorv1"
)

var release = identity.Identity{Issuer: "https://ci.example", Subject: "https://ci.example/org/app/release.yml@refs/heads/main"}

// liveWorld is a real Rekor v1 (Trillian, PostgreSQL, Redis) and ztci's
// embedded CA, trusted by one trusted root.
type liveWorld struct {
	rekor *itest.RekorV1
	ca    *ca.CA
	trust []byte
}

func newLiveWorld(t *testing.T) *liveWorld {
	t.Helper()
	r := itest.StartRekorV1(t)
	c, err := ca.New(ca.WithSubjectDomain("https://ci.example", "https://ci.example"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := json.Marshal(attest.NewTrustedRoot().
		AddEmbeddedCA("https://ca.ci.example", c).
		AddTransparencyLog(r.URL, 1, r.PublicKey, time.Now().Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	return &liveWorld{rekor: r, ca: c, trust: tr}
}

// signBlob signs artifact as cosign sign-blob does (a fresh key, a
// certificate for id, a hashedrekord entry uploaded to the live Rekor v1)
// and returns only the detached ".sig" and ".cert" files: the entry is left
// in the log, to be looked up.
func (w *liveWorld) signBlob(t *testing.T, id identity.Identity, artifact []byte) (sigFile, certFile []byte) {
	t.Helper()
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := sign.Bundle(&sign.PlainData{Data: artifact}, kp, sign.BundleOptions{
		Context:             t.Context(),
		CertificateProvider: attest.SigstoreCertificateProvider(w.ca.IssuerFor(id)),
		TransparencyLogs:    []sign.Transparency{sign.NewRekor(&sign.RekorOptions{BaseURL: w.rekor.URL, Version: 1, Timeout: 30 * time.Second, Retries: 1})},
	})
	if err != nil {
		t.Fatal(err)
	}
	return detachedFiles(t, pb)
}

func detachedFiles(t *testing.T, pb *protobundle.Bundle) (sigFile, certFile []byte) {
	t.Helper()
	sig := pb.GetMessageSignature().GetSignature()
	cert := pb.GetVerificationMaterial().GetCertificate().GetRawBytes()
	if sig == nil || cert == nil {
		t.Fatalf("bundle without signature or certificate: %v", pb)
	}
	return []byte(base64.StdEncoding.EncodeToString(sig)),
		[]byte(base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert})))
}

func (w *liveWorld) verifier(t *testing.T, expect verify.Expectation) *blob.Verifier {
	t.Helper()
	trust, err := verify.ParseTrustedRoot(w.trust)
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

func parseDetached(t *testing.T, sigFile, certFile []byte) *blob.Detached {
	t.Helper()
	sig, err := blob.ParseSignature(sigFile)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := blob.ParseCertificate(certFile)
	if err != nil {
		t.Fatal(err)
	}
	return &blob.Detached{Signature: sig, Certificate: cert}
}

// TestLive runs the live cases against one Rekor v1 (starting one takes
// tens of seconds on a loaded machine).
func TestLive(t *testing.T) {
	w := newLiveWorld(t)
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, w) })
	t.Run("AttestWithRekorV1", func(t *testing.T) { testAttestWithRekorV1(t, w) })
	t.Run("Ed25519phSHA512", func(t *testing.T) { testEd25519phSHA512(t, w) })
	t.Run("P384SHA384", func(t *testing.T) { testP384SHA384(t, w) })
}

// testRoundTrip: a detached ".sig" + ".cert" whose entry is only in the
// live Rekor v1 is looked up (search index, then the entry with its SET and
// inclusion proof) and verified offline; a lookup for another artifact or
// another signature finds nothing, and an entry edited after the lookup
// does not verify.
func testRoundTrip(t *testing.T, w *liveWorld) {
	artifact := []byte("kubectl v1.99.0 linux/amd64\n")
	sigFile, certFile := w.signBlob(t, release, artifact)
	// Another signature of the same artifact: the search finds both.
	otherSig, otherCert := w.signBlob(t, release, artifact)
	w.rekor.WaitIndexed(t, sha256.Sum256(artifact), 2)

	c, err := rekorv1.New(w.rekor.URL)
	if err != nil {
		t.Fatal(err)
	}
	v := w.verifier(t, verify.Expectation{Signer: verify.Identity{SAN: release.Subject, Issuer: release.Issuer}})
	for _, files := range [][2][]byte{{sigFile, certFile}, {otherSig, otherCert}} {
		d := parseDetached(t, files[0], files[1])
		e, err := c.FindEntry(t.Context(), d, blob.Bytes(artifact))
		if err != nil {
			t.Fatal(err)
		}
		if e.Proof == nil || len(e.SET) == 0 {
			t.Fatalf("entry without inclusion proof or SET: %+v", e)
		}
		d.Entry = e
		res, err := v.Verify(t.Context(), d, blob.Bytes(artifact))
		if err != nil {
			t.Fatal(err)
		}
		if res.Signer.SAN != release.Subject || len(res.Times) != 1 || res.Times[0].By != verify.TimeByTlog {
			t.Fatalf("result %v", res)
		}
		// The proof is checked too: a wrong root hash does not verify.
		e.Proof.RootHash[0] ^= 1
		if _, err := v.Verify(t.Context(), d, blob.Bytes(artifact)); !errors.Is(err, verify.ErrTlog) {
			t.Fatalf("edited inclusion proof: %v", err)
		}
	}

	d := parseDetached(t, sigFile, certFile)
	if _, err := c.FindEntry(t.Context(), d, blob.Bytes([]byte("another artifact"))); !errors.Is(err, rekorv1.ErrNotFound) {
		t.Errorf("another artifact: %v", err)
	}
	mixed := parseDetached(t, sigFile, otherCert)
	if _, err := c.FindEntry(t.Context(), mixed, blob.Bytes(artifact)); !errors.Is(err, rekorv1.ErrNotFound) || !errors.Is(err, verify.ErrTlog) {
		t.Errorf("signature with another certificate: %v", err)
	}
}

// testAttestWithRekorV1 (issue #14 item 5): attest signs with
// WithRekor(url, 1) against the live Rekor v1, and the bundle verifies with
// the log's SET and inclusion proof as its only time evidence.
func testAttestWithRekorV1(t *testing.T, w *liveWorld) {
	s, err := attest.NewCASigner(w.ca.IssuerFor(release), attest.WithRekor(w.rekor.URL, 1))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("artifact"))
	st, err := attest.NewStatement([]attest.ResourceDescriptor{{Name: "artifact", Digest: attest.DigestSet{"sha256": hexOf(sum[:])}}},
		attest.Custom("https://ztci.dev/attestation/test/v1", []byte(`{"passed":true}`)))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.SignPayload(t.Context(), attest.PayloadType, payload)
	if err != nil {
		t.Fatal(err)
	}
	var pb protobundle.Bundle
	if err := protojson.Unmarshal(b, &pb); err != nil {
		t.Fatal(err)
	}
	tl := pb.GetVerificationMaterial().GetTlogEntries()
	if len(tl) != 1 || tl[0].GetInclusionPromise() == nil || tl[0].GetInclusionProof() == nil || tl[0].GetKindVersion().GetKind() != "dsse" {
		t.Fatalf("log entries %v", tl)
	}
	trust, err := verify.ParseTrustedRoot(w.trust)
	if err != nil {
		t.Fatal(err)
	}
	vv, err := verify.New(trust, verify.Expectation{
		Signer:        verify.Identity{SAN: release.Subject, Issuer: release.Issuer},
		PredicateType: "https://ztci.dev/attestation/test/v1",
	}, verify.WithSCTThreshold(0))
	if err != nil {
		t.Fatal(err)
	}
	res, err := vv.Verify(context.Background(), b, verify.ArtifactBytes([]byte("artifact")))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Times) != 1 || res.Times[0].By != verify.TimeByTlog {
		t.Fatalf("times %v", res.Times)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
