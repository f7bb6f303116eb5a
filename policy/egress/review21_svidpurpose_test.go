package egress

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/svid"
)

// TestReview21ClientSVIDKeyPurpose: go-spiffe's chain check verifies with
// ExtKeyUsageAny and never reads the leaf's key usage, so a certificate a
// CA of the bundle signed for code signing (a SPIFFE URI SAN, as a
// Fulcio-style CA sharing the bundle writes) authenticated a job to the
// proxy. It must be refused as a client SVID; one for clientAuth is not.
func TestReview21ClientSVIDKeyPurpose(t *testing.T) {
	td := spiffeid.RequireTrustDomainFromString("ci.test")
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		URIs: []*url.URL{{Scheme: "spiffe", Host: "ci.test"}},
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(eku x509.ExtKeyUsage) *x509.Certificate {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()), BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{eku},
			NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
			URIs: []*url.URL{{Scheme: "spiffe", Host: "ci.test", Path: "/repo/octo/app/job/build"}},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, k.Public(), caKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	p := &Proxy{cfg: config{svids: x509bundle.FromX509Authorities(td, []*x509.Certificate{ca})}}
	for _, tc := range []struct {
		name string
		eku  x509.ExtKeyUsage
		ok   bool
	}{
		{"code signing", x509.ExtKeyUsageCodeSigning, false},
		{"server only", x509.ExtKeyUsageServerAuth, false},
		{"client", x509.ExtKeyUsageClientAuth, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &http.Request{TLS: &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf(tc.eku)}}}
			_, _, err := p.credential(t.Context(), r, "", nil)
			switch {
			case tc.ok && err != nil:
				t.Fatalf("client SVID refused: %v", err)
			case !tc.ok && !errors.Is(err, svid.ErrKeyUsage):
				t.Fatalf("%s certificate: %v, want svid.ErrKeyUsage", tc.name, err)
			}
		})
	}
}
