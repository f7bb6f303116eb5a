package egress_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/egress"
)

// A client certificate that chains to the bundle but names the trust
// domain itself ("spiffe://ci.example", no path) is no workload: the
// X509-SVID specification (§3.1, §5.2) says validators must refuse it,
// go-spiffe's chain check does not, and a matcher admitting the trust
// domain's members admits it. The proxy refuses it as unauthenticated.
func TestClientSVIDTrustDomainIDRefused(t *testing.T) {
	t.Parallel()
	td := spiffeid.RequireTrustDomainFromString("ci.example")
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: now.Add(-time.Minute), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, URIs: []*url.URL{td.ID().URL()}}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(id string) tls.Certificate {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(id)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), NotBefore: now.Add(-time.Minute), NotAfter: now.Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, URIs: []*url.URL{u}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	}
	loop := newEchoServer(t)
	p := port(t, loop.addr)
	rules, err := egress.NewAllowList(egress.Rule{Name: "members", SPIFFEIDs: []string{"spiffe://ci.example/*", "spiffe://ci.example"},
		Hosts: []string{"*.allowed.test"}, Ports: []uint16{p}})
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := egress.New(verifier, identity.MatchSPIFFEID(spiffeid.MatchMemberOf(td)), rules, &recorder{},
		egress.WithClientSVIDs(x509bundle.FromX509Authorities(td, []*x509.Certificate{caCert})),
		egress.WithResolver(hosts{"echo.allowed.test": loopback}), internalLoopback())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := leaf("spiffe://ci.example/egress-proxy")
	done := make(chan error, 1)
	go func() {
		done <- proxy.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{server}, ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS13}))
	}()
	t.Cleanup(func() {
		_ = proxy.Close()
		<-done
	})
	// The client skips verifying the proxy: what is tested is the
	// proxy's verification of the client.
	for id, want := range map[string]int{"spiffe://ci.example/job": http.StatusOK, "spiffe://ci.example": http.StatusProxyAuthRequired} {
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{Certificates: []tls.Certificate{leaf(id)}, InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
		if err != nil {
			t.Fatal(err)
		}
		if resp, body, _ := connectOn(t, c, fmt.Sprintf("echo.allowed.test:%d", p), ""); resp.StatusCode != want {
			t.Errorf("client %s: status %d, want %d: %q", id, resp.StatusCode, want, body)
		}
	}
}
