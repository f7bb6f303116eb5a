package egress_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/egress"
)

// Job tokens of the tests. They are canaries: no response, audit event or
// log line may contain them. Shaped as JWTs (the proxy reads exp from the
// claims the verifier accepted; here {"exp":4102444800}, the year 2100),
// with the canary as header and signature, which the test verifier does
// not read.
const (
	farExpiry = "eyJleHAiOjQxMDI0NDQ4MDB9"
	tokenA    = "CANARY-job-a-token-7f3e9d1c." + farExpiry + ".CANARY-sig-a"
	tokenB    = "CANARY-job-b-token-2b8a4e6f." + farExpiry + ".CANARY-sig-b"
)

var (
	jobA = identity.Identity{Issuer: "https://ci.example", Subject: "repo:octo/app:ref:refs/heads/main",
		Claims: identity.Claims{Repository: "octo/app", Workflow: "build", Ref: "refs/heads/main", Job: "build", RunID: "101"}}
	jobB = identity.Identity{Issuer: "https://ci.example", Subject: "repo:octo/other:ref:refs/heads/main",
		Claims: identity.Claims{Repository: "octo/other", Workflow: "build", Ref: "refs/heads/main", Job: "build", RunID: "202"}}
)

// verifier knows the two test tokens.
var verifier = identity.TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
	switch raw {
	case tokenA:
		return jobA, nil
	case tokenB:
		return jobB, nil
	}
	return identity.Identity{}, errors.New("unknown token")
})

// recorder is an audit sink that keeps events and can refuse open events.
type recorder struct {
	mu         sync.Mutex
	events     []audit.Event
	refuseOpen bool
}

func (r *recorder) Write(_ context.Context, e audit.Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuseOpen && e.Action == egress.ActionConnect && e.Outcome == audit.OutcomeAllow {
		return errors.New("sink unavailable")
	}
	r.events = append(r.events, e)
	return nil
}

func (r *recorder) all() []audit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// find returns the events of action and outcome about resource.
func (r *recorder) find(action string, outcome audit.Outcome, resource string) []audit.Event {
	var out []audit.Event
	for _, e := range r.all() {
		if e.Action == action && e.Outcome == outcome && e.Resource == resource {
			out = append(out, e)
		}
	}
	return out
}

// waitFor polls until find returns n events (close events are written after
// the client has seen the end of the connection).
func (r *recorder) waitFor(t *testing.T, action string, outcome audit.Outcome, resource string, n int) []audit.Event {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := r.find(action, outcome, resource)
		if len(got) >= n || time.Now().After(deadline) {
			if len(got) < n {
				t.Fatalf("want %d %s/%s events for %q, got %d; all: %+v", n, action, outcome, resource, len(got), r.all())
			}
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hosts is a test resolver: every name in it resolves to its address. The
// proxy asks for rooted names ("x.test."); a name without the trailing dot
// is not found, as a resolver that never expands names would not.
type hosts map[string]netip.Addr

func (h hosts) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	name, rooted := strings.CutSuffix(host, ".")
	if a, ok := h[name]; ok && rooted {
		return []netip.Addr{a}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

var loopback = netip.MustParseAddr("127.0.0.1")

// testRules allow job A to reach *.allowed.test on any port of ports, and
// nobody else anything.
func testRules(t testing.TB, ports ...uint16) *egress.AllowList {
	t.Helper()
	al, err := egress.NewAllowList(egress.Rule{
		Name: "octo-app-allowed", Repositories: []string{"octo/app"}, Refs: []string{"refs/heads/*"},
		Hosts: []string{"*.allowed.test"}, Ports: ports,
	})
	if err != nil {
		t.Fatal(err)
	}
	return al
}

// startProxy serves a proxy for job A (only) on 127.0.0.1 and returns it
// with its address. Loopback is reachable through it unless opts say
// otherwise: the servers of the tests live there.
func startProxy(t testing.TB, d egress.Decider, sink audit.Sink, opts ...egress.Option) (*egress.Proxy, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startProxyOn(t, ln, d, sink, opts...), ln.Addr().String()
}

// startProxyOn is startProxy on a listener of the caller's (a TLS one).
func startProxyOn(t testing.TB, ln net.Listener, d egress.Decider, sink audit.Sink, opts ...egress.Option) *egress.Proxy {
	t.Helper()
	return startProxyVerifying(t, ln, verifier, d, sink, opts...)
}

// startProxyVerifying is startProxyOn with a token verifier of the
// caller's.
func startProxyVerifying(t testing.TB, ln net.Listener, tokens identity.TokenVerifier, d egress.Decider, sink audit.Sink, opts ...egress.Option) *egress.Proxy {
	t.Helper()
	p, err := egress.New(tokens, identity.MatchID(jobA.ID()), d, sink, opts...)
	if err != nil {
		_ = ln.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Serve(ln) }()
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return p
}

// internalLoopback lets the tests' names (all under .test, which only the
// tests' resolvers answer) reach their servers on loopback.
func internalLoopback() egress.Option {
	// A glob one label wide ("*.test") is refused: the tests' names below
	// .test are listed.
	return egress.WithInternalHosts([]string{
		"*.allowed.test", "*.denied.test", "allowed.test", "exfil.test", "x.test", "other.test",
		"proxy.test", "example.test", "anything.test", "unspecified.test", "ula.test",
		"nat64-loop.test", "metadata.test", "mapped.test", "intranet.test", "cgnat.test",
		"spent.test", "decoy99.test", "d.test",
	}, netip.MustParsePrefix("127.0.0.0/8"))
}

func port(t testing.TB, addr string) uint16 {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return ap.Port()
}

// rawConnect sends CONNECT authority to the proxy with the given
// Proxy-Authorization (none if empty) and returns the response with its
// body read, and the connection (open after a 200).
func rawConnect(t testing.TB, proxy, authority, auth string) (*http.Response, string, net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", proxy)
	if err != nil {
		t.Fatal(err)
	}
	return connectOn(t, c, authority, auth)
}

// connectOn sends the CONNECT of rawConnect on an open connection to the
// proxy.
func connectOn(t testing.TB, c net.Conn, authority, auth string) (*http.Response, string, net.Conn) {
	t.Helper()
	t.Cleanup(func() { c.Close() })
	req := "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n"
	if auth != "" {
		req += "Proxy-Authorization: " + auth + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp, "", &bufferedConn{Conn: c, r: br}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp, string(b), c
}

type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

func basic(token string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte("job:"+token))
}

// testCA is a CA and a server certificate it issued for names.
type testCA struct {
	pemPath string // the CA certificate, for curl --cacert
	pool    *x509.CertPool
	server  tls.Certificate
}

func newTestCA(t *testing.T, names ...string) *testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ztci egress test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &testCA{pemPath: path, pool: pool, server: tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}}
}

// serveTLS serves h over TLS with the CA's server certificate on 127.0.0.1.
func (ca *testCA) serveTLS(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{ca.server}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// servePlain serves h over plain HTTP on 127.0.0.1.
func servePlain(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// serveTCP accepts connections on a loopback listener until the test ends,
// hands each to handle on a goroutine of its own (closing it when handle
// returns), and returns the listener's address.
func serveTCP(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}
