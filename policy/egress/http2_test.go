package egress_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/egress"
)

// TestHTTP2IsNotServed: on a TLS listener whose configuration offers "h2",
// net/http served HTTP/2, whose streams multiplex any number of requests
// on one connection while the pending limits count connections: with one
// pending connection allowed, a job still had four unauthenticated
// requests in the verifier at once. The proxy speaks HTTP/1.1 only.
func TestHTTP2IsNotServed(t *testing.T) {
	t.Parallel()
	var inVerifier atomic.Int32
	release := make(chan struct{})
	blocking := identity.TokenVerifierFunc(func(ctx context.Context, raw string) (identity.Identity, error) {
		inVerifier.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return verifier(ctx, raw)
	})
	ca := newTestCA(t, "proxy.test")
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{ca.server}, NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS12,
	})
	if err != nil {
		t.Fatal(err)
	}
	startProxyVerifying(t, ln, blocking, testRules(t, 443), &recorder{},
		egress.WithLimits(egress.Limits{MaxPendingConns: 2, MaxPendingConnsPerClient: 1}))

	var h2 http.Protocols
	h2.SetHTTP2(true)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool, ServerName: "proxy.test"}, Protocols: &h2}
	t.Cleanup(tr.CloseIdleConnections)
	// A first request without credentials (407, the verifier is not
	// asked) leaves an HTTP/2 connection for the others to share.
	first, err := tr.RoundTrip(&http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "https", Host: ln.Addr().String(), Path: "/"},
		Header: http.Header{}})
	if err == nil {
		first.Body.Close()
	}
	const streams = 4
	var wg sync.WaitGroup
	var done atomic.Int32
	for range streams {
		wg.Go(func() {
			defer done.Add(1)
			pr, pw := net.Pipe()
			defer pr.Close()
			defer pw.Close()
			req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Scheme: "https", Host: ln.Addr().String()},
				Host: "echo.allowed.test:443", Header: http.Header{"Proxy-Authorization": {basic(tokenA)}}, Body: pr}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if resp, err := tr.RoundTrip(req.WithContext(ctx)); err == nil {
				resp.Body.Close()
			}
		})
	}
	deadline := time.Now().Add(3 * time.Second)
	for inVerifier.Load() < streams && done.Load() < streams && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	n := inVerifier.Load()
	close(release)
	wg.Wait()
	if n > 1 {
		t.Errorf("%d requests were in the verifier at once with one pending connection allowed (HTTP/2 streams)", n)
	}
}
