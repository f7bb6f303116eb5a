package pgreplay_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/oidc/pgreplay"
	"github.com/ztci/ztci/internal/itest"
)

// Two replicas whose clocks differ by 4s: the one running ahead purges a row
// that the other still considers live, and the slow replica then accepts the
// token a second time. Purging (and taking over) must wait until every
// replica's clock has passed the row's expiry.
func TestReview7PurgeBySkewedReplicaNoReplay(t *testing.T) {
	pg := itest.StartPostgres(t, 20)
	p := pool(t, pg)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	slow, err := pgreplay.New(t.Context(), p, pgreplay.WithClock(func() time.Time { return now }), pgreplay.WithCleanupInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fast, err := pgreplay.New(t.Context(), p, pgreplay.WithClock(func() time.Time { return now.Add(4 * time.Second) }), pgreplay.WithCleanupInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	const key = "https://ci.example.com\x00skewed-jti"
	until := now.Add(3 * time.Second) // still valid on the slow replica
	if err := slow.Claim(t.Context(), key, until); err != nil {
		t.Fatal(err)
	}
	if _, err := fast.Purge(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := slow.Claim(t.Context(), key, until); !errors.Is(err, oidc.ErrReplayed) {
		t.Fatalf("second presentation on the slow replica after the fast one purged: %v, want ErrReplayed", err)
	}
	// Once every clock is past until plus the skew allowance, the row goes.
	later := now.Add(3*time.Second + pgreplay.DefaultClockSkew)
	late, err := pgreplay.New(t.Context(), p, pgreplay.WithClock(func() time.Time { return later }), pgreplay.WithCleanupInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	if n, err := late.Purge(t.Context()); err != nil || n != 1 {
		t.Errorf("Purge past the skew allowance = %d, %v; want 1", n, err)
	}
}

func TestReview7ClockSkewOption(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, 2 * time.Hour} {
		p, err := pgxpool.New(t.Context(), "postgres://127.0.0.1:1/none")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if _, err := pgreplay.New(t.Context(), p, pgreplay.WithClockSkew(d)); !errors.Is(err, pgreplay.ErrConfig) {
			t.Errorf("WithClockSkew(%v): %v, want ErrConfig", d, err)
		}
	}
}
