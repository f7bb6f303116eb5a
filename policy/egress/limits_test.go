package egress_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/egress"
)

// refusalLimits gives every source a budget of burst refusals audited one
// by one that does not refill within a test, and summaries only at Close.
func refusalLimits(burst int) egress.Limits {
	return egress.Limits{RefusalBurst: burst, RefusalRefill: time.Hour, RefusalSummaryInterval: time.Hour}
}

// dialProxy opens a connection to the proxy for several requests.
func dialProxy(t *testing.T, paddr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", paddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

func connectReq(authority, auth string) string {
	return "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\nProxy-Authorization: " + auth + "\r\n\r\n"
}

func getReq(authority, auth string) string {
	return "GET http://" + authority + "/ HTTP/1.1\r\nHost: x\r\nProxy-Authorization: " + auth + "\r\n\r\n"
}

// connectEvents returns the egress.connect events of outcome by actor.
func connectEvents(rec *recorder, outcome audit.Outcome, actor string) []audit.Event {
	var out []audit.Event
	for _, e := range rec.all() {
		if e.Action == egress.ActionConnect && e.Outcome == outcome && e.Actor.ID == actor {
			out = append(out, e)
		}
	}
	return out
}

// summaries returns the ActionRefusalsSuppressed events of actor and the
// sum of the refusals they count.
func summaries(t *testing.T, rec *recorder, actor string) ([]audit.Event, int) {
	t.Helper()
	var out []audit.Event
	total := 0
	for _, e := range rec.find(egress.ActionRefusalsSuppressed, audit.OutcomeDeny, "") {
		if e.Actor.ID != actor {
			continue
		}
		n, err := strconv.Atoi(e.Attributes[egress.AttrSuppressed])
		if err != nil || n <= 0 || e.Attributes[egress.AttrSince] == "" {
			t.Errorf("summary: %+v", e)
		}
		total += n
		out = append(out, e)
	}
	return out, total
}

// waitSummarised polls until the summaries of actor count n refusals.
func waitSummarised(t *testing.T, rec *recorder, actor string, n int) []audit.Event {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, total := summaries(t, rec, actor)
		if total >= n || time.Now().After(deadline) {
			if total != n {
				t.Fatalf("summaries of %s count %d refusals, want %d: %+v", actor, total, n, got)
			}
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRefusalFloodIsBoundedInTheAudit: a job that floods the proxy with
// refused requests (a denied destination, over CONNECT and plain HTTP, and
// a bad token) has every one refused, but only RefusalBurst of each source
// audited one by one; the rest are counted in one summary per source.
// Allowed connections are audited each, however many refusals came first.
func TestRefusalFloodIsBoundedInTheAudit(t *testing.T) {
	t.Parallel()
	const burst, flood = 5, 200
	loop := newEchoServer(t)
	p := fmt.Sprint(port(t, loop.addr))
	rec := &recorder{}
	proxy, paddr := startProxy(t, testRules(t, port(t, loop.addr)), rec,
		egress.WithResolver(hosts{"echo.allowed.test": loopback, "exfil.test": loopback}), internalLoopback(),
		egress.WithLimits(refusalLimits(burst)))
	denied, allowed := "exfil.test:"+p, "echo.allowed.test:"+p

	c, br := dialProxy(t, paddr)
	for i := range flood {
		req := connectReq(denied, basic(tokenA))
		if i%2 == 1 {
			req = getReq(denied, basic(tokenA))
		}
		if resp, body := plainRequest(t, c, br, req); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("denied request %d: status %d %q", i, resp.StatusCode, body)
		}
		if resp, body := plainRequest(t, c, br, connectReq(denied, "Bearer CANARY-not-a-token")); resp.StatusCode != http.StatusProxyAuthRequired {
			t.Fatalf("bad token %d: status %d %q", i, resp.StatusCode, body)
		}
	}
	for range 3 {
		resp, _, tc := rawConnect(t, paddr, allowed, basic(tokenA))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("allowed after the flood: status %d", resp.StatusCode)
		}
		echo(t, tc, "still reachable")
		tc.Close()
	}
	rec.waitFor(t, egress.ActionClose, audit.OutcomeSuccess, "egress:"+allowed, 3)
	if err := proxy.Close(); err != nil {
		t.Fatal(err)
	}
	if n := loop.accepted.Load(); n != 3 {
		t.Errorf("the destination was reached %d times, want 3 (the allowed connections)", n)
	}

	if n := len(rec.find(egress.ActionConnect, audit.OutcomeAllow, "egress:"+allowed)); n != 3 {
		t.Errorf("%d allow events for 3 allowed connections", n)
	}
	jobDenies := connectEvents(rec, audit.OutcomeDeny, jobA.ID())
	if len(jobDenies) != burst || jobDenies[0].Attributes[egress.AttrClient] != "127.0.0.1" {
		t.Errorf("%d deny events of the job, want %d; first: %+v", len(jobDenies), burst, jobDenies)
	}
	if n := len(connectEvents(rec, audit.OutcomeDeny, "unauthenticated")); n != burst {
		t.Errorf("%d deny events of the bad token, want %d", n, burst)
	}

	sums, total := summaries(t, rec, jobA.ID())
	wantKind := fmt.Sprintf("%s %s (%d)", denied, egress.RuleDefaultDeny, flood-burst)
	if len(sums) != 1 || total != flood-burst || sums[0].Attributes[egress.AttrRefused] != wantKind ||
		sums[0].Correlation.RunID != jobA.Claims.RunID || !strings.Contains(sums[0].Reason, fmt.Sprint(flood-burst)) {
		t.Errorf("summaries of the job (want one counting %d, %q): %+v", flood-burst, wantKind, sums)
	}
	sums, total = summaries(t, rec, "unauthenticated")
	if len(sums) != 1 || total != flood-burst || sums[0].Attributes[egress.AttrClient] != "127.0.0.1/32" ||
		!strings.Contains(sums[0].Attributes[egress.AttrRefused], "the proxy credentials did not verify") {
		t.Errorf("summaries of the bad token (want one counting %d): %+v", flood-burst, sums)
	}
	assertNoCanary(t, rec)
}

// TestRefusalSummaryNamesTheMostFrequent: a summary lists a bounded number
// of kinds of refusal one by one. It listed the first kinds held: a job
// that spent its budget, then refused once at each of a few decoys, had
// every later refusal counted under "other kinds", and whatever it was
// trying to reach named in no record. The most frequent kinds are listed,
// each with the refusals counted since it was.
func TestRefusalSummaryNamesTheMostFrequent(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	proxy, paddr := startProxy(t, testRules(t, 443), rec, egress.WithResolver(hosts{}), egress.WithLimits(refusalLimits(1)))
	c, br := dialProxy(t, paddr)
	deny := func(host string, n int) {
		for range n {
			if resp, _ := plainRequest(t, c, br, connectReq(host+":443", basic(tokenA))); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	deny("spent.test", 1) // the budget
	for i := range 20 {
		deny(fmt.Sprintf("decoy%d.test", i), 1)
	}
	deny("exfil.test", 30)
	deny("decoy99.test", 1)
	if err := proxy.Close(); err != nil {
		t.Fatal(err)
	}
	sums, total := summaries(t, rec, jobA.ID())
	if len(sums) != 1 || total != 51 {
		t.Fatalf("summaries (want one of 51 refusals): %+v", sums)
	}
	refused := sums[0].Attributes[egress.AttrRefused]
	want := "exfil.test:443 " + egress.RuleDefaultDeny + " (30); "
	if !strings.HasPrefix(refused, want) || !strings.HasSuffix(refused, "other kinds (14)") {
		t.Errorf("refused = %q, want it to start with %q and end with other kinds (14)", refused, want)
	}
}

// TestRefusalSummariesAreWrittenEachInterval: held refusals are summarised
// while the proxy runs, not only at Close.
func TestRefusalSummariesAreWrittenEachInterval(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	limits := egress.Limits{RefusalBurst: 1, RefusalRefill: time.Hour, RefusalSummaryInterval: 20 * time.Millisecond}
	_, paddr := startProxy(t, testRules(t, 443), rec, egress.WithResolver(hosts{"exfil.test": loopback}), egress.WithLimits(limits))
	c, br := dialProxy(t, paddr)
	deny := func(n int) {
		for range n {
			if resp, _ := plainRequest(t, c, br, connectReq("exfil.test:443", basic(tokenA))); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	deny(10)
	waitSummarised(t, rec, jobA.ID(), 9)
	deny(10)
	waitSummarised(t, rec, jobA.ID(), 19)
	if n := len(connectEvents(rec, audit.OutcomeDeny, jobA.ID())); n != 1 {
		t.Errorf("%d deny events audited one by one, want 1", n)
	}
}

// TestRefusalBudgetRefills: a source's budget gains one refusal audited on
// its own per RefusalRefill, up to RefusalBurst.
func TestRefusalBudgetRefills(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	now.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	advance := func(d time.Duration) { now.Add(int64(d)) }
	rec := &recorder{}
	proxy, paddr := startProxy(t, testRules(t, 443), rec, egress.WithResolver(hosts{"exfil.test": loopback}), egress.WithClock(clock),
		egress.WithLimits(egress.Limits{RefusalBurst: 2, RefusalRefill: time.Minute, RefusalSummaryInterval: time.Hour}))
	c, br := dialProxy(t, paddr)
	denyAndCount := func(n int) int {
		for range n {
			if resp, _ := plainRequest(t, c, br, connectReq("exfil.test:443", basic(tokenA))); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d", resp.StatusCode)
			}
		}
		return len(connectEvents(rec, audit.OutcomeDeny, jobA.ID()))
	}
	if got := denyAndCount(4); got != 2 {
		t.Errorf("a full budget of 2: %d of 4 audited", got)
	}
	advance(time.Minute)
	if got := denyAndCount(2); got != 3 {
		t.Errorf("one refill: %d audited in all, want 3", got)
	}
	advance(10 * time.Minute)
	if got := denyAndCount(3); got != 5 {
		t.Errorf("ten refills, capped at the burst of 2: %d audited in all, want 5", got)
	}
	if err := proxy.Close(); err != nil {
		t.Fatal(err)
	}
	if _, total := summaries(t, rec, jobA.ID()); total != 4 {
		t.Errorf("summaries count %d refusals, want the 4 held back", total)
	}
}

// TestRefusalSourcesAreBounded: sources beyond MaxRefusalSources share one
// budget, summarised with the proxy as actor.
func TestRefusalSourcesAreBounded(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	limits := refusalLimits(1)
	limits.MaxRefusalSources = 1
	proxy, paddr := startProxy(t, testRules(t, 443), rec, egress.WithResolver(hosts{"exfil.test": loopback}), egress.WithLimits(limits))
	c, br := dialProxy(t, paddr)
	for _, auth := range []string{basic(tokenA), "Bearer CANARY-not-a-token"} {
		for range 3 {
			if resp, _ := plainRequest(t, c, br, connectReq("exfil.test:443", auth)); resp.StatusCode < 400 {
				t.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	if err := proxy.Close(); err != nil {
		t.Fatal(err)
	}
	if _, total := summaries(t, rec, jobA.ID()); total != 2 {
		t.Errorf("the job's summary counts %d, want 2", total)
	}
	sums, total := summaries(t, rec, egress.AuditSource)
	if total != 2 || sums[0].Actor.Kind != "service" {
		t.Errorf("overflow summaries (want 2 refusals): %+v", sums)
	}
	if n := len(connectEvents(rec, audit.OutcomeDeny, "unauthenticated")); n != 1 {
		t.Errorf("%d refusals of the overflow source audited one by one, want 1", n)
	}
}

// assertClosedByProxy: the proxy closes c (after whatever it sends),
// rather than leaving it open until the test's read deadline.
func assertClosedByProxy(t *testing.T, c net.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(c); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Error("the proxy kept the connection open")
	}
}

// TestPendingConnectionsAreBounded: connections that carry no admitted
// request are bounded per client network and in all; one accepted beyond a
// bound is closed unanswered and counted in the client's summary, while
// the connections held are served, and a request admitted on one of them
// makes room.
func TestPendingConnectionsAreBounded(t *testing.T) {
	t.Parallel()
	loop := newEchoServer(t)
	authority := "echo.allowed.test:" + fmt.Sprint(port(t, loop.addr))
	rec := &recorder{}
	limits := refusalLimits(1)
	limits.MaxPendingConns, limits.MaxPendingConnsPerClient = 3, 2
	proxy, paddr := startProxy(t, testRules(t, port(t, loop.addr)), rec, egress.WithResolver(hosts{"echo.allowed.test": loopback}),
		internalLoopback(), egress.WithLimits(limits))
	dialFrom := func(src string) net.Conn {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		c, err := d.Dial("tcp", paddr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// Silent connections stay pending until the header timeout (10 s).
	a1, _ := dialFrom("127.0.0.1"), dialFrom("127.0.0.1")
	assertClosedByProxy(t, dialFrom("127.0.0.1")) // over the client's bound
	dialFrom("127.0.0.2")                         // another client: its own bound
	assertClosedByProxy(t, dialFrom("127.0.0.3")) // over the proxy's bound

	resp, _, tunnel := connectOn(t, a1, authority, basic(tokenA))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a held connection: status %d", resp.StatusCode)
	}
	echo(t, tunnel, "admitted")
	// The tunnel counts against the job's limit now, not as pending.
	a3 := dialFrom("127.0.0.1")
	if resp, _ := plainRequest(t, a3, bufio.NewReader(a3), "CONNECT "+authority+" HTTP/1.1\r\nHost: x\r\n\r\n"); resp.StatusCode != http.StatusProxyAuthRequired {
		t.Errorf("a new connection after one was admitted: status %d", resp.StatusCode)
	}
	if err := proxy.Close(); err != nil {
		t.Fatal(err)
	}
	for _, client := range []string{"127.0.0.1/32", "127.0.0.3/32"} {
		sums, _ := summaries(t, rec, "unauthenticated")
		found := false
		for _, e := range sums {
			found = found || e.Attributes[egress.AttrClient] == client &&
				e.Attributes[egress.AttrRefused] == "no destination "+egress.RuleTooManyPending+" (1)"
		}
		if !found {
			t.Errorf("no summary of the connection of %s closed unanswered: %+v", client, sums)
		}
	}
}

// TestIdleConnectionsArePending: a connection kept alive after a forwarded
// request is pending again, so keep-alive does not get around the bound.
func TestIdleConnectionsArePending(t *testing.T) {
	t.Parallel()
	up := servePlain(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	authority := "up.allowed.test:" + fmt.Sprint(port(t, up))
	limits := refusalLimits(1)
	limits.MaxPendingConnsPerClient = 1
	_, paddr := startProxy(t, testRules(t, port(t, up)), &recorder{}, egress.WithResolver(hosts{"up.allowed.test": loopback}),
		internalLoopback(), egress.WithLimits(limits))
	c, br := dialProxy(t, paddr)
	if resp, body := plainRequest(t, c, br, getReq(authority, basic(tokenA))); resp.StatusCode != http.StatusOK || body != "ok" {
		t.Fatalf("forwarded: %d %q", resp.StatusCode, body)
	}
	second, _ := dialProxy(t, paddr)
	assertClosedByProxy(t, second)
	// The idle connection still serves.
	if resp, _ := plainRequest(t, c, br, getReq(authority, basic(tokenA))); resp.StatusCode != http.StatusOK {
		t.Errorf("the kept-alive connection: status %d", resp.StatusCode)
	}
}

// TestSlowClientsAreDropped: on a TLS listener, a client that does not
// complete its handshake, or its request header, is dropped after the
// header timeout.
func TestSlowClientsAreDropped(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, "proxy.test")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsLn := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{ca.server}, MinVersion: tls.VersionTLS12})
	startProxyOn(t, tlsLn, testRules(t, 443), &recorder{}, egress.WithLimits(egress.Limits{HeaderTimeout: 200 * time.Millisecond}))
	paddr := ln.Addr().String()

	t.Run("no handshake", func(t *testing.T) {
		c, err := net.Dial("tcp", paddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		assertClosedByProxy(t, c)
	})
	t.Run("half a handshake", func(t *testing.T) {
		c, err := net.Dial("tcp", paddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write(captureClientHello(t, "proxy.test")); err != nil {
			t.Fatal(err)
		}
		assertClosedByProxy(t, c)
	})
	t.Run("half a header", func(t *testing.T) {
		c, err := tls.Dial("tcp", paddr, &tls.Config{RootCAs: ca.pool, ServerName: "proxy.test", MinVersion: tls.VersionTLS12})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, "CONNECT exfil.test:443 HTTP/1.1\r\n"); err != nil {
			t.Fatal(err)
		}
		assertClosedByProxy(t, c)
	})
}

// TestRefusalsDoNotWaitForTheBody: a refused request that announces a body
// and sends none is answered, and its connection closed, at once. net/http
// read the body first, with no deadline: the answer never came and the
// connection was held for good, with or without credentials.
func TestRefusalsDoNotWaitForTheBody(t *testing.T) {
	t.Parallel()
	_, paddr := startProxy(t, testRules(t, 443), &recorder{}, egress.WithResolver(hosts{"exfil.test": loopback}))
	url := "http://exfil.test:443/"
	for _, tt := range []struct {
		name, req string
		status    int
	}{
		{"no credentials", "POST " + url + " HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n", http.StatusProxyAuthRequired},
		{"bad token", "POST " + url + " HTTP/1.1\r\nHost: x\r\nProxy-Authorization: Bearer bad\r\nContent-Length: 10\r\n\r\n", http.StatusProxyAuthRequired},
		{"denied", "POST " + url + " HTTP/1.1\r\nHost: x\r\nProxy-Authorization: " + basic(tokenA) + "\r\nContent-Length: 10\r\n\r\n", http.StatusForbidden},
		{"denied, chunked", "POST " + url + " HTTP/1.1\r\nHost: x\r\nProxy-Authorization: " + basic(tokenA) + "\r\nTransfer-Encoding: chunked\r\n\r\n", http.StatusForbidden},
		{"denied, 100-continue", "POST " + url + " HTTP/1.1\r\nHost: x\r\nProxy-Authorization: " + basic(tokenA) + "\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n", http.StatusForbidden},
		{"CONNECT with a body", "CONNECT exfil.test:443 HTTP/1.1\r\nHost: x\r\nProxy-Authorization: " + basic(tokenA) + "\r\nContent-Length: 10\r\n\r\n", http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, br := dialProxy(t, paddr)
			if resp, body := plainRequest(t, c, br, tt.req); resp.StatusCode != tt.status {
				t.Fatalf("status %d %q, want %d", resp.StatusCode, body, tt.status)
			}
			assertClosedByProxy(t, c)
		})
	}
}
