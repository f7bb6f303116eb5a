package mtls_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/svid"
)

// review4CA is an svid issuer whose CA key the test holds, so it can sign
// leaves the issuer itself would refuse to.
type review4CA struct {
	*svid.Issuer
	key *ecdsa.PrivateKey
}

func newReview4CA(t *testing.T, td string) review4CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := svid.NewIssuer(spiffeid.RequireTrustDomainFromString(td), svid.WithCASigner(key))
	if err != nil {
		t.Fatal(err)
	}
	return review4CA{iss, key}
}

// leaf signs an SVID-shaped leaf certificate for the URI uri.
func (ca review4CA) leaf(t *testing.T, uri string) []byte {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), URIs: []*url.URL{u},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}, ca.X509Bundle().X509Authorities()[0], k.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// review4Configs returns the peer verification of every configuration the
// package builds, each with authz.
func review4Configs(t *testing.T, ca review4CA, authz mtls.Authorizer) map[string]func([][]byte, [][]*x509.Certificate) error {
	t.Helper()
	own, err := ca.X509SVID(t.Context(), spiffeid.RequireFromPath(ca.TrustDomain(), "/svc"), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]func([][]byte, [][]*x509.Certificate) error{}
	for name, build := range map[string]func() (*tls.Config, error){
		"ServerConfig":               func() (*tls.Config, error) { return mtls.ServerConfig(own, ca, authz) },
		"ServerConfigClientOptional": func() (*tls.Config, error) { return mtls.ServerConfigClientOptional(own, ca, authz) },
		"ClientConfig":               func() (*tls.Config, error) { return mtls.ClientConfig(own, ca, authz) },
	} {
		c, err := build()
		if err != nil {
			t.Fatal(err)
		}
		out[name] = c.VerifyPeerCertificate
	}
	return out
}

// TestReview4PeerIDLongerThanSpec: a peer certificate chaining to the
// bundle whose SPIFFE ID is longer than the specification's 2048 bytes is
// refused by every configuration (even with an authorizer admitting the
// whole trust domain) and by the built-in authorizers, with an error
// wrapping ErrUnauthorized and svid.ErrIDTooLong; exactly 2048 bytes is
// admitted.
func TestReview4PeerIDLongerThanSpec(t *testing.T) {
	t.Parallel()
	ca := newReview4CA(t, "ci.test")
	const prefix = "spiffe://ci.test/"
	at := prefix + strings.Repeat("a", svid.MaxIDLength-len(prefix))
	over := prefix + strings.Repeat("a", svid.MaxIDLength-len(prefix)+1)
	authzs := map[string]mtls.Authorizer{
		"AuthorizeMemberOf": mtls.AuthorizeMemberOf(ca.TrustDomain()),
		"AuthorizeMatcher":  mtls.AuthorizeMatcher(identity.MatchSPIFFEID(spiffeid.MatchMemberOf(ca.TrustDomain()))),
		"caller's own":      func(spiffeid.ID, [][]*x509.Certificate) error { return nil },
	}
	for aname, authz := range authzs {
		for cname, verify := range review4Configs(t, ca, authz) {
			if err := verify([][]byte{ca.leaf(t, at)}, nil); err != nil {
				t.Errorf("%s with %s: 2048-byte ID refused: %v", cname, aname, err)
			}
			err := verify([][]byte{ca.leaf(t, over)}, nil)
			if !errors.Is(err, mtls.ErrUnauthorized) || !errors.Is(err, svid.ErrIDTooLong) {
				t.Errorf("%s with %s: 2049-byte ID: %v, want ErrUnauthorized and ErrIDTooLong", cname, aname, err)
			}
			if err != nil && strings.Contains(err.Error(), strings.Repeat("a", 100)) {
				t.Errorf("%s with %s: error repeats the whole ID: %.200s", cname, aname, err)
			}
		}
	}
	id := spiffeid.RequireFromString(over)
	for name, authz := range map[string]mtls.Authorizer{"AuthorizeMemberOf": authzs["AuthorizeMemberOf"], "AuthorizeMatcher": authzs["AuthorizeMatcher"]} {
		if err := authz(id, nil); !errors.Is(err, mtls.ErrUnauthorized) || !errors.Is(err, svid.ErrIDTooLong) {
			t.Errorf("%s(2049-byte ID) = %v, want ErrUnauthorized and ErrIDTooLong", name, err)
		}
	}
}

// TestReview4EveryRefusalWrapsErrUnauthorized: through the configurations,
// a peer of another trust domain (its chain leads to a bundle not given),
// a peer whose chain leads to another trust domain's CA, and a refusal by
// a caller's authorizer that does not wrap ErrUnauthorized itself all come
// back wrapping ErrUnauthorized.
func TestReview4EveryRefusalWrapsErrUnauthorized(t *testing.T) {
	t.Parallel()
	ca, other := newReview4CA(t, "ci.test"), newReview4CA(t, "other.test")
	plain := errors.New("not on my list")
	refuseAll := func(spiffeid.ID, [][]*x509.Certificate) error { return plain }
	admitAll := func(spiffeid.ID, [][]*x509.Certificate) error { return nil }
	for _, tc := range []struct {
		name  string
		authz mtls.Authorizer
		leaf  []byte
	}{
		{"other trust domain", admitAll, other.leaf(t, "spiffe://other.test/job")},
		{"our ID signed by another CA", admitAll, other.leaf(t, "spiffe://ci.test/job")},
		{"caller's authorizer refuses", refuseAll, ca.leaf(t, "spiffe://ci.test/job")},
	} {
		for cname, verify := range review4Configs(t, ca, tc.authz) {
			if err := verify([][]byte{tc.leaf}, nil); !errors.Is(err, mtls.ErrUnauthorized) {
				t.Errorf("%s, %s: %v, want ErrUnauthorized", tc.name, cname, err)
			}
		}
	}
	for cname, verify := range review4Configs(t, ca, refuseAll) {
		if err := verify([][]byte{ca.leaf(t, "spiffe://ci.test/job")}, nil); !errors.Is(err, plain) {
			t.Errorf("%s: %v does not keep the authorizer's own error", cname, err)
		}
	}
}
