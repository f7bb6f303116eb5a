package k8s_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ztci/ztci/policy/gate/k8s"
)

// review38CA is a test certificate authority.
type review38CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newReview38CA(t *testing.T, cn string) review38CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return review38CA{cert: c, key: key}
}

// leaf issues a certificate for usage, valid from notBefore to notAfter,
// to kube-apiserver.
func (ca review38CA) leaf(t *testing.T, usage x509.ExtKeyUsage, notBefore, notAfter time.Time) *x509.Certificate {
	t.Helper()
	return ca.issue(t, "kube-apiserver", usage, notBefore, notAfter)
}

// issue issues a certificate to cn for usage, valid from notBefore to notAfter.
func (ca review38CA) issue(t *testing.T, cn string, usage x509.ExtKeyUsage, notBefore, notAfter time.Time) *x509.Certificate {
	t.Helper()
	return ca.keyPair(t, cn, usage, notBefore, notAfter).Leaf
}

// keyPair is issue's certificate with its key, for a TLS client.
func (ca review38CA) keyPair(t *testing.T, cn string, usage x509.ExtKeyUsage, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: c}
}

// TestReview38CallerCertificatesOverTLS: over a real TLS connection whose
// server asks for (without itself verifying) client certificates, the
// handler answers the API server's certificate and refuses another CA's.
func TestReview38CallerCertificatesOverTLS(t *testing.T) {
	t.Parallel()
	ca, other := newReview38CA(t, "apiserver-client-ca"), newReview38CA(t, "other-ca")
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	g := &fakeGate{}
	srv := httptest.NewUnstartedServer(newWebhook(t, g, &memSink{}, k8s.WithCallerCertificates(roots, "kube-apiserver")))
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	now := time.Now()
	for _, tc := range []struct {
		name string
		cert tls.Certificate
		want int
	}{
		{name: "API server", cert: ca.keyPair(t, "kube-apiserver", x509.ExtKeyUsageClientAuth, now.Add(-time.Minute), now.Add(time.Hour)), want: http.StatusOK},
		{name: "other CA", cert: other.keyPair(t, "kube-apiserver", x509.ExtKeyUsageClientAuth, now.Add(-time.Minute), now.Add(time.Hour)), want: http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := srv.Client().Transport.(*http.Transport).Clone()
			tr.TLSClientConfig.Certificates = []tls.Certificate{tc.cert}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/validate?timeout=10s",
				bytes.NewReader(fixture(t, "pod-8-containers-one-image.json")))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

// TestReview38CallerCertificates: with WithCallerCertificates the handler
// answers only a caller whose TLS connection presented a client
// certificate of the configured roots; any other request is refused with
// 403 before a review is read, decided or audited. Before, the handler
// decided whatever reached it: any Pod could post reviews naming any user
// (forging the webhook's audit events) and any namespace (each forged
// namespace a fresh decision share, so slow images could hold every slot
// and every real deploy was denied as timed out), with no way for the
// handler to tell the API server from anyone else.
func TestReview38CallerCertificates(t *testing.T) {
	t.Parallel()
	ca, other := newReview38CA(t, "apiserver-client-ca"), newReview38CA(t, "other-ca")
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	now := time.Now()
	good := ca.leaf(t, x509.ExtKeyUsageClientAuth, now.Add(-time.Minute), now.Add(time.Hour))
	kubelet := ca.issue(t, "system:node:worker-1", x509.ExtKeyUsageClientAuth, now.Add(-time.Minute), now.Add(time.Hour))
	for _, tc := range []struct {
		name    string
		state   *tls.ConnectionState
		names   []string
		allowed bool
	}{
		{name: "named API server certificate", state: &tls.ConnectionState{PeerCertificates: []*x509.Certificate{good}},
			names: []string{"other", "kube-apiserver"}, allowed: true},
		{name: "same CA, another subject", state: &tls.ConnectionState{PeerCertificates: []*x509.Certificate{kubelet}},
			names: []string{"kube-apiserver"}},
		{name: "API server's client certificate", state: &tls.ConnectionState{PeerCertificates: []*x509.Certificate{good}}, allowed: true},
		{name: "plain HTTP"},
		{name: "TLS without a client certificate", state: &tls.ConnectionState{}},
		{name: "another CA's client certificate", state: &tls.ConnectionState{PeerCertificates: []*x509.Certificate{
			other.leaf(t, x509.ExtKeyUsageClientAuth, now.Add(-time.Minute), now.Add(time.Hour))}}},
		{name: "server certificate of the CA", state: &tls.ConnectionState{PeerCertificates: []*x509.Certificate{
			ca.leaf(t, x509.ExtKeyUsageServerAuth, now.Add(-time.Minute), now.Add(time.Hour))}}},
		{name: "expired client certificate", state: &tls.ConnectionState{PeerCertificates: []*x509.Certificate{
			ca.leaf(t, x509.ExtKeyUsageClientAuth, now.Add(-2*time.Hour), now.Add(-time.Hour))}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, sink := &fakeGate{}, &memSink{}
			w := newWebhook(t, g, sink, k8s.WithCallerCertificates(roots, tc.names...))
			req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/validate?timeout=10s",
				bytes.NewReader(fixture(t, "pod-8-containers-one-image.json")))
			req.Header.Set("Content-Type", "application/json")
			req.TLS = tc.state
			rec := httptest.NewRecorder()
			w.ServeHTTP(rec, req)
			if tc.allowed {
				if rec.Code != http.StatusOK || len(g.decided()) != 1 || len(sink.all()) != 1 {
					t.Fatalf("trusted caller: status %d, %d decisions, %d audit events; want 200, 1, 1", rec.Code, len(g.decided()), len(sink.all()))
				}
				return
			}
			if rec.Code != http.StatusForbidden {
				t.Fatalf("status = %d, want 403", rec.Code)
			}
			if d, ev := g.decided(), sink.all(); len(d) != 0 || len(ev) != 0 {
				t.Fatalf("an unauthenticated caller's review reached the gate (%q) or the audit log (%d events)", d, len(ev))
			}
		})
	}
}

// TestReview38CallerCertificatesOption: nil roots or an empty name are a
// configuration error, not "check nothing".
func TestReview38CallerCertificatesOption(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opt  k8s.Option
	}{
		{name: "nil roots", opt: k8s.WithCallerCertificates(nil)},
		{name: "empty name", opt: k8s.WithCallerCertificates(x509.NewCertPool(), "kube-apiserver", "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := k8s.New(&fakeGate{}, tokens, &memSink{}, tc.opt); !errors.Is(err, k8s.ErrConfig) {
				t.Fatalf("New = %v, want ErrConfig", err)
			}
		})
	}
}
