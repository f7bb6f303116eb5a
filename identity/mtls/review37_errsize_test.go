package mtls_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/mtls"
)

// TestReview37PeerCertTextBounded: a peer certificate is verified after
// its SPIFFE ID is read, and go-spiffe names the ID's trust domain, whole,
// when the bundle has none for it: anyone who can open a connection could
// present a certificate they made with a trust domain of a few hundred
// kilobytes (a handshake carries up to 256 KiB of certificates) and have
// it repeated in the handshake error, which http.Server and gRPC log for
// every connection. The refusal now repeats at most a bounded part of it
// and still wraps ErrUnauthorized.
func TestReview37PeerCertTextBounded(t *testing.T) {
	t.Parallel()
	const huge = 64 << 10
	const bound = 4 << 10
	u, err := url.Parse("spiffe://" + strings.Repeat("a", huge) + ".test/job")
	if err != nil {
		t.Fatal(err)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), URIs: []*url.URL{u},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	ca := newReview4CA(t, "ci.test")
	admitAll := func(spiffeid.ID, [][]*x509.Certificate) error { return nil }
	for name, verify := range review4Configs(t, ca, admitAll) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := verify([][]byte{der}, nil)
			if !errors.Is(err, mtls.ErrUnauthorized) {
				t.Fatalf("%v; want ErrUnauthorized", err)
			}
			if n := len(err.Error()); n > bound {
				t.Errorf("the refusal repeats %d bytes of the certificate, want at most %d", n, bound)
			}
		})
	}
}
