package egress_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/egress"
)

// echoServer accepts on 127.0.0.1, echoes, and counts its connections.
type echoServer struct {
	addr     string
	accepted atomic.Int64
}

func newEchoServer(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &echoServer{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return s
}

// echo writes msg through c and reads it back.
func echo(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	// A line: a tunnel's first line is read whole before it is relayed,
	// to tell HTTP from other protocols (see relayRequests).
	msg += "\n"
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, len(msg))
	if _, err := io.ReadFull(c, b); err != nil || string(b) != msg {
		t.Fatalf("echo: %q, %v", b, err)
	}
}

func TestDNSRebindingConnectsToTheCheckedAddress(t *testing.T) {
	t.Parallel()
	loop := newEchoServer(t)
	public := netip.MustParseAddr("93.184.215.14")
	var lookups atomic.Int64
	// The name is public when the proxy checks it, loopback afterwards.
	rebinding := egress.ResolverFunc(func(context.Context, string, string) ([]netip.Addr, error) {
		if lookups.Add(1) == 1 {
			return []netip.Addr{public}, nil
		}
		return []netip.Addr{loopback}, nil
	})
	// The public host is played by another server on loopback; the dialer
	// reaches it only for the public address, and records every address.
	standIn := newEchoServer(t)
	want := netip.AddrPortFrom(public, port(t, loop.addr)).String()
	var dialed []string
	var mu sync.Mutex
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, addr)
		mu.Unlock()
		if addr != want {
			return nil, errors.New("only the public address is reachable in this test")
		}
		var d net.Dialer
		return d.DialContext(ctx, network, standIn.addr)
	}
	rec := &recorder{}
	// No internal prefixes: loopback is not reachable through this proxy.
	_, paddr := startProxy(t, testRules(t, port(t, loop.addr)), rec, egress.WithResolver(rebinding), egress.WithDialer(dial))
	authority := "rebind.allowed.test:" + fmt.Sprint(port(t, loop.addr))
	// If the proxy resolved again between its check and its dial, it
	// would dial loopback.
	resp, body, c := rawConnect(t, paddr, authority, basic(tokenA))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %q", resp.StatusCode, body)
	}
	echo(t, c, "to the checked address")
	mu.Lock()
	if len(dialed) != 1 || dialed[0] != want {
		t.Errorf("dialed %v, want only %s", dialed, want)
	}
	mu.Unlock()
	if n := lookups.Load(); n != 1 {
		t.Errorf("%d lookups for one connection, want 1", n)
	}
	// The next connection resolves to loopback: refused, not dialed,
	// although the decision on the name is cached.
	resp, _, _ = rawConnect(t, paddr, authority, basic(tokenA))
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("status %d, want 403", resp.StatusCode)
	}
	mu.Lock()
	if len(dialed) != 1 {
		t.Errorf("dialed %v after the rebind", dialed)
	}
	mu.Unlock()
	if n := loop.accepted.Load(); n != 0 || standIn.accepted.Load() != 1 {
		t.Errorf("the loopback server was reached %d times, the public one %d", n, standIn.accepted.Load())
	}
	ev := rec.waitFor(t, egress.ActionConnect, audit.OutcomeDeny, "egress:"+authority, 1)
	if ev[0].Attributes[egress.AttrRule] != egress.RuleInternalAddress {
		t.Errorf("deny event: %+v", ev[0])
	}
}

func TestPrivateTargetsRefusedByDefault(t *testing.T) {
	t.Parallel()
	loop := newEchoServer(t)
	p := port(t, loop.addr)
	rules, err := egress.NewAllowList(egress.Rule{Name: "anything", Repositories: []string{"*"}, Hosts: []string{"*"}, Ports: []uint16{p}})
	if err != nil {
		t.Fatal(err)
	}
	res := hosts{
		"localhost":        loopback,
		"metadata.test":    netip.MustParseAddr("169.254.169.254"),
		"intranet.test":    netip.MustParseAddr("10.1.2.3"),
		"cgnat.test":       netip.MustParseAddr("100.64.0.1"),
		"mapped.test":      netip.MustParseAddr("::ffff:127.0.0.1"),
		"ula.test":         netip.MustParseAddr("fd00::1"),
		"nat64-loop.test":  netip.MustParseAddr("64:ff9b::7f00:1"),
		"unspecified.test": netip.MustParseAddr("0.0.0.0"),
	}
	rec := &recorder{}
	_, paddr := startProxy(t, rules, rec, egress.WithResolver(res))
	for _, host := range []string{"127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "localhost", "metadata.test", "intranet.test",
		"cgnat.test", "mapped.test", "ula.test", "nat64-loop.test", "unspecified.test", "169.254.169.254", "224.0.0.1"} {
		t.Run(host, func(t *testing.T) {
			resp, body, _ := rawConnect(t, paddr, fmt.Sprintf("%s:%d", host, p), basic(tokenA))
			if resp.StatusCode != http.StatusForbidden || resp.Header.Get(egress.HeaderRule) != egress.RuleInternalAddress ||
				!strings.Contains(body, egress.RuleInternalAddress) {
				t.Errorf("status %d, rule %q, body %q", resp.StatusCode, resp.Header.Get(egress.HeaderRule), body)
			}
		})
	}
	if n := loop.accepted.Load(); n != 0 {
		t.Errorf("the loopback server was reached %d times", n)
	}
}

