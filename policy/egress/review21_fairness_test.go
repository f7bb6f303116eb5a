package egress_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/egress"
)

// matrixToken is the token of job n of a build matrix: jobs of one
// repository that differ only in their subject (the matrix leg).
func matrixToken(n int) string {
	return fmt.Sprintf("CANARY-matrix-%d.%s.CANARY-sig", n, farExpiry)
}

// matrixVerifier knows the matrix tokens and job B's.
var matrixVerifier = identity.TokenVerifierFunc(func(ctx context.Context, raw string) (identity.Identity, error) {
	var n int
	if _, err := fmt.Sscanf(raw, "CANARY-matrix-%d.", &n); err == nil && raw == matrixToken(n) {
		return identity.Identity{Issuer: "https://ci.example", Subject: fmt.Sprintf("repo:octo/app:leg:%d", n),
			Claims: identity.Claims{Repository: "octo/app", Workflow: "build", Ref: "refs/heads/main", Job: "build", RunID: "303"}}, nil
	}
	return verifier(ctx, raw)
})

var everyJob = identity.Matcher(func(identity.Identity) bool { return true })

// serveMatrix serves a proxy of every job on 127.0.0.1 and returns its
// address.
func serveMatrix(t *testing.T, d egress.Decider, sink audit.Sink, opts ...egress.Option) string {
	t.Helper()
	p, err := egress.New(matrixVerifier, everyJob, d, sink, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
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
	return ln.Addr().String()
}

// Each job of a matrix kept to its own bound, but together they filled the
// cache, whose "oldest of all" eviction then pushed out another job's
// decision: decided again and reported to WithFirstSeen as new, noise that
// hides a real first sighting.
func TestReview21MatrixCannotEvictAnotherJobsDecisions(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	decided, firsts := map[string]int{}, map[string]int{}
	deny := egress.DeciderFunc(func(_ context.Context, job identity.Identity, dst egress.Destination) (egress.Decision, error) {
		mu.Lock()
		decided[job.ID()+" "+dst.String()]++
		mu.Unlock()
		return egress.Decision{Rule: "deny-all"}, nil
	})
	paddr := serveMatrix(t, deny, &recorder{},
		egress.WithLimits(egress.Limits{DecisionCacheSize: 8, DecisionsPerJob: 4}),
		egress.WithFirstSeen(func(_ context.Context, job identity.Identity, dst egress.Destination, _ egress.Decision) {
			mu.Lock()
			firsts[job.ID()+" "+dst.String()]++
			mu.Unlock()
		}))
	refused := func(token, authority string) {
		t.Helper()
		if resp, _, _ := rawConnect(t, paddr, authority, basic(token)); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("CONNECT %s: status %d, want 403", authority, resp.StatusCode)
		}
	}
	const known = "known.example:443"
	refused(tokenB, known)
	for leg := range 3 { // 3 legs x 4 decisions > 8
		for i := range 10 {
			refused(matrixToken(leg), fmt.Sprintf("n%d.leg%d.flood.example:443", i, leg))
		}
	}
	refused(tokenB, known)

	mu.Lock()
	defer mu.Unlock()
	b := jobB.ID() + " " + known
	if decided[b] != 1 || firsts[b] != 1 {
		t.Errorf("job B's known destination: decided %d times, reported first seen %d times, want 1 and 1", decided[b], firsts[b])
	}
}

