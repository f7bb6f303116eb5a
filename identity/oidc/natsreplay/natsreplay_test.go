package natsreplay_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/oidc/natsreplay"
	"github.com/ztci/ztci/internal/itest"
)

// connect returns a JetStream client on its own connection to urls, which
// reconnects forever (so a test can take servers away and bring them back).
func connect(t testing.TB, urls string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(urls, nats.DontRandomize(), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
		nats.Timeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// replicas starts a 3-node cluster and returns one cache per node, each on
// its own connection that prefers that node, sharing one R3 bucket.
func replicas(t testing.TB, opts ...natsreplay.Option) (*itest.NATSCluster, []*natsreplay.Cache) {
	t.Helper()
	c := itest.StartNATSCluster(t, 3)
	var caches []*natsreplay.Cache
	for i := range c.Nodes {
		js := connect(t, c.URLsFrom(i))
		caches = append(caches, itest.Create(t, "replay bucket", func(ctx context.Context) (*natsreplay.Cache, error) {
			return natsreplay.New(ctx, js, append([]natsreplay.Option{natsreplay.WithReplicas(3)}, opts...)...)
		}))
	}
	// A bucket just created on three nodes may not take writes for a
	// moment (its stream's leader is still being elected), and a test with a
	// short WithTimeout would see that as an outage. The fleet under test is
	// the steady state: wait until every replica has made one claim.
	for i, rc := range caches {
		deadline := time.Now().Add(30 * time.Second)
		for attempt := 0; ; attempt++ {
			err := rc.Claim(context.Background(), fmt.Sprintf("warm-up-%d-%d", i, attempt), time.Now().Add(time.Minute))
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %d cannot claim 30s after start: %v", i, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return c, caches
}

// mint returns n single-use tokens and one verifier per cache, all trusting
// the same issuer.
func mint(t testing.TB, n int, caches ...oidc.ReplayCache) ([]string, []*oidc.Verifier) {
	t.Helper()
	iss, err := oidc.NewIssuer("https://ci.example.com")
	if err != nil {
		t.Fatal(err)
	}
	var vs []*oidc.Verifier
	for _, rc := range caches {
		v, err := oidc.NewVerifier("https://ci.example.com", "gate", oidc.WithKeySet(iss.KeySet()), oidc.WithSingleUse(rc))
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	toks := make([]string, n)
	for i := range toks {
		tok, err := iss.Mint(context.Background(), oidc.Job{Claims: identity.Claims{Repository: "octo-org/app", Ref: "refs/heads/main"}}, "gate")
		if err != nil {
			t.Fatal(err)
		}
		toks[i] = tok.Reveal()
	}
	return toks, vs
}

// outcome counts what the verifiers said about each token.
type outcome struct {
	accepted    []atomic.Int32 // per token
	replayed    atomic.Int64
	unavailable atomic.Int64
	other       atomic.Int64
	firstOther  atomic.Value
}

// present hands every token to every verifier at the same time (one
// goroutine per verifier and token, at most 48 tokens in flight), calling
// between(i) before token i is presented.
func present(ctx context.Context, toks []string, vs []*oidc.Verifier, between func(i int)) *outcome {
	o := &outcome{accepted: make([]atomic.Int32, len(toks))}
	sem := make(chan struct{}, 48)
	var wg sync.WaitGroup
	for i, tok := range toks {
		if between != nil {
			between(i)
		}
		sem <- struct{}{}
		var inner sync.WaitGroup
		for _, v := range vs {
			inner.Add(1)
			wg.Go(func() {
				defer inner.Done()
				_, err := v.Verify(ctx, tok)
				switch {
				case err == nil:
					o.accepted[i].Add(1)
				case errors.Is(err, oidc.ErrReplayed):
					o.replayed.Add(1)
				case errors.Is(err, natsreplay.ErrUnavailable):
					o.unavailable.Add(1)
				default:
					o.other.Add(1)
					o.firstOther.CompareAndSwap(nil, err)
				}
			})
		}
		wg.Go(func() { inner.Wait(); <-sem })
	}
	wg.Wait()
	return o
}

// acceptedAt is how many times token i was accepted (0 when out of range).
func (o *outcome) acceptedAt(i int) int32 {
	if i < 0 || i >= len(o.accepted) {
		return 0
	}
	return o.accepted[i].Load()
}

func (o *outcome) counts() (once, twice, never int) {
	for i := range o.accepted {
		switch n := o.accepted[i].Load(); {
		case n == 1:
			once++
		case n > 1:
			twice++
		default:
			never++
		}
	}
	return
}

func TestThousandTokensThreeReplicas(t *testing.T) {
	// A generous timeout: this test is about uniqueness on a loaded
	// 2-core machine; the failure tests below use short ones.
	_, caches := replicas(t, natsreplay.WithTimeout(15*time.Second))
	toks, vs := mint(t, 1000, caches[0], caches[1], caches[2])
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	o := present(ctx, toks, vs, nil)
	once, twice, never := o.counts()
	t.Logf("1000 tokens × 3 replicas in %v: accepted once %d, more than once %d, never %d; replayed %d, unavailable %d",
		time.Since(start).Round(time.Millisecond), once, twice, never, o.replayed.Load(), o.unavailable.Load())
	if once != 1000 || twice != 0 || never != 0 {
		t.Errorf("want every token accepted exactly once")
	}
	if o.replayed.Load() != 2000 || o.other.Load() != 0 {
		t.Errorf("want 2000 replay rejections, got %d (unavailable %d, other %d: %v)", o.replayed.Load(), o.unavailable.Load(), o.other.Load(), o.firstOther.Load())
	}
}

func TestKillOneNodeDuringClaims(t *testing.T) {
	c, caches := replicas(t)
	toks, vs := mint(t, 900, caches[0], caches[1], caches[2])
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	// Tokens presented while the stream elects a new leader are refused by
	// every replica (fail closed); none may be accepted twice.
	o := present(ctx, toks[:600], vs, func(i int) {
		if i == 200 {
			c.Nodes[1].Kill(t) // SIGKILL: no clean shutdown, no flush
		}
	})
	once, twice, never := o.counts()
	t.Logf("node n2 killed after 200 of 600 tokens: accepted once %d, more than once %d, never %d; replayed %d, unavailable %d, other %d",
		once, twice, never, o.replayed.Load(), o.unavailable.Load(), o.other.Load())
	if twice != 0 {
		t.Fatalf("%d tokens accepted more than once", twice)
	}
	if o.other.Load() != 0 {
		t.Errorf("unexpected errors: %v", o.firstOther.Load())
	}
	// Two nodes of three keep a quorum: once a leader is elected, claims
	// succeed again.
	deadline := time.Now().Add(30 * time.Second)
	for caches[0].Claim(ctx, fmt.Sprintf("probe-%v", time.Now().UnixNano()), time.Now().Add(time.Minute)) != nil {
		if time.Now().After(deadline) {
			t.Fatal("no claim succeeded 30s after losing one node of three")
		}
		time.Sleep(100 * time.Millisecond)
	}
	degraded := present(ctx, toks[600:], vs, nil)
	if n, twice, never := degraded.counts(); n != 300 || twice != 0 || never != 0 {
		t.Errorf("with 2 of 3 nodes: accepted once %d, more than once %d, never %d of 300 (unavailable %d)", n, twice, never, degraded.unavailable.Load())
	}
	c.Nodes[1].Restart(t)
	c.Nodes[1].WaitHealthy(t, time.Minute)
	// No acknowledged claim was lost: every token accepted before is now
	// refused everywhere, including through the restarted node.
	again := present(ctx, toks, vs, nil)
	lost := 0
	for i := range toks {
		if n := o.acceptedAt(i) + degraded.acceptedAt(i-600) + again.accepted[i].Load(); n > 1 {
			lost++
		}
	}
	if lost != 0 {
		t.Errorf("after restarting n2: %d tokens accepted a second time", lost)
	}
}

func TestAllNodesDownFailsClosedAndRecovers(t *testing.T) {
	c, caches := replicas(t, natsreplay.WithTimeout(300*time.Millisecond))
	ctx := t.Context()
	until := time.Now().Add(time.Minute)
	claimBeforeOutage(t, caches[0], until)
	for _, n := range c.Nodes {
		n.Kill(t)
	}
	for i, rc := range caches {
		err := rc.Claim(ctx, fmt.Sprintf("during-%d", i), until)
		var ue *natsreplay.UnavailableError
		if !errors.Is(err, natsreplay.ErrUnavailable) || !errors.As(err, &ue) {
			t.Errorf("replica %d with every node down: %v, want ErrUnavailable", i, err)
		}
		if err != nil && strings.Contains(err.Error(), "during-") {
			t.Errorf("error leaks the key: %v", err)
		}
	}
	for _, n := range c.Nodes {
		n.Restart(t)
	}
	for _, n := range c.Nodes {
		n.WaitHealthy(t, time.Minute)
	}
	for i, rc := range caches {
		var err error
		deadline := time.Now().Add(30 * time.Second)
		for try := 0; time.Now().Before(deadline); try++ {
			if err = rc.Claim(ctx, fmt.Sprintf("after-%d-%d", i, try), until); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Errorf("replica %d did not recover: %v", i, err)
		}
		if err := rc.Claim(ctx, "before", until); !errors.Is(err, oidc.ErrReplayed) {
			t.Errorf("replica %d: claim made before the outage: %v, want ErrReplayed", i, err)
		}
	}
}

// claimBeforeOutage records "before" while the cluster is healthy. With a
// 300 ms timeout on a loaded 2-core CI machine one write can time out (a
// correct fail-closed ErrUnavailable); the write may still have landed, so a
// retry that then answers ErrReplayed means the claim is recorded.
func claimBeforeOutage(t *testing.T, rc *natsreplay.Cache, until time.Time) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	timedOut := false
	for {
		err := rc.Claim(t.Context(), "before", until)
		switch {
		case err == nil, timedOut && errors.Is(err, oidc.ErrReplayed):
			return
		case !errors.Is(err, natsreplay.ErrUnavailable) || time.Now().After(deadline):
			t.Fatal(err)
		}
		timedOut = true
		time.Sleep(100 * time.Millisecond)
	}
}

func TestClaimExpiresWithTTL(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	rc, err := natsreplay.New(t.Context(), js)
	if err != nil {
		t.Fatal(err)
	}
	const canary = "https://ci.example.com\x00canary-jti-7f3e"
	ctx := t.Context()
	if err := rc.Claim(ctx, canary, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := rc.Claim(ctx, canary, time.Now().Add(time.Second)); !errors.Is(err, oidc.ErrReplayed) {
		t.Fatalf("second claim: %v, want ErrReplayed", err)
	}
	kv, err := js.KeyValue(ctx, "ztci_oidc_replay")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for k := range keys.Keys() {
		if strings.Contains(k, "canary") || k != natsreplay.Key(canary) {
			t.Errorf("bucket key %q: want only the hash %q", k, natsreplay.Key(canary))
		}
	}
	// The key lapses with its TTL (1s, and the server checks TTLs about
	// once a second), after which the id may be claimed again.
	deadline := time.Now().Add(10 * time.Second)
	for {
		time.Sleep(250 * time.Millisecond)
		err := rc.Claim(ctx, canary, time.Now().Add(time.Second))
		if err == nil {
			break
		}
		if !errors.Is(err, oidc.ErrReplayed) || time.Now().After(deadline) {
			t.Fatalf("claim after expiry: %v", err)
		}
	}
	if err := rc.Claim(ctx, "far", time.Now().Add(25*time.Hour)); !errors.Is(err, natsreplay.ErrLifetime) {
		t.Errorf("claim beyond max TTL: %v, want ErrLifetime", err)
	}
}

func TestRefusesBucketThatCanForget(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx := t.Context()
	tests := []struct {
		name string
		cfg  jetstream.KeyValueConfig
	}{
		{"no per-key TTL", jetstream.KeyValueConfig{Bucket: "nottl"}},
		{"bucket max age", jetstream.KeyValueConfig{Bucket: "maxage", TTL: time.Minute, LimitMarkerTTL: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := js.CreateKeyValue(ctx, tt.cfg); err != nil {
				t.Fatal(err)
			}
			if _, err := natsreplay.New(ctx, js, natsreplay.WithBucket(tt.cfg.Bucket)); !errors.Is(err, natsreplay.ErrConfig) {
				t.Errorf("New on bucket %q: %v, want ErrConfig", tt.cfg.Bucket, err)
			}
		})
	}
}

func TestOptionsRejectMisuse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  natsreplay.Option
	}{
		{"bucket with dot", natsreplay.WithBucket("a.b")},
		{"empty bucket", natsreplay.WithBucket("")},
		{"zero replicas", natsreplay.WithReplicas(0)},
		{"six replicas", natsreplay.WithReplicas(6)},
		{"zero timeout", natsreplay.WithTimeout(0)},
		{"tiny max TTL", natsreplay.WithMaxTTL(time.Millisecond)},
		{"nil clock", natsreplay.WithClock(nil)},
		{"nil logger", natsreplay.WithLogger(nil)},
		{"nil option", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A JetStream value that is never used: options are checked first.
			js, _ := jetstream.New(&nats.Conn{})
			if _, err := natsreplay.New(t.Context(), js, tt.opt); !errors.Is(err, natsreplay.ErrConfig) {
				t.Errorf("got %v, want ErrConfig", err)
			}
		})
	}
	if _, err := natsreplay.New(t.Context(), nil); !errors.Is(err, natsreplay.ErrConfig) {
		t.Errorf("nil JetStream: %v", err)
	}
}