func TestConnectRefusals(t *testing.T) {
	t.Parallel()
	loop := newEchoServer(t)
	p := fmt.Sprint(port(t, loop.addr))
	rec := &recorder{}
	res := hosts{"echo.allowed.test": loopback, "other.test": loopback}
	_, paddr := startProxy(t, testRules(t, port(t, loop.addr)), rec, egress.WithResolver(res), internalLoopback())
	tests := []struct {
		name      string
		authority string
		auth      string
		status    int
		rule      string
	}{
		{"allowed", "echo.allowed.test:" + p, basic(tokenA), http.StatusOK, ""},
		{"bearer", "echo.allowed.test:" + p, "Bearer " + tokenA, http.StatusOK, ""},
		{"denied host names the rule", "other.test:" + p, basic(tokenA), http.StatusForbidden, egress.RuleDefaultDeny},
		{"denied port", "echo.allowed.test:1", basic(tokenA), http.StatusForbidden, egress.RuleDefaultDeny},
		{"no credentials", "echo.allowed.test:" + p, "", http.StatusProxyAuthRequired, ""},
		{"unknown token", "echo.allowed.test:" + p, "Bearer CANARY-not-a-token", http.StatusProxyAuthRequired, ""},
		{"other job's token", "echo.allowed.test:" + p, basic(tokenB), http.StatusProxyAuthRequired, ""},
		{"token as user name only", "echo.allowed.test:" + p, "Basic " + "Q0FOQVJZLWpvYi1hLXRva2VuLTdmM2U5ZDFjOg==", http.StatusProxyAuthRequired, ""},
		{"no port", "echo.allowed.test", basic(tokenA), http.StatusBadRequest, ""},
		{"numeric host", "2130706433:" + p, basic(tokenA), http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body, c := rawConnect(t, paddr, tt.authority, tt.auth)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %q", resp.StatusCode, tt.status, body)
			}
			switch tt.status {
			case http.StatusOK:
				echo(t, c, "ping through the tunnel")
			case http.StatusProxyAuthRequired:
				if got := resp.Header.Values("Proxy-Authenticate"); len(got) != 2 || !strings.HasPrefix(got[0], "Basic ") {
					t.Errorf("Proxy-Authenticate: %q", got)
				}
			}
			if tt.rule != "" && (resp.Header.Get(egress.HeaderRule) != tt.rule || !strings.Contains(body, tt.rule)) {
				t.Errorf("rule header %q, body %q; want rule %s", resp.Header.Get(egress.HeaderRule), body, tt.rule)
			}
			if strings.Contains(body, "CANARY") {
				t.Errorf("body echoes a token: %q", body)
			}
		})
	}
	if n := len(rec.find(egress.ActionConnect, audit.OutcomeDeny, "")); n < 2 {
		t.Errorf("refused credentials: %d audit events, want at least 2 (unknown token, bad request)", n)
	}
	assertNoCanary(t, rec)
}

func TestAuditOnlyAllowsAndRecords(t *testing.T) {
	t.Parallel()
	loop := newEchoServer(t)
	authority := "anything.test:" + fmt.Sprint(port(t, loop.addr))
	rec := &recorder{}
	_, paddr := startProxy(t, testRules(t, 443), rec, egress.WithResolver(hosts{"anything.test": loopback}),
		internalLoopback(), egress.WithAuditOnlyUnsafe())
	resp, _, c := rawConnect(t, paddr, authority, basic(tokenA))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	echo(t, c, "learning")
	c.Close()
	open := rec.waitFor(t, egress.ActionConnect, audit.OutcomeAllow, "egress:"+authority, 1)[0]
	closed := rec.waitFor(t, egress.ActionClose, audit.OutcomeSuccess, "egress:"+authority, 1)[0]
	for _, e := range []audit.Event{open, closed} {
		if e.Attributes[egress.AttrEnforced] != "false" || e.Attributes[egress.AttrRule] != egress.RuleDefaultDeny || e.Actor.ID != jobA.ID() {
			t.Errorf("event: %+v", e)
		}
	}
	if closed.Attributes[egress.AttrBytesUp] != "9" || closed.Attributes[egress.AttrBytesDown] != "9" {
		t.Errorf("bytes: %+v", closed.Attributes)
	}

	// Audit-only does not lift the address check.
	_, paddr2 := startProxy(t, testRules(t, 443), rec, egress.WithResolver(hosts{"anything.test": loopback}), egress.WithAuditOnlyUnsafe())
	if resp, _, _ := rawConnect(t, paddr2, authority, basic(tokenA)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("audit-only, loopback not allowed: status %d, want 403", resp.StatusCode)
	}
}

func TestAuditFailureFailsClosed(t *testing.T) {
	t.Parallel()
	loop := newEchoServer(t)
	rec := &recorder{refuseOpen: true}
	_, paddr := startProxy(t, testRules(t, port(t, loop.addr)), rec, egress.WithResolver(hosts{"echo.allowed.test": loopback}), internalLoopback())
	resp, _, _ := rawConnect(t, paddr, "echo.allowed.test:"+fmt.Sprint(port(t, loop.addr)), basic(tokenA))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", resp.StatusCode)
	}
	if n := loop.accepted.Load(); n != 0 {
		t.Errorf("destination reached %d times without an audit record", n)
	}
}