// A proxy-wide bound below a per-job (or per-client) one let one job
// evict, or starve, every other: refused at New, also when the two come
// from separate WithLimits, or one is a default.
func TestReview21LimitsThatCancelIsolationAreRefused(t *testing.T) {
	t.Parallel()
	bad := map[string][]egress.Option{
		"cache below per job":         {egress.WithLimits(egress.Limits{DecisionCacheSize: 3, DecisionsPerJob: 4})},
		"cache below default per job": {egress.WithLimits(egress.Limits{DecisionCacheSize: egress.DefaultDecisionsPerJob - 1})},
		"per job above cache, later":  {egress.WithLimits(egress.Limits{DecisionCacheSize: 100}), egress.WithLimits(egress.Limits{DecisionsPerJob: 101})},
		"pending per client = total":  {egress.WithLimits(egress.Limits{MaxPendingConns: 64, MaxPendingConnsPerClient: 64})},
		"pending total = default":     {egress.WithLimits(egress.Limits{MaxPendingConns: egress.DefaultMaxPendingConnsPerClient})},
		"pending per client above":    {egress.WithLimits(egress.Limits{MaxPendingConnsPerClient: egress.DefaultMaxPendingConns + 1})},
		"conns below per job":         {egress.WithLimits(egress.Limits{MaxConns: 10, MaxConnsPerJob: 11})},
		"conns below default per job": {egress.WithLimits(egress.Limits{MaxConns: egress.DefaultMaxConnsPerJob - 1})},
		"per job above default conns": {egress.WithLimits(egress.Limits{MaxConnsPerJob: egress.DefaultMaxConns + 1})},
	}
	for name, opts := range bad {
		if _, err := egress.New(verifier, everyJob, testRules(t, 443), &recorder{}, opts...); !errors.Is(err, egress.ErrConfig) {
			t.Errorf("%s: err %v, want ErrConfig", name, err)
		}
	}
	// A proxy serving one job sets the bounds alike (pending ones apart:
	// its one client still needs a total above its own).
	p, err := egress.New(verifier, identity.MatchID(jobA.ID()), testRules(t, 443), &recorder{},
		egress.WithLimits(egress.Limits{DecisionCacheSize: 50, DecisionsPerJob: 50, MaxConns: 8, MaxConnsPerJob: 8,
			MaxPendingConns: 9, MaxPendingConnsPerClient: 8}))
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Close()
}

// Only the per-job bound limited open connections: a 256-job matrix could
// hold 256 x 64 upstream connections and run a shared proxy out of file
// descriptors. Limits.MaxConns bounds them all, refused with 503 and a
// rule naming it, audited as a deny.
func TestReview21ProxyConnectionsAreBounded(t *testing.T) {
	t.Parallel()
	loop := newEchoServer(t)
	authority := "echo.allowed.test:" + fmt.Sprint(port(t, loop.addr))
	allow := egress.DeciderFunc(func(context.Context, identity.Identity, egress.Destination) (egress.Decision, error) {
		return egress.Decision{Allow: true, Rule: "all"}, nil
	})
	rec := &recorder{}
	paddr := serveMatrix(t, allow, rec, egress.WithResolver(hosts{"echo.allowed.test": loopback}), internalLoopback(),
		egress.WithLimits(egress.Limits{MaxConnsPerJob: 1, MaxConns: 2}))

	_, _, c0 := rawConnect(t, paddr, authority, basic(matrixToken(0)))
	echo(t, c0, "leg 0")
	_, _, c1 := rawConnect(t, paddr, authority, basic(matrixToken(1)))
	echo(t, c1, "leg 1")
	resp, body, _ := rawConnect(t, paddr, authority, basic(matrixToken(2)))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get(egress.HeaderRule) != egress.RuleTooManyProxyConnections ||
		!strings.Contains(body, "MaxConns") {
		t.Fatalf("third job's connection: status %d, rule %q, body %q", resp.StatusCode, resp.Header.Get(egress.HeaderRule), body)
	}
	denies := rec.waitFor(t, egress.ActionConnect, audit.OutcomeDeny, "egress:"+authority, 1)
	if got := denies[0].Attributes[egress.AttrRule]; got != egress.RuleTooManyProxyConnections {
		t.Errorf("audited rule %q", got)
	}

	c0.Close()
	rec.waitFor(t, egress.ActionClose, audit.OutcomeSuccess, "egress:"+authority, 1)
	resp, _, c2 := rawConnect(t, paddr, authority, basic(matrixToken(2)))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after one closed: status %d", resp.StatusCode)
	}
	echo(t, c2, "leg 2")
}
