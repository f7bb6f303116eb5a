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
	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/svid"
)

// TestReview10ClientTrustDomainID: a client certificate that chains to the
// bundle but names the trust domain's own ID ("spiffe://ci.test", no path)
// is not authenticated, even by an authorizer admitting everyone: the
// X509-SVID specification (§5.2) has validators refuse a leaf whose ID has
// no path, and go-spiffe's x509svid.Verify does not.
func TestReview10ClientTrustDomainID(t *testing.T) {
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
		for _, uri := range []string{"spiffe://ci.test/job", "spiffe://ci.test"} {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf(uri)}}
			id, err := a.Authenticate(r)
			if uri != "spiffe://ci.test" {
				if err != nil || id.IsZero() {
					t.Errorf("%s: %s: %v, %v; want authenticated", name, uri, id, err)
				}
				continue
			}
			if !errors.Is(err, httpauth.ErrUnauthenticated) || !errors.Is(err, svid.ErrRootID) || !id.IsZero() {
				t.Errorf("%s: %s: %v, %v; want ErrUnauthenticated and ErrRootID", name, uri, id, err)
			}
		}
	}
}

// TestReview10TwoAuthorizationFields: a request with two Authorization
// header fields is refused, whichever of them is valid, without either
// token reaching the verifier: Authorization is a singleton field, and a
// proxy in front that read the other one would have authorized another
// caller than the one the middleware would name. One field still works.
func TestReview10TwoAuthorizationFields(t *testing.T) {
	t.Parallel()
	var calls int
	v := identity.TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
		calls++
		if raw == "good" || raw == "other" {
			return identity.Identity{Issuer: "https://issuer.test", Subject: raw}, nil
		}
		return identity.Identity{}, errors.New("bad token")
	})
	a, err := httpauth.New(httpauth.WithBearer(v))
	if err != nil {
		t.Fatal(err)
	}
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	serve := func(values ...string) int {
		r := httptest.NewRequest(http.MethodGet, "https://deployer.test/", nil) // over TLS
		for _, v := range values {
			r.Header.Add("Authorization", v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if got := serve("Bearer good"); got != http.StatusNoContent {
		t.Fatalf("one field: status %d, want 204", got)
	}
	calls = 0
	for _, values := range [][]string{
		{"Bearer good", "Bearer other"},
		{"Bearer good", "Bearer bad"},
		{"Bearer bad", "Bearer good"},
		{"Bearer good", ""},
		{"Bearer good", "Bearer good"},
	} {
		if got := serve(values...); got != http.StatusUnauthorized {
			t.Errorf("fields %q: status %d, want 401", values, got)
		}
	}
	if calls != 0 {
		t.Errorf("the verifier saw %d tokens of requests with two Authorization fields", calls)
	}
}
