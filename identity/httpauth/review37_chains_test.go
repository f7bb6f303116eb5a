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
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/httpauth"
	"github.com/ztci/ztci/identity/svid"
)

// review37CA is an svid issuer whose CA key the test holds, so that it can
// sign leaves the issuer itself would refuse to.
type review37CA struct {
	*svid.Issuer
	key *ecdsa.PrivateKey
}

func newReview37CA(t *testing.T, name string) review37CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := svid.NewIssuer(spiffeid.RequireTrustDomainFromString(name), svid.WithCASigner(key))
	if err != nil {
		t.Fatal(err)
	}
	return review37CA{iss, key}
}

// leaf signs a client leaf naming uris.
func (ca review37CA) leaf(t *testing.T, uris ...string) *x509.Certificate {
	t.Helper()
	var us []*url.URL
	for _, s := range uris {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, u)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), URIs: us,
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}, ca.X509Bundle().X509Authorities()[0], k.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReview37ClientChainShapes pins what the middleware makes of client
// chains an attacker shapes: a leaf naming two SPIFFE IDs, a CA of one
// trust domain signing for another that the bundle set federates with, a
// trust domain in another case, and unrelated certificates appended to the
// chain (authenticated as the leaf, and never shown to the authorizer).
func TestReview37ClientChainShapes(t *testing.T) {
	t.Parallel()
	ci, other := newReview37CA(t, "ci.test"), newReview37CA(t, "other.test")
	bundles := x509bundle.NewSet(ci.X509Bundle(), other.X509Bundle())
	stranger := newReview37CA(t, "ci.test") // same name, not in the bundle
	for _, tc := range []struct {
		name  string
		chain []*x509.Certificate
		want  string // the SPIFFE ID authenticated; "" for refused
	}{
		{name: "one ID", chain: []*x509.Certificate{ci.leaf(t, "spiffe://ci.test/job")}, want: "spiffe://ci.test/job"},
		{name: "two IDs", chain: []*x509.Certificate{ci.leaf(t, "spiffe://ci.test/job", "spiffe://ci.test/admin")}},
		{name: "ID of another trust domain", chain: []*x509.Certificate{ci.leaf(t, "spiffe://other.test/admin")}},
		{name: "trust domain in upper case", chain: []*x509.Certificate{ci.leaf(t, "spiffe://CI.test/job")}},
		{name: "CA of the same name, not in the bundle", chain: []*x509.Certificate{stranger.leaf(t, "spiffe://ci.test/job")}},
		{
			name:  "appended certificates",
			chain: []*x509.Certificate{ci.leaf(t, "spiffe://ci.test/job"), stranger.X509Bundle().X509Authorities()[0], other.X509Bundle().X509Authorities()[0]},
			want:  "spiffe://ci.test/job",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			roots := map[*x509.Certificate]bool{ci.X509Bundle().X509Authorities()[0]: true, other.X509Bundle().X509Authorities()[0]: true}
			a, err := httpauth.New(httpauth.WithMTLS(bundles, func(_ spiffeid.ID, chains [][]*x509.Certificate) error {
				for _, c := range chains {
					if c[0] != tc.chain[0] || !roots[c[len(c)-1]] || len(c) != 2 {
						t.Errorf("the authorizer saw a chain of %d certificates not from the leaf to a root of the bundle", len(c))
					}
				}
				return nil
			}))
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "https://deployer.test/", nil)
			r.TLS = &tls.ConnectionState{PeerCertificates: tc.chain}
			id, err := a.Authenticate(r)
			if tc.want == "" {
				if !errors.Is(err, httpauth.ErrUnauthenticated) || !id.IsZero() {
					t.Errorf("Authenticate: %v, %v; want ErrUnauthenticated", id, err)
				}
				return
			}
			if err != nil || id.SPIFFEID.String() != tc.want {
				t.Errorf("Authenticate: %v, %v; want %s", id, err, tc.want)
			}
		})
	}
}
