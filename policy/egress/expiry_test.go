package egress_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/egress"
)

// expiringToken is a job token of job A, shaped as a JWT whose claims say
// it expires at exp (to the millisecond). Its header and signature are
// canaries.
func expiringToken(exp time.Time) string {
	claims := fmt.Sprintf(`{"exp":%d.%03d}`, exp.Unix(), exp.Nanosecond()/1e6)
	return "CANARY-expiring." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".CANARY-sig"
}

// lenientVerifier accepts every token that starts like expiringToken's as
// job A, whatever its exp says: a verifier that allows leeway past exp, or
// a vendor's that does not look at it. The proxy must not rely on it.
var lenientVerifier = identity.TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
	if strings.HasPrefix(raw, "CANARY-expiring.") {
		return jobA, nil
	}
	return identity.Identity{}, errors.New("unknown token")
})

// testClock is a clock the test sets.
type testClock struct{ ns atomic.Int64 }

func newTestClock(t time.Time) *testClock {
	c := &testClock{}
	c.set(t)
	return c
}

func (c *testClock) now() time.Time  { return time.Unix(0, c.ns.Load()) }
func (c *testClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }

// waitClosedByProxy reads c until the proxy closes it, and fails if it is
// still open 30 s on: the credential behind it expired in about 2 s, so
// only a proxy that never cuts it is that slow.
func waitClosedByProxy(t *testing.T, c net.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.Copy(io.Discard, c); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the connection is still open 30 s after its credential expired")
	}
}

// expiredClose waits for the close record of the connection to resource
// and checks that it says the credential expired.
func expiredClose(t *testing.T, rec *recorder, resource string) {
	t.Helper()
	e := rec.waitFor(t, egress.ActionClose, audit.OutcomeFailure, resource, 1)[0]
	if e.Attributes[egress.AttrEnd] != egress.EndExpired || !strings.Contains(e.Reason, "credential that authorised it expired") ||
		e.Actor.ID != jobA.ID() {
		t.Errorf("close event: %+v", e)
	}
}

// TestTunnelEndsWhenTheTokenExpires: a tunnel opened with a token about to
// expire is cut when it does, not kept for as long as the job likes, and
// the token opens nothing once the proxy's clock is past its exp.
func TestTunnelEndsWhenTheTokenExpires(t *testing.T) {
	t.Parallel()
	loop := newEchoServer(t)
	authority := "echo.allowed.test:" + fmt.Sprint(port(t, loop.addr))
	rec := &recorder{}
	start := time.Now()
	clock := newTestClock(start)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	startProxyVerifying(t, ln, lenientVerifier, testRules(t, port(t, loop.addr)), rec,
		egress.WithResolver(hosts{"echo.allowed.test": loopback}), internalLoopback(), egress.WithClock(clock.now))
	token := expiringToken(start.Add(2 * time.Second))

	resp, body, c := rawConnect(t, ln.Addr().String(), authority, basic(token))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("CONNECT: %d %q", resp.StatusCode, body)
	}
	waitClosedByProxy(t, c)
	expiredClose(t, rec, "egress:"+authority)

	clock.set(start.Add(2 * time.Second))
	if resp, _, _ := rawConnect(t, ln.Addr().String(), authority, basic(token)); resp.StatusCode != http.StatusProxyAuthRequired {
		t.Errorf("CONNECT with the expired token: status %d, want 407", resp.StatusCode)
	}
	deny := rec.waitFor(t, egress.ActionConnect, audit.OutcomeDeny, "egress:"+authority, 1)[0]
	if deny.Reason != "the proxy credentials have expired" || deny.Actor.ID != "unauthenticated" {
		t.Errorf("deny event: %+v", deny)
	}
}

