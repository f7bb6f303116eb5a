package egress_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/egress"
)

// A job asking for ever new names (random subdomains cost nothing) must
// replace its own cached decisions, not another job's: when it pushed
// them out, the other job's known destination was decided again and
// reported to WithFirstSeen as new, once per eviction.
func TestReview17FloodingJobKeepsToItsOwnDecisions(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	decided := map[string]int{}
	firsts := map[string]int{}
	deny := egress.DeciderFunc(func(_ context.Context, job identity.Identity, dst egress.Destination) (egress.Decision, error) {
		mu.Lock()
		decided[job.ID()+" "+dst.String()]++
		mu.Unlock()
		return egress.Decision{Rule: "deny-all"}, nil
	})
	p, err := egress.New(verifier, identity.Any(identity.MatchID(jobA.ID()), identity.MatchID(jobB.ID())), deny, &recorder{},
		egress.WithLimits(egress.Limits{DecisionCacheSize: 8, DecisionsPerJob: 4}),
		egress.WithFirstSeen(func(_ context.Context, job identity.Identity, dst egress.Destination, _ egress.Decision) {
			mu.Lock()
			firsts[job.ID()+" "+dst.String()]++
			mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.Serve(ln) }()
	t.Cleanup(func() { _ = p.Close() })
	paddr := ln.Addr().String()

	refused := func(token, authority string) {
		t.Helper()
		resp, _, _ := rawConnect(t, paddr, authority, basic(token))
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("CONNECT %s: status %d, want 403", authority, resp.StatusCode)
		}
	}
	const known = "known.example:443"
	refused(tokenB, known)
	for i := range 40 {
		refused(tokenA, fmt.Sprintf("n%d.flood.example:443", i))
	}
	refused(tokenB, known)

	mu.Lock()
	defer mu.Unlock()
	b := jobB.ID() + " " + known
	if decided[b] != 1 || firsts[b] != 1 {
		t.Errorf("job B's known destination: decided %d times, reported first seen %d times, want 1 and 1", decided[b], firsts[b])
	}
}
