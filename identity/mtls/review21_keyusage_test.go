package mtls_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"math/big"
	"net/url"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/svid"
)

// review21Cert signs tmpl (given a URI SAN uri, a fresh key, a validity
// period) with parent/parentKey, or self-signs it when parent is nil.
func review21Cert(t *testing.T, tmpl *x509.Certificate, uri string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.URIs = []*url.URL{u}
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Minute), time.Now().Add(time.Hour)
	tmpl.BasicConstraintsValid = true
	if parent == nil {
		parent, parentKey = tmpl, k
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, k.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

// TestReview21PeerKeyPurpose: a certificate that chains to the bundle and
// names a workload, but whose key is not for TLS authentication in the
// peer's role (X509-SVID §4.3/§4.4: no digitalSignature; an extended key
// usage without clientAuth for a client or serverAuth for a server; an
// intermediate restricted to code signing, as a signing CA sharing the
// bundle would issue) is refused by every configuration, wrapping
// ErrUnauthorized and svid.ErrKeyUsage. go-spiffe verifies with
// ExtKeyUsageAny and never looks at the leaf's key usage.
func TestReview21PeerKeyPurpose(t *testing.T) {
	t.Parallel()
	td := spiffeid.RequireTrustDomainFromString("ci.test")
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := svid.NewIssuer(td, svid.WithCASigner(caKey), svid.WithCAPathLen(1))
	if err != nil {
		t.Fatal(err)
	}
	ca := review4CA{iss, caKey}
	root := iss.X509Bundle().X509Authorities()[0]
	inter, interKey := review21Cert(t, &x509.Certificate{
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}, "spiffe://ci.test", root, caKey)
	const id = "spiffe://ci.test/job"
	leaf := func(ku x509.KeyUsage, eku ...x509.ExtKeyUsage) []byte {
		c, _ := review21Cert(t, &x509.Certificate{KeyUsage: ku, ExtKeyUsage: eku}, id, root, caKey)
		return c.Raw
	}
	underInter, _ := review21Cert(t, &x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature}, id, inter, interKey)
	admitAll := func(spiffeid.ID, [][]*x509.Certificate) error { return nil }
	verifies := review4Configs(t, ca, admitAll)
	sig := x509.KeyUsageDigitalSignature
	for _, tc := range []struct {
		name  string
		chain [][]byte
		ok    map[string]bool // configurations that admit it
	}{
		{"no key usage extension", [][]byte{leaf(0)}, nil},
		{"keyEncipherment only", [][]byte{leaf(x509.KeyUsageKeyEncipherment)}, nil},
		{"code signing only", [][]byte{leaf(sig, x509.ExtKeyUsageCodeSigning)}, nil},
		{"server auth only", [][]byte{leaf(sig, x509.ExtKeyUsageServerAuth)}, map[string]bool{"ClientConfig": true}},
		{"client auth only", [][]byte{leaf(sig, x509.ExtKeyUsageClientAuth)}, map[string]bool{"ServerConfig": true, "ServerConfigClientOptional": true}},
		{"under a code-signing intermediate", [][]byte{underInter.Raw, inter.Raw}, nil},
		{"no extended key usage", [][]byte{leaf(sig)}, map[string]bool{"ServerConfig": true, "ServerConfigClientOptional": true, "ClientConfig": true}},
		{"any extended key usage", [][]byte{leaf(sig, x509.ExtKeyUsageAny)}, map[string]bool{"ServerConfig": true, "ServerConfigClientOptional": true, "ClientConfig": true}},
	} {
		for cname, verify := range verifies {
			err := verify(tc.chain, nil)
			switch {
			case tc.ok[cname] && err != nil:
				t.Errorf("%s, %s: refused: %v", tc.name, cname, err)
			case !tc.ok[cname] && (!errors.Is(err, mtls.ErrUnauthorized) || !errors.Is(err, svid.ErrKeyUsage)):
				t.Errorf("%s, %s: %v, want ErrUnauthorized and svid.ErrKeyUsage", tc.name, cname, err)
			}
		}
	}
}
