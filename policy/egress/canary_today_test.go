package egress_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/policy/egress"
)

// TestCanaryExpiryPathsLeakNoToken drives the credential-expiry paths
// (a token past its exp by the proxy's clock, tokens whose exp cannot be
// read, a tunnel cut at expiry) with tokens whose every part is a canary,
// under a logger at Debug, and greps the responses, the log and the audit
// events for them.
func TestCanaryExpiryPathsLeakNoToken(t *testing.T) {
	t.Parallel()
	b64 := base64.RawURLEncoding.EncodeToString
	var mu sync.Mutex
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(b)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	loop := newEchoServer(t)
	authority := "echo.allowed.test:" + fmt.Sprint(port(t, loop.addr))
	rec := &recorder{}
	start := time.Now()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	startProxyVerifying(t, ln, lenientVerifier, testRules(t, port(t, loop.addr)), rec,
		egress.WithResolver(hosts{"echo.allowed.test": loopback}), internalLoopback(),
		egress.WithClock(newTestClock(start).now), egress.WithLogger(logger))

	refused := []string{
		expiringToken(start.Add(-time.Second)),
		"CANARY-expiring." + b64([]byte(`{"sub":"CANARY-claims"}`)) + ".CANARY-sig",
		"CANARY-expiring." + b64([]byte(`{"exp":"CANARY-exp"}`)) + ".CANARY-sig",
		"CANARY-expiring." + b64([]byte(`{"exp":1,"exp":4102444800}`)) + ".CANARY-sig",
		"CANARY-expiring.CANARY-not-base64!.CANARY-sig",
		"CANARY-expiring.opaque",
	}
	var bodies []string
	for _, tok := range refused {
		for _, auth := range []string{basic(tok), "Bearer " + tok} {
			resp, body, _ := rawConnect(t, ln.Addr().String(), authority, auth)
			if resp.StatusCode != http.StatusProxyAuthRequired {
				t.Errorf("%.40q: status %d, want 407", tok, resp.StatusCode)
			}
			bodies = append(bodies, fmt.Sprint(resp.Header), body)
		}
	}
	resp, body, c := rawConnect(t, ln.Addr().String(), authority, basic(expiringToken(start.Add(time.Second))))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("CONNECT: %d %q", resp.StatusCode, body)
	}
	waitClosedByProxy(t, c)
	expiredClose(t, rec, "egress:"+authority)

	if s := strings.Join(bodies, "\n"); strings.Contains(s, "CANARY") {
		t.Errorf("a response holds a token: %s", s)
	}
	assertNoCanary(t, rec)
	mu.Lock()
	defer mu.Unlock()
	if logs.Len() == 0 || strings.Contains(logs.String(), "CANARY") {
		t.Errorf("logs: %s", logs.String())
	}
}
