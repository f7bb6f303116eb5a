package httpauth_test

import (
	"context"
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
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/httpauth"
	"github.com/ztci/ztci/identity/svid"
)

// TestReview21ClientKeyPurpose: a client certificate that chains to the
// bundle and names a workload but is not for TLS client authentication (no
// digitalSignature; an extended key usage of code signing or server auth
// only) is not authenticated, with an error wrapping ErrUnauthenticated and
// svid.ErrKeyUsage, even when the request also carries a bearer token and
// the authorizer admits everyone; one with clientAuth, or without an
// extended key usage, is.
func TestReview21ClientKeyPurpose(t *testing.T) {
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
	u, _ := url.Parse("spiffe://ci.test/job")
	leaf := func(ku x509.KeyUsage, eku ...x509.ExtKeyUsage) *x509.Certificate {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()), URIs: []*url.URL{u},
			NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: ku, ExtKeyUsage: eku, BasicConstraintsValid: true,
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
	a, err := httpauth.New(httpauth.WithMTLS(ca, admitAll), httpauth.WithBearer(identity.TokenVerifierFunc(func(context.Context, string) (identity.Identity, error) {
		return identity.Identity{SPIFFEID: spiffeid.RequireFromString("spiffe://ci.test/token")}, nil
	})))
	if err != nil {
		t.Fatal(err)
	}
	sig := x509.KeyUsageDigitalSignature
	for _, tc := range []struct {
		name string
		cert *x509.Certificate
		ok   bool
	}{
		{"no key usage", leaf(0, x509.ExtKeyUsageClientAuth), false},
		{"keyEncipherment only", leaf(x509.KeyUsageKeyEncipherment, x509.ExtKeyUsageClientAuth), false},
		{"code signing", leaf(sig, x509.ExtKeyUsageCodeSigning), false},
		{"server auth only", leaf(sig, x509.ExtKeyUsageServerAuth), false},
		{"client auth", leaf(sig, x509.ExtKeyUsageClientAuth), true},
		{"no extended key usage", leaf(sig), true},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{tc.cert}}
		r.Header.Set("Authorization", "Bearer good")
		id, err := a.Authenticate(r)
		switch {
		case tc.ok && (err != nil || id.SPIFFEID.String() != u.String()):
			t.Errorf("%s: %v, %v; want %s", tc.name, id, err, u)
		case !tc.ok && (!errors.Is(err, httpauth.ErrUnauthenticated) || !errors.Is(err, svid.ErrKeyUsage) || !id.IsZero()):
			t.Errorf("%s: %v, %v; want ErrUnauthenticated and svid.ErrKeyUsage", tc.name, id, err)
		}
	}
}