// TestForwardedResponseEndsWhenTheTokenExpires: a plain http:// response
// that streams on (a long download, a response kept open) is cut when the
// token that authorised the request expires.
func TestForwardedResponseEndsWhenTheTokenExpires(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	up := servePlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first\n")
		http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release) })
	authority := "up.allowed.test:" + fmt.Sprint(port(t, up))
	rec := &recorder{}
	start := time.Now()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	startProxyVerifying(t, ln, lenientVerifier, testRules(t, port(t, up)), rec,
		egress.WithResolver(hosts{"up.allowed.test": loopback}), internalLoopback(), egress.WithClock(newTestClock(start).now))

	c, br := dialProxy(t, ln.Addr().String())
	if _, err := io.WriteString(c, getReq(authority, basic(expiringToken(start.Add(2*time.Second))))); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("forwarded: %v, %v", resp, err)
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	b, err := io.ReadAll(resp.Body)
	if errors.Is(err, os.ErrDeadlineExceeded) || err == nil || string(b) != "first\n" {
		t.Fatalf("response body %q, %v; want the first line, then the connection broken off", b, err)
	}
	expiredClose(t, rec, "egress:"+authority)
}

// TestKeptAliveConnectionRechecksTheToken: each request on a kept-alive
// connection to the proxy is authenticated on its own, so the token that
// authorised the first does not carry a later one past its exp.
func TestKeptAliveConnectionRechecksTheToken(t *testing.T) {
	t.Parallel()
	up := servePlain(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	authority := "up.allowed.test:" + fmt.Sprint(port(t, up))
	start := time.Now()
	clock := newTestClock(start)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	startProxyVerifying(t, ln, lenientVerifier, testRules(t, port(t, up)), &recorder{},
		egress.WithResolver(hosts{"up.allowed.test": loopback}), internalLoopback(), egress.WithClock(clock.now))
	token := basic(expiringToken(start.Add(time.Minute)))

	c, br := dialProxy(t, ln.Addr().String())
	if resp, body := plainRequest(t, c, br, getReq(authority, token)); resp.StatusCode != http.StatusOK || body != "ok" {
		t.Fatalf("before exp: %d %q", resp.StatusCode, body)
	}
	clock.set(start.Add(time.Minute))
	if resp, _ := plainRequest(t, c, br, getReq(authority, token)); resp.StatusCode != http.StatusProxyAuthRequired {
		t.Errorf("after exp, on the same connection: status %d, want 407", resp.StatusCode)
	}
}

// TestTokenWithoutExpiryIsRefused: a token the verifier accepts but whose
// expiry the proxy cannot read would hold its tunnels open for ever; it is
// refused, fail closed, whatever the verifier said.
func TestTokenWithoutExpiryIsRefused(t *testing.T) {
	t.Parallel()
	b64 := base64.RawURLEncoding.EncodeToString
	anything := identity.TokenVerifierFunc(func(context.Context, string) (identity.Identity, error) { return jobA, nil })
	loop := newEchoServer(t)
	authority := "echo.allowed.test:" + fmt.Sprint(port(t, loop.addr))
	rec := &recorder{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	startProxyVerifying(t, ln, anything, testRules(t, port(t, loop.addr)), rec,
		egress.WithResolver(hosts{"echo.allowed.test": loopback}), internalLoopback())
	tokens := map[string]string{
		"opaque":               "CANARY-opaque-token",
		"no exp":               "h." + b64([]byte(`{"sub":"x"}`)) + ".s",
		"exp a string":         "h." + b64([]byte(`{"exp":"4102444800"}`)) + ".s",
		"exp repeated":         "h." + b64([]byte(`{"exp":1,"exp":4102444800}`)) + ".s",
		"exp in another case":  "h." + b64([]byte(`{"EXP":4102444800}`)) + ".s",
		"padded payload":       "h." + base64.URLEncoding.EncodeToString([]byte(`{"exp": 4102444800}`)) + ".s",
		"five parts (a JWE)":   "h." + b64([]byte(`{"exp":4102444800}`)) + ".s.x.y",
		"claims not an object": "h." + b64([]byte(`[4102444800]`)) + ".s",
	}
	for name, token := range tokens {
		if resp, _, _ := rawConnect(t, ln.Addr().String(), authority, basic(token)); resp.StatusCode != http.StatusProxyAuthRequired {
			t.Errorf("%s: status %d, want 407", name, resp.StatusCode)
		}
	}
	denies := rec.waitFor(t, egress.ActionConnect, audit.OutcomeDeny, "egress:"+authority, len(tokens))
	for _, e := range denies {
		if !strings.Contains(e.Reason, "no expiry") {
			t.Errorf("deny event: %+v", e)
		}
	}
	if loop.accepted.Load() != 0 {
		t.Errorf("the destination was reached %d times", loop.accepted.Load())
	}
}
