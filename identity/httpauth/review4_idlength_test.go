package httpauth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/httpauth"
	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/svid"
)

// TestReview4ClientIDLongerThanSpec: a client certificate that chains to
// the bundle but names a SPIFFE ID longer than the specification's 2048
// bytes is not authenticated, even by an authorizer admitting the whole
// trust domain; a 2048-byte ID is.
func TestReview4ClientIDLongerThanSpec(t *testing.T) {
	t.Parallel()
	td := spiffeid.RequireTrustDomainFromString("ci.test")
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := svid.NewIssuer(td, svid.WithCASigner(caKey))
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(uri string) *x509.Certificate {
		u, _ := url.Parse(uri)
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()), URIs: []*url.URL{u},
			NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
			BasicConstraintsValid: true,
		}, ca.X509Bundle().X509Authorities()[0], k.Public(), caKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	admitAll := func(spiffeid.ID, [][]*x509.Certificate) error { return nil }
	for name, authz := range map[string]mtls.Authorizer{"AuthorizeMemberOf": mtls.AuthorizeMemberOf(td), "caller's own": admitAll} {
		a, err := httpauth.New(httpauth.WithMTLS(ca, authz))
		if err != nil {
			t.Fatal(err)
		}
		const prefix = "spiffe://ci.test/"
		for _, n := range []int{svid.MaxIDLength, svid.MaxIDLength + 1, 8000} {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf(prefix + strings.Repeat("a", n-len(prefix)))}}
			id, err := a.Authenticate(r)
			if n <= svid.MaxIDLength {
				if err != nil || id.IsZero() {
					t.Errorf("%s: %d-byte ID: %v, %v; want authenticated", name, n, id, err)
				}
				continue
			}
			if !errors.Is(err, httpauth.ErrUnauthenticated) || !errors.Is(err, svid.ErrIDTooLong) || !id.IsZero() {
				t.Errorf("%s: %d-byte ID: %v, %.200v; want ErrUnauthenticated and ErrIDTooLong", name, n, id, err)
			}
		}
	}
}
