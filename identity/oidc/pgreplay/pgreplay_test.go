package pgreplay_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/oidc/pgreplay"
	"github.com/ztci/ztci/internal/itest"
)

func pool(t testing.TB, pg *itest.Postgres) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pg.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 16
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// replicas starts PostgreSQL and returns three caches, each on its own pool,
// sharing one table.
func replicas(t testing.TB, opts ...pgreplay.Option) (*itest.Postgres, []*pgreplay.Cache, []*pgxpool.Pool) {
	t.Helper()
	pg := itest.StartPostgres(t, 100)
	var caches []*pgreplay.Cache
	var pools []*pgxpool.Pool
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 3 { // concurrently, as replicas starting together would
		wg.Go(func() {
			p := pool(t, pg)
			rc, err := pgreplay.New(context.Background(), p, opts...)
			if err != nil {
				t.Error(err)
				return
			}
			t.Cleanup(func() { rc.Close() })
			mu.Lock()
			caches, pools = append(caches, rc), append(pools, p)
			mu.Unlock()
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return pg, caches, pools
}

func TestThousandTokensThreeReplicas(t *testing.T) {
	// A generous timeout: this test is about uniqueness, and the claims
	// queue for 3×16 connections on a loaded 2-core machine.
	_, caches, _ := replicas(t, pgreplay.WithTimeout(15*time.Second))
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
	toks := make([]string, 1000)
	for i := range toks {
		tok, err := iss.Mint(t.Context(), oidc.Job{Claims: identity.Claims{Repository: "octo-org/app", Ref: "refs/heads/main"}}, "gate")
		if err != nil {
			t.Fatal(err)
		}
		toks[i] = tok.Reveal()
	}
	accepted := make([]atomic.Int32, len(toks))
	var replayed, other atomic.Int64
	var firstOther atomic.Value
	sem := make(chan struct{}, 48)
	var wg sync.WaitGroup
	start := time.Now()
	for i, tok := range toks {
		sem <- struct{}{}
		var inner sync.WaitGroup
		for _, v := range vs {
			inner.Add(1)
			wg.Go(func() {
				defer inner.Done()
				_, err := v.Verify(t.Context(), tok)
				switch {
				case err == nil:
					accepted[i].Add(1)
				case errors.Is(err, oidc.ErrReplayed):
					replayed.Add(1)
				default:
					other.Add(1)
					firstOther.CompareAndSwap(nil, err)
				}
			})
		}
		wg.Go(func() { inner.Wait(); <-sem })
	}
	wg.Wait()
	once := 0
	for i := range accepted {
		if accepted[i].Load() == 1 {
			once++
		}
	}
	t.Logf("1000 tokens × 3 replicas (3 pools) in %v: accepted exactly once %d, replay rejections %d, other errors %d",
		time.Since(start).Round(time.Millisecond), once, replayed.Load(), other.Load())
	if once != 1000 || replayed.Load() != 2000 || other.Load() != 0 {
		t.Errorf("want 1000 accepted once and 2000 replays (first other error: %v)", firstOther.Load())
	}
}

func TestClaimExpiryAndCleanup(t *testing.T) {
	pg := itest.StartPostgres(t, 20)
	p := pool(t, pg)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	rc, err := pgreplay.New(t.Context(), p, pgreplay.WithClock(func() time.Time { return *clock.Load() }),
		pgreplay.WithCleanupInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	ctx := t.Context()
	const canary = "https://ci.example.com\x00canary-jti-7f3e"
	if err := rc.Claim(ctx, canary, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := rc.Claim(ctx, canary, now.Add(time.Minute)); !errors.Is(err, oidc.ErrReplayed) {
		t.Fatalf("second claim: %v, want ErrReplayed", err)
	}
	var key []byte
	if err := p.QueryRow(ctx, `SELECT key FROM ztci_oidc_replay`).Scan(&key); err != nil || bytes.Contains(key, []byte("canary")) || len(key) != 32 {
		t.Errorf("table key %q (%v): want a SHA-256, not the token id", key, err)
	}
	if err := rc.Claim(ctx, "other", now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Minute + time.Second)
	clock.Store(&later)
	// The expired row is taken over; the live one is still a replay.
	if err := rc.Claim(ctx, canary, later.Add(time.Minute)); err != nil {
		t.Errorf("claim after expiry: %v", err)
	}
	if err := rc.Claim(ctx, "other", later.Add(time.Minute)); !errors.Is(err, oidc.ErrReplayed) {
		t.Errorf("live row: %v, want ErrReplayed", err)
	}
	end := now.Add(time.Hour)
	clock.Store(&end)
	if n, err := rc.Purge(ctx); err != nil || n != 2 {
		t.Errorf("Purge = %d, %v; want 2 expired rows deleted", n, err)
	}
	if err := rc.Claim(ctx, "far", end.Add(25*time.Hour)); !errors.Is(err, pgreplay.ErrLifetime) {
		t.Errorf("claim beyond max TTL: %v, want ErrLifetime", err)
	}
}

func TestBackgroundCleanupAndClose(t *testing.T) {
	pg := itest.StartPostgres(t, 20)
	p := pool(t, pg)
	rc, err := pgreplay.New(t.Context(), p, pgreplay.WithCleanupInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Claim(t.Context(), "soon-expired", time.Now().Add(100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := p.QueryRow(t.Context(), `SELECT count(*) FROM ztci_oidc_replay`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("expired row not cleaned up")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rc.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 2)
	if strings.Contains(buf.String(), "oidc/pgreplay.") {
		t.Errorf("goroutines of the cache left after Close:\n%s", buf.String())
	}
	// Claims keep working after Close; only the cleanup stopped.
	if err := rc.Claim(t.Context(), "after-close", time.Now().Add(time.Minute)); err != nil {
		t.Errorf("claim after Close: %v", err)
	}
}

func TestServerDownFailsClosed(t *testing.T) {
	pg, caches, _ := replicas(t, pgreplay.WithTimeout(time.Second))
	ctx := t.Context()
	if err := caches[0].Claim(ctx, "before", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	pg.Kill()
	for i, rc := range caches {
		err := rc.Claim(ctx, fmt.Sprintf("during-%d", i), time.Now().Add(time.Minute))
		var ue *pgreplay.UnavailableError
		if !errors.Is(err, pgreplay.ErrUnavailable) || !errors.As(err, &ue) {
			t.Errorf("replica %d with PostgreSQL down: %v, want ErrUnavailable", i, err)
		}
		if err != nil && strings.Contains(err.Error(), "during-") {
			t.Errorf("error leaks the key: %v", err)
		}
	}
}

func TestOptionsRejectMisuse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  pgreplay.Option
	}{
		{"quoted table", pgreplay.WithTable(`x"; DROP TABLE y; --`)},
		{"upper-case table", pgreplay.WithTable("Replay")},
		{"empty table", pgreplay.WithTable("")},
		{"zero timeout", pgreplay.WithTimeout(0)},
		{"tiny max TTL", pgreplay.WithMaxTTL(time.Millisecond)},
		{"tiny cleanup", pgreplay.WithCleanupInterval(time.Microsecond)},
		{"nil clock", pgreplay.WithClock(nil)},
		{"nil logger", pgreplay.WithLogger(nil)},
		{"nil option", nil},
	}
	// A pool that is never used: options are checked first.
	p, err := pgxpool.New(context.Background(), "postgres://nobody@127.0.0.1:1/none")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := pgreplay.New(t.Context(), p, tt.opt); !errors.Is(err, pgreplay.ErrConfig) {
				t.Errorf("got %v, want ErrConfig", err)
			}
		})
	}
	if _, err := pgreplay.New(t.Context(), nil); !errors.Is(err, pgreplay.ErrConfig) {
		t.Errorf("nil pool: %v", err)
	}
}
