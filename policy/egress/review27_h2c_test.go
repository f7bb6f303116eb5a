package egress_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/policy/egress"
)

// TestReview27H2CUpgradeStripped: curl --http2 offers h2c (Upgrade: h2c,
// HTTP2-Settings, Connection: Upgrade, HTTP2-Settings) on every http://
// request, through a proxy too; the proxy refused it with 501, so the
// request failed. The offer is now declined by not relaying it: the
// destination reads a plain HTTP/1.1 request (no Upgrade, no
// HTTP2-Settings, no "upgrade" in Connection) and the job gets its
// answer. An Upgrade naming another protocol, or h2c without its
// HTTP2-Settings, is still refused with 501 before anything is dialled.
func TestReview27H2CUpgradeStripped(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []http.Header
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		if r.URL.Path == "/switch" {
			// A destination switching anyway must not get a tunnel.
			w.Header().Set("Connection", "Upgrade")
			w.Header().Set("Upgrade", "h2c")
			w.WriteHeader(http.StatusSwitchingProtocols)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	p := port(t, ln.Addr().String())
	_, paddr := startProxy(t, testRules(t, p), &recorder{},
		egress.WithResolver(hosts{"cdn.allowed.test": loopback}), internalLoopback())
	authority := fmt.Sprintf("cdn.allowed.test:%d", p)
	head := func(path string) string {
		return "GET http://" + authority + path + " HTTP/1.1\r\nHost: " + authority + "\r\nProxy-Authorization: " + basic(tokenA) + "\r\n"
	}
	// What curl 7.88.1 sends with --http2 -x.
	const curlH2C = "User-Agent: curl/7.88.1\r\nAccept: */*\r\nProxy-Connection: Keep-Alive\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n"

	for _, tt := range []struct {
		name, req string
		status    int
	}{
		{name: "curl --http2", req: head("/") + curlH2C, status: http.StatusOK},
		{name: "any case, other connection tokens", req: head("/") + "connection: keep-alive, UPGRADE, http2-settings, X-Hop\r\nx-hop: 1\r\nupgrade: H2C\r\nhttp2-settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n", status: http.StatusOK},
		{name: "destination switches anyway", req: head("/switch") + curlH2C, status: http.StatusBadGateway},
		{name: "h2c and websocket", req: head("/") + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c, websocket\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n", status: http.StatusNotImplemented},
		{name: "h2c twice with websocket", req: head("/") + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nUpgrade: websocket\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n", status: http.StatusNotImplemented},
		{name: "h2c without settings", req: head("/") + "Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n", status: http.StatusNotImplemented},
		{name: "h2c with two settings", req: head("/") + "Connection: Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: A\r\nHTTP2-Settings: B\r\n\r\n", status: http.StatusNotImplemented},
		{name: "empty upgrade with settings", req: head("/") + "Connection: Upgrade\r\nUpgrade:\r\nHTTP2-Settings: A\r\n\r\n", status: http.StatusNotImplemented},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := sendForwarded(t, paddr, tt.req)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tt.status)
			}
			if tt.status == http.StatusNotImplemented && resp.Header.Get(egress.HeaderRule) != egress.RuleUpgrade {
				t.Errorf("rule %q, want %s", resp.Header.Get(egress.HeaderRule), egress.RuleUpgrade)
			}
			if tt.status == http.StatusOK && body != "ok\n" {
				t.Errorf("body %q", body)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3 {
		t.Fatalf("the destination read %d requests, want 3", len(seen))
	}
	for _, h := range seen {
		for _, k := range []string{"Upgrade", "Http2-Settings", "X-Hop"} {
			if v, ok := h[k]; ok {
				t.Errorf("the destination read %s: %q", k, v)
			}
		}
		// The proxy closes each forwarded connection.
		if v := h["Connection"]; len(v) != 0 && (len(v) != 1 || v[0] != "close") {
			t.Errorf("the destination read Connection: %q", v)
		}
	}
}
