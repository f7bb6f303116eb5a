package github_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/github"
)

// review31Marker stands for a forged log line an attacker wants an error to
// carry onto a line of its own.
const review31Marker = "\nlevel=INFO msg=\"attestation verified\""

// review31MaxErr is more than any of these errors needs without the
// attacker's text.
const review31MaxErr = 1 << 10

// TestReview31BundleTextClipped: a bundle is the attacker's until verified,
// and the attestations API hands over whatever a repository stored. Verify
// read its media type and signing certificate to choose an instance, and
// its refusals repeated them as they were: a megabyte media type, or a
// certificate whose URI SAN crypto/x509 quotes when it does not parse,
// came back whole, control characters escaped only by %q (or not at all
// for a JSON string holding them). Errors reach logs and audit events: the
// text is clipped.
func TestReview31BundleTextClipped(t *testing.T) {
	t.Parallel()
	v, err := github.New(github.Policy{Owner: "sigstore"})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("A", 1<<20) + review31Marker
	tests := []struct {
		name   string
		bundle any
	}{
		{name: "media type", bundle: map[string]any{"mediaType": long}},
		{name: "unparseable certificate SAN", bundle: map[string]any{
			"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
			"verificationMaterial": map[string]any{"certificate": map[string]any{
				"rawBytes": base64.StdEncoding.EncodeToString(review31BadURICert(t, "https://%zz/"+long)),
			}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tt.bundle)
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(t.Context(), b, verify.ArtifactBytes([]byte("artifact")))
			if !errors.Is(err, verify.ErrMalformedBundle) {
				t.Fatalf("Verify: %.300v, want ErrMalformedBundle", err)
			}
			review31CheckText(t, err)
		})
	}
}

// TestReview31TrustDomainClipped: the trust domain comes from the tenant's
// REST API (GET /meta), and TenantTrustedRootTarget refused a bad one by
// quoting it whole.
func TestReview31TrustDomainClipped(t *testing.T) {
	t.Parallel()
	_, err := github.TenantTrustedRootTarget(strings.Repeat("a", 1<<20) + review31Marker)
	if !errors.Is(err, verify.ErrConfig) {
		t.Fatalf("TenantTrustedRootTarget: %.300v, want ErrConfig", err)
	}
	review31CheckText(t, err)
}

func review31CheckText(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if len(msg) > review31MaxErr {
		t.Errorf("error is %d bytes, want at most %d: %.300s…", len(msg), review31MaxErr, msg)
	}
	if strings.ContainsAny(msg, "\n\r\x1b") {
		t.Errorf("error holds a control character: %.300q", msg)
	}
}

// review31BadURICert is a self-signed certificate whose SAN is one URI
// that crypto/x509 refuses to parse, quoting it.
func review31BadURICert(t *testing.T, uri string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	san, err := asn1.Marshal([]asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 6, Bytes: []byte(uri)}})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(1),
		Subject:         pkix.Name{CommonName: "review31"},
		NotBefore:       time.Unix(1_700_000_000, 0),
		NotAfter:        time.Unix(1_700_000_600, 0),
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 17}, Critical: true, Value: san}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x509.ParseCertificate(der); err == nil || !strings.Contains(err.Error(), "%zz") {
		t.Fatalf("the certificate's SAN parses, or x509 no longer quotes it: %.200v", err)
	}
	return der
}

// TestReview31NoneVerifiedBounded: VerifyAll's refusal named every
// bundle's error in its message, and an attestations API response (or a
// file) holds up to MaxAttestations bundles of the submitter's choosing:
// one error of hundreds of kilobytes into logs and audit events. The
// message names the first few; Errs keeps them all.
func TestReview31NoneVerifiedBounded(t *testing.T) {
	t.Parallel()
	v, err := github.New(github.Policy{Owner: "sigstore"})
	if err != nil {
		t.Fatal(err)
	}
	bundles := make([][]byte, github.MaxAttestations)
	for i := range bundles {
		bundles[i] = []byte(`{"mediaType":"` + strings.Repeat("M", 100) + `"}`)
	}
	_, err = v.VerifyAll(t.Context(), bundles, verify.ArtifactBytes([]byte("artifact")))
	var ne *github.NoneVerifiedError
	if !errors.As(err, &ne) || len(ne.Errs) != len(bundles) || !errors.Is(err, verify.ErrMalformedBundle) || !errors.Is(err, github.ErrNoAttestations) {
		t.Fatalf("VerifyAll: %.300v; want a *NoneVerifiedError of %d malformed bundles", err, len(bundles))
	}
	if n := len(err.Error()); n > 4*review31MaxErr {
		t.Errorf("error is %d bytes, want at most %d", n, 4*review31MaxErr)
	}
}