func TestCutAndKillSwitch(t *testing.T) {
	t.Parallel()
	loop := newEchoServer(t)
	authority := "echo.allowed.test:" + fmt.Sprint(port(t, loop.addr))
	rec := &recorder{}
	kill, err := audit.NewKillSwitch(rec)
	if err != nil {
		t.Fatal(err)
	}
	p, paddr := startProxy(t, testRules(t, port(t, loop.addr)), rec, egress.WithResolver(hosts{"echo.allowed.test": loopback}),
		internalLoopback(), egress.WithCompromiseChecker(kill), egress.WithLimits(egress.Limits{CompromiseRecheck: 20 * time.Millisecond}))

	// Cut closes the open tunnels of the identity.
	_, _, c1 := rawConnect(t, paddr, authority, basic(tokenA))
	_, _, c2 := rawConnect(t, paddr, authority, basic(tokenA))
	echo(t, c1, "a")
	echo(t, c2, "b")
	if n := p.Cut(jobA.ID()); n != 2 {
		t.Errorf("Cut closed %d connections, want 2", n)
	}
	for _, c := range []net.Conn{c1, c2} {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Error("tunnel still open after Cut")
		}
	}
	for _, e := range rec.waitFor(t, egress.ActionClose, audit.OutcomeFailure, "egress:"+authority, 2) {
		if e.Attributes[egress.AttrEnd] != "cut" {
			t.Errorf("close event: %+v", e)
		}
	}

	// A kill-switch mark cuts the open tunnel and refuses new ones.
	_, _, c3 := rawConnect(t, paddr, authority, basic(tokenA))
	echo(t, c3, "c")
	if err := kill.Mark(t.Context(), jobA.ID(), "exfiltration detected", "test", time.Time{}); err != nil {
		t.Fatal(err)
	}
	_ = c3.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c3.Read(make([]byte, 1)); err == nil {
		t.Error("tunnel still open after the kill-switch mark")
	}
	resp, body, _ := rawConnect(t, paddr, authority, basic(tokenA))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, egress.RuleCompromised) {
		t.Errorf("after the mark: status %d, body %q", resp.StatusCode, body)
	}
	closes := rec.waitFor(t, egress.ActionClose, audit.OutcomeFailure, "egress:"+authority, 3)
	if end := closes[2].Attributes[egress.AttrEnd]; end != "compromised" {
		t.Errorf("end %q, want compromised", end)
	}
}

func TestConnectionsPerJobAreBounded(t *testing.T) {
	t.Parallel()
	loop := newEchoServer(t)
	authority := "echo.allowed.test:" + fmt.Sprint(port(t, loop.addr))
	rec := &recorder{}
	_, paddr := startProxy(t, testRules(t, port(t, loop.addr)), rec, egress.WithResolver(hosts{"echo.allowed.test": loopback}),
		internalLoopback(), egress.WithLimits(egress.Limits{MaxConnsPerJob: 1}))
	_, _, c1 := rawConnect(t, paddr, authority, basic(tokenA))
	echo(t, c1, "held")
	resp, body, _ := rawConnect(t, paddr, authority, basic(tokenA))
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, egress.RuleTooManyConnections) {
		t.Fatalf("second connection: status %d, body %q", resp.StatusCode, body)
	}
	c1.Close()
	rec.waitFor(t, egress.ActionClose, audit.OutcomeSuccess, "egress:"+authority, 1)
	resp, _, c3 := rawConnect(t, paddr, authority, basic(tokenA))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after the first closed: status %d", resp.StatusCode)
	}
	echo(t, c3, "again")
}

func TestDecisionsAreCachedAndFirstSeenReported(t *testing.T) {
	t.Parallel()
	loop := newEchoServer(t)
	authority := "echo.allowed.test:" + fmt.Sprint(port(t, loop.addr))
	var calls atomic.Int64
	rules := testRules(t, port(t, loop.addr))
	counting := egress.DeciderFunc(func(ctx context.Context, job identity.Identity, dst egress.Destination) (egress.Decision, error) {
		calls.Add(1)
		return rules.Decide(ctx, job, dst)
	})
	var mu sync.Mutex
	var firsts []string
	rec := &recorder{}
	anomalies := &recorder{}
	det, err := audit.NewDetector(anomalies, audit.WithLearning(1))
	if err != nil {
		t.Fatal(err)
	}
	// The detector learns from the decisions only (close events would
	// double every first sighting).
	sink := audit.FanOut(rec, audit.SinkFunc(func(ctx context.Context, e audit.Event) error {
		if e.Action != egress.ActionConnect {
			return nil
		}
		return det.Write(ctx, e)
	}))
	_, paddr := startProxy(t, counting, sink, egress.WithResolver(hosts{"echo.allowed.test": loopback, "new.allowed.test": loopback}),
		internalLoopback(), egress.WithFirstSeen(func(_ context.Context, job identity.Identity, dst egress.Destination, d egress.Decision) {
			mu.Lock()
			firsts = append(firsts, job.ID()+" "+dst.String()+" "+d.Rule)
			mu.Unlock()
		}))
	for range 3 {
		_, _, c := rawConnect(t, paddr, authority, basic(tokenA))
		echo(t, c, "x")
		c.Close()
	}
	newAuthority := "new.allowed.test:" + fmt.Sprint(port(t, loop.addr))
	_, _, c := rawConnect(t, paddr, newAuthority, basic(tokenA))
	echo(t, c, "y")
	if n := calls.Load(); n != 2 {
		t.Errorf("decider called %d times for 2 destinations", n)
	}
	mu.Lock()
	if len(firsts) != 2 || firsts[0] != jobA.ID()+" "+authority+" octo-app-allowed" {
		t.Errorf("first seen: %q", firsts)
	}
	mu.Unlock()
	got := anomalies.find(audit.ActionAnomalyPrefix+audit.RuleFirstSeen, audit.OutcomeSuccess, "egress:"+newAuthority)
	if len(got) != 1 || got[0].Actor.ID != jobA.ID() {
		t.Errorf("first_seen anomalies for the new destination: %+v", anomalies.all())
	}
}

