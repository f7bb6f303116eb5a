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

	"github.com/ztci/ztci/policy/egress"
)

// TestReview22ConnectTargetAuthorityFormOnly: net/http reads a CONNECT
// target other than host:port leniently ("/x" takes the Host header's
// destination; userinfo and a query are dropped), so the proxy tunnelled
// to a destination its request line did not name. Each is refused with
// 400 before anything is dialed; host:port itself still tunnels.
func TestReview22ConnectTargetAuthorityFormOnly(t *testing.T) {
	t.Parallel()
	var dialed atomic.Int32
	up := serveTCP(t, func(c net.Conn) {
		dialed.Add(1)
		_, _ = io.WriteString(c, "hello")
	})
	pt := port(t, up)
	_, paddr := startProxy(t, testRules(t, pt), &recorder{},
		egress.WithResolver(hosts{"up.allowed.test": loopback}), internalLoopback())
	send := func(target, host string) int {
		t.Helper()
		c, err := net.Dial("tcp", paddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: %s\r\n\r\n", target, host, basic(tokenA))
		resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: http.MethodConnect})
		if err != nil {
			t.Fatalf("CONNECT %s: %v", target, err)
		}
		return resp.StatusCode
	}
	authority := fmt.Sprintf("up.allowed.test:%d", pt)
	for _, target := range []string{
		"/x",
		"/",
		"*",
		"user@" + authority,
		"user:pass@" + authority,
		authority + "?q",
		"http://" + authority + "/",
	} {
		if got := send(target, authority); got != http.StatusBadRequest {
			t.Errorf("CONNECT %s (Host %s): status %d, want 400", target, authority, got)
		}
	}
	if n := dialed.Load(); n != 0 {
		t.Fatalf("the destination was reached %d times by targets not in authority form", n)
	}
	if got := send(authority, authority); got != http.StatusOK {
		t.Fatalf("CONNECT %s: status %d, want 200", authority, got)
	}
}
