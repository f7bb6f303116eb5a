package egress_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/policy/egress"
)

// TestClientSVIDAuthenticatesTheJob: a job connects to the proxy over mTLS
// with its X.509-SVID instead of a token. The proxy verifies the chain
// itself: the TLS server here requests any client certificate and checks
// nothing, and a workload of another trust domain is still refused.
func TestClientSVIDAuthenticatesTheJob(t *testing.T) {
	t.Parallel()
	td := spiffeid.RequireTrustDomainFromString("ci.example")
	ca, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	evilCA, err := svid.NewIssuer(spiffeid.RequireTrustDomainFromString("evil.example"))
	if err != nil {
		t.Fatal(err)
	}
	issue := func(iss *svid.Issuer, path string) *x509svid.SVID {
		s, err := iss.X509SVID(t.Context(), spiffeid.RequireFromPath(iss.TrustDomain(), path), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	proxySVID := issue(ca, "/egress-proxy")
	loop := newEchoServer(t)
	p := port(t, loop.addr)
	rules, err := egress.NewAllowList(egress.Rule{Name: "octo-app-workloads", SPIFFEIDs: []string{"spiffe://ci.example/repo/octo/app/*"},
		Hosts: []string{"*.allowed.test"}, Ports: []uint16{p}})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	proxy, err := egress.New(verifier, identity.MatchSPIFFEID(spiffeid.MatchMemberOf(td)), rules, rec,
		egress.WithClientSVIDs(ca), egress.WithResolver(hosts{"echo.allowed.test": loopback}), internalLoopback())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	keyed := tls.Certificate{PrivateKey: proxySVID.PrivateKey}
	for _, c := range proxySVID.Certificates {
		keyed.Certificate = append(keyed.Certificate, c.Raw)
	}
	tlsLn := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{keyed}, ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS13})
	done := make(chan error, 1)
	go func() { done <- proxy.Serve(tlsLn) }()
	t.Cleanup(func() {
		_ = proxy.Close()
		<-done
	})

	authority := fmt.Sprintf("echo.allowed.test:%d", p)
	dialAs := func(t *testing.T, s *x509svid.SVID) net.Conn {
		cfg, err := mtls.ClientConfig(s, ca, mtls.AuthorizeID(proxySVID.ID))
		if err != nil {
			t.Fatal(err)
		}
		c, err := tls.Dial("tcp", ln.Addr().String(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name   string
		svid   *x509svid.SVID
		status int
	}{
		{"job of octo/app", issue(ca, "/repo/octo/app/job/build"), http.StatusOK},
		{"job of another repository", issue(ca, "/repo/octo/other/job/build"), http.StatusForbidden},
		{"workload of another trust domain", issue(evilCA, "/repo/octo/app/job/build"), http.StatusProxyAuthRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body, c := connectOn(t, dialAs(t, tt.svid), authority, "")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %q", resp.StatusCode, tt.status, body)
			}
			if tt.status == http.StatusOK {
				echo(t, c, "over mTLS")
			}
			if tt.status == http.StatusForbidden && !strings.Contains(body, egress.RuleDefaultDeny) {
				t.Errorf("body %q", body)
			}
		})
	}
	// A tunnel ends when the SVID that authorised it expires (its
	// certificate's NotAfter, whole seconds: 3 to 4 s from now).
	t.Run("tunnel ends when the SVID expires", func(t *testing.T) {
		short, err := ca.X509SVID(t.Context(), spiffeid.RequireFromPath(td, "/repo/octo/app/job/short"), time.Now().Add(4*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		resp, body, c := connectOn(t, dialAs(t, short), authority, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %q", resp.StatusCode, body)
		}
		waitClosedByProxy(t, c)
		for _, e := range rec.waitFor(t, egress.ActionClose, audit.OutcomeFailure, "egress:"+authority, 1) {
			if e.Actor.ID != short.ID.String() || e.Attributes[egress.AttrEnd] != egress.EndExpired {
				t.Errorf("close event: %+v", e)
			}
		}
	})
	// A proxy without WithClientSVIDs refuses a client certificate, even
	// one that would verify.
	plain, err := egress.New(verifier, identity.MatchSPIFFEID(spiffeid.MatchMemberOf(td)), rules, rec,
		egress.WithResolver(hosts{"echo.allowed.test": loopback}), internalLoopback())
	if err != nil {
		t.Fatal(err)
	}
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done2 := make(chan error, 1)
	go func() {
		done2 <- plain.Serve(tls.NewListener(ln2, &tls.Config{Certificates: []tls.Certificate{keyed}, ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS13}))
	}()
	t.Cleanup(func() {
		_ = plain.Close()
		<-done2
	})
	cfg, err := mtls.ClientConfig(issue(ca, "/repo/octo/app/job/build"), ca, mtls.AuthorizeID(proxySVID.ID))
	if err != nil {
		t.Fatal(err)
	}
	c2, err := tls.Dial("tcp", ln2.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if resp, _, _ := connectOn(t, c2, authority, ""); resp.StatusCode != http.StatusProxyAuthRequired {
		t.Errorf("client certificate without WithClientSVIDs: status %d, want 407", resp.StatusCode)
	}

	open := rec.waitFor(t, egress.ActionConnect, audit.OutcomeAllow, "egress:"+authority, 1)[0]
	if open.Actor.ID != "spiffe://ci.example/repo/octo/app/job/build" || open.Actor.Kind != "workload" ||
		open.Attributes[egress.AttrRule] != "octo-app-workloads" {
		t.Errorf("open event: %+v", open)
	}
}

// TestCurlWithClientSVID: curl reaches the proxy over HTTPS with the job's
// X.509-SVID as its proxy client certificate, and no token.
func TestCurlWithClientSVID(t *testing.T) {
	need(t, "curl")
	td := spiffeid.RequireTrustDomainFromString("ci.example")
	ca, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	job, err := ca.X509SVID(t.Context(), spiffeid.RequireFromPath(td, "/repo/octo/app/job/build"), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := job.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "job.pem"), filepath.Join(dir, "job-key.pem")
	for path, b := range map[string][]byte{certPath: certPEM, keyPath: keyPEM} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	webCA := newTestCA(t, "api.allowed.test")
	tlsAddr := webCA.serveTLS(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello workload\n") }))
	rules, err := egress.NewAllowList(egress.Rule{Name: "octo-app-workloads", SPIFFEIDs: []string{"spiffe://ci.example/repo/octo/app/*"},
		Hosts: []string{"*.allowed.test"}, Ports: []uint16{port(t, tlsAddr)}})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	proxy, err := egress.New(verifier, identity.MatchSPIFFEID(spiffeid.MatchMemberOf(td)), rules, rec,
		egress.WithClientSVIDs(ca), egress.WithResolver(hosts{"api.allowed.test": loopback}), internalLoopback())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The proxy's server certificate names 127.0.0.1 (issued by the web
	// test CA); it asks for, and itself verifies, the client's SVID.
	tlsLn := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{webCA.server}, ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12})
	done := make(chan error, 1)
	go func() { done <- proxy.Serve(tlsLn) }()
	t.Cleanup(func() {
		_ = proxy.Close()
		<-done
	})
	env := jobEnv(t, "https://"+ln.Addr().String())
	out, errOut, err := curl(t, env, "--proxy-cacert", webCA.pemPath, "--proxy-cert", certPath, "--proxy-key", keyPath,
		"--cacert", webCA.pemPath, fmt.Sprintf("https://api.allowed.test:%d/", port(t, tlsAddr)))
	if err != nil || out != "hello workload\n" {
		t.Fatalf("curl: %v, stdout %q, stderr %q", err, out, errOut)
	}
	_, errOut, err = curl(t, env, "--proxy-cacert", webCA.pemPath, "--cacert", webCA.pemPath, fmt.Sprintf("https://api.allowed.test:%d/", port(t, tlsAddr)))
	if err == nil || !strings.Contains(errOut, "407") {
		t.Errorf("curl without SVID or token: want 407, got %v, %q", err, errOut)
	}
	e := rec.waitFor(t, egress.ActionClose, audit.OutcomeSuccess, fmt.Sprintf("egress:api.allowed.test:%d", port(t, tlsAddr)), 1)[0]
	if e.Actor.ID != "spiffe://ci.example/repo/octo/app/job/build" {
		t.Errorf("close event: %+v", e)
	}
}