func TestUndecidedIsDenied(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	broken := egress.DeciderFunc(func(context.Context, identity.Identity, egress.Destination) (egress.Decision, error) {
		return egress.Decision{}, errors.New("policy store unreachable")
	})
	unnamed := egress.DeciderFunc(func(context.Context, identity.Identity, egress.Destination) (egress.Decision, error) {
		return egress.Decision{Allow: true}, nil
	})
	for _, d := range []egress.Decider{broken, unnamed} {
		_, paddr := startProxy(t, d, rec, egress.WithResolver(hosts{"x.test": loopback}), internalLoopback())
		resp, body, _ := rawConnect(t, paddr, "x.test:443", basic(tokenA))
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get(egress.HeaderRule) != egress.RuleUndecided {
			t.Errorf("status %d, body %q", resp.StatusCode, body)
		}
	}
}

func TestLogsNeverHoldTheToken(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(b)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	// A vendor's verifier that quotes the token it refused, and its parts.
	leaky := identity.TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
		return identity.Identity{}, fmt.Errorf("bad token %q (parts %q)", raw, strings.Split(raw, "."))
	})
	p, err := egress.New(leaky, identity.MatchID(jobA.ID()), testRules(t, 443), &recorder{}, egress.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, auth := range []string{basic(tokenA), "Bearer " + tokenA, "Basic " + tokenA, "Digest " + tokenA} {
		req, _ := http.NewRequest(http.MethodConnect, "http://x.test:443", nil)
		req.Host = "x.test:443"
		req.Header.Set("Proxy-Authorization", auth)
		w := &recordingWriter{h: http.Header{}}
		p.ServeHTTP(w, req)
		if w.status != http.StatusProxyAuthRequired || strings.Contains(w.body.String(), "CANARY") {
			t.Errorf("%d %q", w.status, w.body.String())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if logs.Len() == 0 || strings.Contains(logs.String(), "CANARY") || strings.Contains(logs.String(), farExpiry) {
		t.Errorf("logs: %q", logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

type recordingWriter struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (w *recordingWriter) Header() http.Header         { return w.h }
func (w *recordingWriter) WriteHeader(s int)           { w.status = s }
func (w *recordingWriter) Write(b []byte) (int, error) { return w.body.Write(b) }

func TestCloseLeavesNoGoroutines(t *testing.T) {
	loop := newEchoServer(t)
	before := runtime.NumGoroutine()
	func() {
		rec := &recorder{}
		kill, _ := audit.NewKillSwitch(rec)
		p, err := egress.New(verifier, identity.MatchID(jobA.ID()), testRules(t, port(t, loop.addr)), rec,
			egress.WithResolver(hosts{"echo.allowed.test": loopback}), internalLoopback(), egress.WithCompromiseChecker(kill))
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- p.Serve(ln) }()
		resp, _, c := rawConnect(t, ln.Addr().String(), "echo.allowed.test:"+fmt.Sprint(port(t, loop.addr)), basic(tokenA))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		echo(t, c, "open while closing")
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		c.Close()
		closes := rec.waitFor(t, egress.ActionClose, audit.OutcomeFailure, "egress:echo.allowed.test:"+fmt.Sprint(port(t, loop.addr)), 1)
		if closes[0].Attributes[egress.AttrEnd] != "closed" {
			t.Errorf("close event: %+v", closes[0])
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestNewRejectsMisuse(t *testing.T) {
	t.Parallel()
	rules := testRules(t, 443)
	sink := &recorder{}
	match := identity.MatchID(jobA.ID())
	tests := []struct {
		name string
		fn   func() (*egress.Proxy, error)
	}{
		{"nil verifier", func() (*egress.Proxy, error) { return egress.New(nil, match, rules, sink) }},
		{"nil matcher", func() (*egress.Proxy, error) { return egress.New(verifier, nil, rules, sink) }},
		{"nil decider", func() (*egress.Proxy, error) { return egress.New(verifier, match, nil, sink) }},
		{"nil sink", func() (*egress.Proxy, error) { return egress.New(verifier, match, rules, nil) }},
		{"nil option", func() (*egress.Proxy, error) { return egress.New(verifier, match, rules, sink, nil) }},
		{"nil resolver", func() (*egress.Proxy, error) {
			return egress.New(verifier, match, rules, sink, egress.WithResolver(nil))
		}},
		{"all of IPv4", func() (*egress.Proxy, error) {
			return egress.New(verifier, match, rules, sink, egress.WithInternalHosts([]string{"x.test"}, netip.MustParsePrefix("0.0.0.0/0")))
		}},
		{"mapped all of IPv4", func() (*egress.Proxy, error) {
			return egress.New(verifier, match, rules, sink, egress.WithInternalHosts([]string{"x.test"}, netip.MustParsePrefix("::ffff:0.0.0.0/96")))
		}},
		{"negative limit", func() (*egress.Proxy, error) {
			return egress.New(verifier, match, rules, sink, egress.WithLimits(egress.Limits{MaxConnsPerJob: -1}))
		}},
		{"negative pending limit", func() (*egress.Proxy, error) {
			return egress.New(verifier, match, rules, sink, egress.WithLimits(egress.Limits{MaxPendingConnsPerClient: -1}))
		}},
		{"negative refusal refill", func() (*egress.Proxy, error) {
			return egress.New(verifier, match, rules, sink, egress.WithLimits(egress.Limits{RefusalRefill: -time.Second}))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tt.fn(); !errors.Is(err, egress.ErrConfig) {
				t.Errorf("err %v, want ErrConfig", err)
			}
		})
	}
}

// TestTunnelCarriesLargeTransfers sends 10 MiB each way through a tunnel,
// over the spliced path (TCP to TCP) and the buffered one (a dialer that
// returns its own net.Conn), and checks the bytes and the audited counts.
func TestTunnelCarriesLargeTransfers(t *testing.T) {
	t.Parallel()
	const size = 10 << 20
	for _, wrapped := range []bool{false, true} {
		t.Run(fmt.Sprint("wrapped=", wrapped), func(t *testing.T) {
			t.Parallel()
			loop := newEchoServer(t)
			authority := "echo.allowed.test:" + fmt.Sprint(port(t, loop.addr))
			dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
				var d net.Dialer
				c, err := d.DialContext(ctx, network, addr)
				if err != nil || !wrapped {
					return c, err
				}
				return struct{ net.Conn }{c}, nil
			}
			rec := &recorder{}
			_, paddr := startProxy(t, testRules(t, port(t, loop.addr)), rec, egress.WithResolver(hosts{"echo.allowed.test": loopback}),
				internalLoopback(), egress.WithDialer(dial))
			_, _, c := rawConnect(t, paddr, authority, basic(tokenA))
			want := bytes.Repeat([]byte("0123456789abcde\n"), size/16)
			errc := make(chan error, 1)
			go func() {
				_, err := c.Write(want)
				errc <- err
			}()
			got := make([]byte, size)
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			if _, err := io.ReadFull(c, got); err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatal("the tunnel changed the bytes")
			}
			c.Close()
			e := rec.waitFor(t, egress.ActionClose, audit.OutcomeSuccess, "egress:"+authority, 1)[0]
			if e.Attributes[egress.AttrBytesUp] != fmt.Sprint(size) || e.Attributes[egress.AttrBytesDown] != fmt.Sprint(size) {
				t.Errorf("audited bytes: %v", e.Attributes)
			}
		})
	}
}

// TestSNIMustNameTheConnectHost: a tunnel to an allowed host whose TLS
// ClientHello names another server (domain fronting) is cut before a byte
// reaches the destination, and audited as a deny.
func TestSNIMustNameTheConnectHost(t *testing.T) {
	t.Parallel()
	loop := newEchoServer(t)
	p := fmt.Sprint(port(t, loop.addr))
	rec := &recorder{}
	_, paddr := startProxy(t, testRules(t, port(t, loop.addr)), rec, egress.WithResolver(hosts{"cdn.allowed.test": loopback}), internalLoopback())
	authority := "cdn.allowed.test:" + p

	for _, tt := range []struct {
		name       string
		serverName string
		cut        bool
	}{
		{"fronted", "evil.example", true},
		{"same host, other case and trailing dot", "CDN.allowed.test.", false},
		{"no server name", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, _, c := rawConnect(t, paddr, authority, basic(tokenA))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			// The echo server is no TLS server: send the ClientHello and
			// see whether it comes back.
			hello := captureClientHello(t, tt.serverName)
			if _, err := c.Write(hello); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			got := make([]byte, len(hello))
			_, err := io.ReadFull(c, got)
			if tt.cut != (err != nil) {
				t.Fatalf("read back: %v (want cut: %v)", err, tt.cut)
			}
		})
	}
	deny := rec.waitFor(t, egress.ActionConnect, audit.OutcomeDeny, "egress:"+authority, 1)
	if len(deny) != 1 || deny[0].Attributes[egress.AttrRule] != egress.RuleSNIMismatch || deny[0].Attributes[egress.AttrSNI] != "evil.example" {
		t.Errorf("deny events: %+v", deny)
	}
	for _, e := range rec.waitFor(t, egress.ActionClose, audit.OutcomeFailure, "egress:"+authority, 1) {
		if e.Attributes[egress.AttrEnd] != egress.EndSNIMismatch || e.Attributes[egress.AttrBytesUp] != "0" {
			t.Errorf("close event of the fronted tunnel: %+v", e)
		}
	}
}

// captureClientHello returns the first bytes a Go TLS client sends for
// serverName.
func captureClientHello(t *testing.T, serverName string) []byte {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	go func() {
		defer b.Close()
		_ = tls.Client(b, &tls.Config{ServerName: serverName, InsecureSkipVerify: serverName == ""}).Handshake() //nolint:gosec // no server; only the hello is captured
	}()
	buf := make([]byte, 16<<10)
	_ = a.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := a.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	// The destination sends a byte every 50 ms for 600 ms, then waits.
	laddr := serveTCP(t, func(c net.Conn) {
		for range 12 {
			if _, err := c.Write([]byte{'.'}); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		_, _ = io.Copy(io.Discard, c)
	})
	authority := "drip.allowed.test:" + fmt.Sprint(port(t, laddr))
	rec := &recorder{}
	_, paddr := startProxy(t, testRules(t, port(t, laddr)), rec, egress.WithResolver(hosts{"drip.allowed.test": loopback}),
		internalLoopback(), egress.WithLimits(egress.Limits{IdleTimeout: time.Second, HeaderTimeout: 200 * time.Millisecond}))

	t.Run("a tunnel busy one way is not idle, then idles out", func(t *testing.T) {
		resp, _, c := rawConnect(t, paddr, authority, basic(tokenA))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		start := time.Now()
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(c)
		if len(got) != 12 {
			t.Errorf("read %d bytes (%v), want all 12: the tunnel was cut while the destination was sending", len(got), err)
		}
		// The idle timeout is 1 s (20 drips) so a loaded CI machine that
		// delays one drip does not cut the tunnel; 5 s is far below the
		// 10 s read deadline, so a tunnel that never idles out still fails.
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("idle tunnel closed after %v", d)
		}
		e := rec.waitFor(t, egress.ActionClose, audit.OutcomeSuccess, "egress:"+authority, 1)[0]
		if e.Attributes[egress.AttrEnd] != "idle" {
			t.Errorf("close event: %+v", e)
		}
	})

	t.Run("a client that sends no header is dropped", func(t *testing.T) {
		c, err := net.Dial("tcp", paddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = io.WriteString(c, "CONNECT drip.allowed.test:1 HTTP/1.1\r\n")
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		start := time.Now()
		_, _ = io.ReadAll(c)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("a stalled header held the connection for %v", d)
		}
	})
}

// encodingSink is a recorder that refuses what audit.Encode refuses, as a
// real audit log does.
type encodingSink struct{ recorder }

func (s *encodingSink) Write(ctx context.Context, e audit.Event) error {
	if _, err := audit.Encode(e); err != nil {
		return err
	}
	return s.recorder.Write(ctx, e)
}

// plainRequest writes req on c and reads its response (after any 1xx) and
// the response's body.
func plainRequest(t *testing.T, c net.Conn, br *bufio.Reader, req string) (*http.Response, string) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode < 200 {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
}

// TestSNIAuditIsBounded: the server name of a fronting attempt is the job's
// choice, any bytes up to 64 KiB. Written raw it made the deny and close
// records too large for the audit log, which refused them: the attempt
// left no trace but an allow. Both records must be written, with the name
// bounded and escaped.
func TestSNIAuditIsBounded(t *testing.T) {
	t.Parallel()
	loop := newEchoServer(t)
	authority := "cdn.allowed.test:" + fmt.Sprint(port(t, loop.addr))
	for _, tt := range []struct{ name, sni string }{
		{"newline", "evil\n.example"},
		{"control bytes", strings.Repeat("\x01", 20000)},
		{"long", strings.Repeat("a", 40000)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &encodingSink{}
			_, paddr := startProxy(t, testRules(t, port(t, loop.addr)), rec, egress.WithResolver(hosts{"cdn.allowed.test": loopback}), internalLoopback())
			resp, _, c := rawConnect(t, paddr, authority, basic(tokenA))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if _, err := c.Write(clientHelloFor(t, tt.sni)); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if got, _ := io.ReadAll(c); len(got) != 0 {
				t.Fatalf("the hello came back: the tunnel was not cut")
			}
			deny := rec.waitFor(t, egress.ActionConnect, audit.OutcomeDeny, "egress:"+authority, 1)[0]
			closed := rec.waitFor(t, egress.ActionClose, audit.OutcomeFailure, "egress:"+authority, 1)[0]
			for _, e := range []audit.Event{deny, closed} {
				sni := e.Attributes[egress.AttrSNI]
				if sni == "" || len(sni) > 1100 || strings.ContainsAny(sni, "\n\x01") || strings.ContainsAny(e.Reason, "\n\x01") {
					t.Errorf("%s event: sni %d bytes %.40q, reason %.80q", e.Action, len(sni), sni, e.Reason)
				}
			}
		})
	}
}

// clientHelloFor returns the whole ClientHello a Go TLS client sends for
// serverName, however many records and reads it takes.
func clientHelloFor(t *testing.T, serverName string) []byte {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	go func() {
		defer b.Close()
		_ = tls.Client(b, &tls.Config{ServerName: serverName, InsecureSkipVerify: true}).Handshake() //nolint:gosec // no server; only the hello is captured
	}()
	var out []byte
	buf := make([]byte, 64<<10)
	_ = a.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		n, err := a.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			break
		}
		// The client waits for the server after its hello: stop at the
		// first pause.
		_ = a.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	}
	if len(out) == 0 {
		t.Fatal("no client hello")
	}
	return out
}

// TestResolverIsAskedTheRootedName: the proxy resolves exactly the name
// policy decided on. Unrooted, a system resolver also tries it under
// resolv.conf's search domains ("x.allowed.test.corp.internal", first of
// all with ndots:5 as in Kubernetes pods), and the job reaches a host no
// rule names.
func TestResolverIsAskedTheRootedName(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var asked []string
	res := egress.ResolverFunc(func(_ context.Context, _, host string) ([]netip.Addr, error) {
		mu.Lock()
		asked = append(asked, host)
		mu.Unlock()
		return []netip.Addr{loopback}, nil
	})
	loop := newEchoServer(t)
	_, paddr := startProxy(t, testRules(t, port(t, loop.addr)), &recorder{}, egress.WithResolver(res), internalLoopback())
	for _, authority := range []string{"x.allowed.test", "X.Allowed.Test."} {
		resp, _, c := rawConnect(t, paddr, authority+":"+fmt.Sprint(port(t, loop.addr)), basic(tokenA))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", authority, resp.StatusCode)
		}
		echo(t, c, "rooted")
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(asked, []string{"x.allowed.test.", "x.allowed.test."}) {
		t.Errorf("the resolver was asked %q, want the rooted name", asked)
	}
}

// TestForwardedResponseBrokenOffIsAudited: ReverseProxy aborts a response
// that fails after its header was sent with a panic, which skipped the
// close record: a plain-HTTP exchange that moved data, or one the kill
// switch cut, ended unaudited.
func TestForwardedResponseBrokenOffIsAudited(t *testing.T) {
	t.Parallel()
	// The destination promises 100 bytes, sends 10 and closes.
	laddr := serveTCP(t, func(c net.Conn) {
		_, _ = http.ReadRequest(bufio.NewReader(c))
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
	})
	short := "short.allowed.test:" + fmt.Sprint(port(t, laddr))
	// This one sends part of its body and waits: the kill switch cuts it.
	sent := make(chan struct{}, 1)
	slow := servePlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		_, _ = w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		sent <- struct{}{}
		<-r.Context().Done()
	}))
	held := "slow.allowed.test:" + fmt.Sprint(port(t, slow))
	rec := &recorder{}
	p, paddr := startProxy(t, testRules(t, port(t, laddr), port(t, slow)), rec,
		egress.WithResolver(hosts{"short.allowed.test": loopback, "slow.allowed.test": loopback}), internalLoopback())

	get := func(authority string) net.Conn {
		c, err := net.Dial("tcp", paddr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "GET http://%s/ HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: %s\r\n\r\n", authority, authority, basic(tokenA))
		return c
	}
	c := get(short)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.ReadAll(c)
	e := rec.waitFor(t, egress.ActionClose, audit.OutcomeFailure, "egress:"+short, 1)[0]
	if e.Attributes[egress.AttrEnd] != "error" || e.Attributes[egress.AttrBytesDown] == "0" {
		t.Errorf("close event of the broken-off response: %+v", e)
	}

	c = get(held)
	<-sent
	time.Sleep(50 * time.Millisecond) // the header is relayed
	if n := p.Cut(jobA.ID()); n != 1 {
		t.Fatalf("Cut closed %d connections, want 1", n)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, _ := io.ReadAll(c); len(b) >= 1000000 {
		t.Error("the whole response arrived after the cut")
	}
	e = rec.waitFor(t, egress.ActionClose, audit.OutcomeFailure, "egress:"+held, 1)[0]
	if e.Attributes[egress.AttrEnd] != "cut" {
		t.Errorf("close event of the cut exchange: %+v", e)
	}
}

