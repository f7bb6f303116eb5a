package egress_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/egress"
)

// acceptCounter is a listener that counts the connections it accepts.
type acceptCounter struct {
	net.Listener
	n atomic.Int64
}

func (l *acceptCounter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// sendForwarded sends one raw forwarded request to the proxy on a connection
// of its own and returns the response with its body read.
func sendForwarded(t *testing.T, proxy, req string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", proxy)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp, string(b)
}

// TestReview26ForwardedUpgradeNeverReachesDestination: a forwarded
// http:// request that asks to switch protocols (WebSocket, h2c; Upgrade
// in any case and with any value, "upgrade" in Connection, HTTP2-Settings)
// used to reach the destination, which could act on it (and its body)
// while the job got 502. It is refused with 501 and RuleUpgrade, audited
// as a deny, and the destination accepts no connection; an ordinary
// request still passes.
func TestReview26ForwardedUpgradeNeverReachesDestination(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dst := &acceptCounter{Listener: ln}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})}
	go func() { _ = srv.Serve(dst) }()
	t.Cleanup(func() { _ = srv.Close() })

	p := port(t, ln.Addr().String())
	rec := &recorder{}
	_, paddr := startProxy(t, testRules(t, p), rec,
		egress.WithResolver(hosts{"cdn.allowed.test": loopback}), internalLoopback())
	authority := fmt.Sprintf("cdn.allowed.test:%d", p)
	head := "GET http://" + authority + "/ HTTP/1.1\r\nHost: " + authority + "\r\nProxy-Authorization: " + basic(tokenA) + "\r\n"

	for _, tt := range []struct{ name, req string }{
		{"websocket", head + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n"},
		// An offer of h2c alone is stripped, not refused: see
		// TestReview27H2CUpgradeStripped. With another protocol it is
		// refused.
		{"h2c with websocket", head + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c, websocket\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n"},
		{"upgrade without connection", head + "Upgrade: websocket\r\n\r\n"},
		{"upgrade in lower case", head + "upgrade: WebSocket\r\nconnection: upgrade\r\n\r\n"},
		{"empty upgrade", head + "Upgrade:\r\n\r\n"},
		{"connection token only", head + "Connection: keep-alive,\tUPGRADE\r\n\r\n"},
		{"http2-settings only", head + "http2-settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n"},
		{"with a body", "POST http://" + authority + "/hook HTTP/1.1\r\nHost: " + authority + "\r\nProxy-Authorization: " + basic(tokenA) +
			"\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 9\r\n\r\nrm -rf /\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := sendForwarded(t, paddr, tt.req)
			if resp.StatusCode != http.StatusNotImplemented || resp.Header.Get(egress.HeaderRule) != egress.RuleUpgrade {
				t.Errorf("status %d, rule %q (%s); want 501 and %s", resp.StatusCode, resp.Header.Get(egress.HeaderRule), body, egress.RuleUpgrade)
			}
			if n := dst.n.Load(); n != 0 {
				t.Fatalf("the destination accepted %d connections", n)
			}
		})
	}
	denies := 0
	for _, ev := range rec.find(egress.ActionConnect, audit.OutcomeDeny, "egress:"+authority) {
		if ev.Attributes[egress.AttrRule] == egress.RuleUpgrade {
			denies++
		}
	}
	if denies != 8 {
		t.Errorf("audited %d upgrade denies, want 8: %+v", denies, rec.all())
	}

	resp, body := sendForwarded(t, paddr, head+"Connection: keep-alive\r\n\r\n")
	if resp.StatusCode != http.StatusOK || body != "ok\n" {
		t.Fatalf("ordinary request: status %d, body %q", resp.StatusCode, body)
	}
	if n := dst.n.Load(); n != 1 {
		t.Fatalf("the destination accepted %d connections, want 1", n)
	}
}

// TestReview26TunnelUpgradeAsForwarding: a cleartext request in a tunnel
// is held to the same reading of "asks to switch protocols" as a
// forwarded one. An empty Upgrade value (with "upgrade" in Connection,
// which some servers, Node's parser among them, take for an upgrade) and
// HTTP2-Settings used to be relayed; they cut the tunnel before the
// destination reads them.
func TestReview26TunnelUpgradeAsForwarding(t *testing.T) {
	t.Parallel()
	var served atomic.Int64
	addr := servePlain(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		_, _ = io.WriteString(w, "ok\n")
	}))
	rec := &recorder{}
	_, paddr := startProxy(t, testRules(t, port(t, addr)), rec,
		egress.WithResolver(hosts{"cdn.allowed.test": loopback}), internalLoopback())
	authority := fmt.Sprintf("cdn.allowed.test:%d", port(t, addr))

	for _, tt := range []struct{ name, send string }{
		{"empty upgrade", "GET / HTTP/1.1\r\nHost: " + authority + "\r\nUpgrade:\r\nConnection: upgrade\r\n\r\n"},
		{"connection token only", "GET / HTTP/1.1\r\nHost: " + authority + "\r\nConnection: Upgrade\r\n\r\n"},
		{"http2-settings", "GET / HTTP/1.1\r\nHost: " + authority + "\r\nConnection: HTTP2-Settings\r\nHTTP2-Settings: AAMAAABk\r\n\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, _, c := rawConnect(t, paddr, authority, basic(tokenA))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if _, err := io.WriteString(c, tt.send); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if r, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				t.Fatalf("the destination answered %d", r.StatusCode)
			}
		})
	}
	if n := served.Load(); n != 0 {
		t.Fatalf("the destination served %d requests", n)
	}
	for _, e := range rec.waitFor(t, egress.ActionConnect, audit.OutcomeDeny, "egress:"+authority, 3) {
		if e.Attributes[egress.AttrRule] != egress.RuleHostMismatch || e.Attributes[egress.AttrHTTPHost] != "(upgrade)" {
			t.Errorf("deny event: %+v", e)
		}
	}
}