// TestForwardedResponseHeaderIsBounded: http.ReadResponse reads a header
// block of any size; a destination sending headers without end made the
// proxy buffer all of them (50 MB in the probe, then more).
func TestForwardedResponseHeaderIsBounded(t *testing.T) {
	t.Parallel()
	var sent atomic.Int64
	laddr := serveTCP(t, func(c net.Conn) {
		_, _ = http.ReadRequest(bufio.NewReader(c))
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		line := "X-Bomb: " + strings.Repeat("a", 1000) + "\r\n"
		for range 50000 {
			n, err := io.WriteString(c, line)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
		_, _ = io.WriteString(c, "\r\n")
	})
	authority := "bomb.allowed.test:" + fmt.Sprint(port(t, laddr))
	rec := &recorder{}
	_, paddr := startProxy(t, testRules(t, port(t, laddr)), rec, egress.WithResolver(hosts{"bomb.allowed.test": loopback}), internalLoopback())
	c, err := net.Dial("tcp", paddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, _ := plainRequest(t, c, bufio.NewReader(c),
		"GET http://"+authority+"/ HTTP/1.1\r\nHost: x\r\nProxy-Authorization: "+basic(tokenA)+"\r\n\r\n")
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("status %d, want 502", resp.StatusCode)
	}
	rec.waitFor(t, egress.ActionClose, audit.OutcomeFailure, "egress:"+authority, 1)
	if n := sent.Load(); n > 8<<20 {
		t.Errorf("the proxy read %d MB of response header", n>>20)
	}
}

// TestForwardingDecidesOnTheRequestURL: plain-HTTP forwarding decides on
// the host of the absolute URL and sends exactly that host; a Host header
// or userinfo naming another changes nothing; every request on a kept-alive
// connection is authenticated and decided on its own; no proxy credential
// reaches the destination, in a header or a trailer; interim responses
// (100 Continue) are not taken for the response.
func TestForwardingDecidesOnTheRequestURL(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	up := servePlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s %s %q %q", r.Host, r.RequestURI, r.Header.Values("Proxy-Authorization"), r.Trailer.Values("Proxy-Authorization")))
		mu.Unlock()
		_, _ = fmt.Fprintf(w, "got %d bytes", len(b))
	}))
	p := fmt.Sprint(port(t, up))
	rec := &recorder{}
	_, paddr := startProxy(t, testRules(t, port(t, up)), rec,
		egress.WithResolver(hosts{"up.allowed.test": loopback, "other.test": loopback}), internalLoopback())
	c, err := net.Dial("tcp", paddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	auth := "Proxy-Authorization: " + basic(tokenA) + "\r\n"
	for _, tt := range []struct {
		req    string
		status int
		body   string
	}{
		{"GET http://up.allowed.test:" + p + "/a HTTP/1.1\r\nHost: other.test\r\n" + auth + "\r\n", http.StatusOK, "got 0 bytes"},
		{"GET http://up.allowed.test:" + p + "/b HTTP/1.1\r\nHost: x\r\n\r\n", http.StatusProxyAuthRequired, ""},
		{"GET http://other.test:" + p + "/c HTTP/1.1\r\nHost: up.allowed.test\r\n" + auth + "\r\n", http.StatusForbidden, ""},
		{"GET http://up.allowed.test@other.test:" + p + "/d HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", http.StatusForbidden, ""},
		{"POST http://up.allowed.test:" + p + "/e HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\nTrailer: Proxy-Authorization\r\n\r\n" +
			"3\r\nabc\r\n0\r\n" + auth + "\r\n", http.StatusOK, "got 3 bytes"},
		{"POST http://up.allowed.test:" + p + "/f HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\nhello", http.StatusOK, "got 5 bytes"},
	} {
		resp, body := plainRequest(t, c, br, tt.req)
		if resp.StatusCode != tt.status || (tt.body != "" && body != tt.body) {
			t.Errorf("%.50q: %d %q, want %d %q", tt.req, resp.StatusCode, body, tt.status, tt.body)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		"up.allowed.test:" + p + " /a [] []",
		"up.allowed.test:" + p + " /e [] []",
		"up.allowed.test:" + p + " /f [] []",
	}
	if !slices.Equal(seen, want) {
		t.Errorf("the destination saw\n%q\nwant\n%q", seen, want)
	}
}

// prefixConn writes prefix before the first bytes written to it.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Write(b []byte) (int, error) {
	if c.prefix != nil {
		p := c.prefix
		c.prefix = nil
		if _, err := c.Conn.Write(p); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(b)
}

// TestSNIBehindAnotherTLSRecordIsChecked: a TLS server skips warning
// alerts before the ClientHello (crypto/tls does, up to 16), so a
// tunnel that opened with one and then sent a hello naming another server
// was relayed unchecked (its first byte was not a handshake record's) and
// the front served the other name. Any tunnel that starts with a TLS record
// must carry a hello the proxy reads and checks.
func TestSNIBehindAnotherTLSRecordIsChecked(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, "cdn.allowed.test", "evil.example")
	front := ca.serveTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "served "+r.TLS.ServerName)
	}))
	authority := "cdn.allowed.test:" + fmt.Sprint(port(t, front))
	rec := &recorder{}
	_, paddr := startProxy(t, testRules(t, port(t, front)), rec, egress.WithResolver(hosts{"cdn.allowed.test": loopback}), internalLoopback())

	get := func(t *testing.T, prefix []byte, serverName string) (string, error) {
		resp, _, c := rawConnect(t, paddr, authority, basic(tokenA))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		tc := tls.Client(&prefixConn{Conn: c, prefix: prefix}, &tls.Config{ServerName: serverName, RootCAs: ca.pool, MinVersion: tls.VersionTLS12})
		if err := tc.Handshake(); err != nil {
			return "", err
		}
		if _, err := io.WriteString(tc, "GET / HTTP/1.1\r\nHost: "+serverName+"\r\nConnection: close\r\n\r\n"); err != nil {
			return "", err
		}
		r, err := http.ReadResponse(bufio.NewReader(tc), nil)
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(r.Body)
		return string(b), err
	}

	warning := []byte{0x15, 0x03, 0x01, 0x00, 0x02, 0x01, 100} // alert record: warning, no_renegotiation
	if got, err := get(t, warning, "cdn.allowed.test"); err != nil || got != "served cdn.allowed.test" {
		t.Fatalf("allowed name behind a warning alert: %q, %v", got, err)
	}
	for _, tt := range []struct {
		name   string
		prefix []byte
	}{
		{"warning alert", warning},
		{"several warning alerts", bytes.Repeat(warning, 3)},
		{"change cipher spec", []byte{0x14, 0x03, 0x01, 0x00, 0x01, 0x01}},
		{"application data", []byte{0x17, 0x03, 0x03, 0x00, 0x01, 0x00}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := get(t, tt.prefix, "evil.example"); err == nil {
				t.Errorf("the front served %q through a tunnel to %s", got, authority)
			}
		})
	}
	deny := rec.waitFor(t, egress.ActionConnect, audit.OutcomeDeny, "egress:"+authority, 3)
	for _, e := range deny {
		if e.Attributes[egress.AttrRule] != egress.RuleSNIMismatch {
			t.Errorf("deny event: %+v", e)
		}
	}
}

// TestAuditedMethodIsBounded: the request method is the job's choice, any
// token characters as long as the header limit allows. Written raw into
// the deny record, a long one made the record too large for the audit log,
// which refused it: with Limits.MaxHeaderBytes raised for large job tokens,
// a job could try a denied destination and leave no trace.
func TestAuditedMethodIsBounded(t *testing.T) {
	t.Parallel()
	rec := &encodingSink{}
	_, paddr := startProxy(t, testRules(t, 80), rec, egress.WithResolver(hosts{}),
		egress.WithLimits(egress.Limits{MaxHeaderBytes: 256 << 10}))
	method := strings.Repeat("X", audit.MaxEventSize+1)
	c, br := dialProxy(t, paddr)
	for _, auth := range []string{basic(tokenA), basic("not-a-token")} {
		resp, _ := plainRequest(t, c, br, method+" http://exfil.example/ HTTP/1.1\r\nHost: x\r\nProxy-Authorization: "+auth+"\r\n\r\n")
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusProxyAuthRequired {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	deny := rec.waitFor(t, egress.ActionConnect, audit.OutcomeDeny, "egress:exfil.example:80", 2)
	for _, e := range deny {
		if m := e.Attributes[egress.AttrMethod]; len(m) > 100 || !strings.HasPrefix(m, "XXX") {
			t.Errorf("method attribute %d bytes: %.40q", len(m), m)
		}
	}
}
