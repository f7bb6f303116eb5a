package pgreplay_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/oidc/pgreplay"
	"github.com/ztci/ztci/internal/itest"
)

// TestReview12ReplayAtExpiryRefused: a token replayed at the instant it
// expires reaches Claim with the until of its first use, which has just
// passed. The row of that first use had lapsed, so the statement took it
// over and the replay was accepted; it must be refused instead, while a
// later token reusing the jti may still take the row over.
func TestReview12ReplayAtExpiryRefused(t *testing.T) {
	pg := itest.StartPostgres(t, 20)
	p := pool(t, pg)
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	rc, err := pgreplay.New(t.Context(), p, pgreplay.WithClock(func() time.Time { return *clock.Load() }),
		pgreplay.WithCleanupInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	const key = "https://ci.example.com\x00boundary-jti"
	until := now.Add(time.Minute)
	if err := rc.Claim(t.Context(), key, until); err != nil {
		t.Fatal(err)
	}
	clock.Store(&until)
	if err := rc.Claim(t.Context(), key, until); !errors.Is(err, oidc.ErrExpired) {
		t.Fatalf("the same token at its expiry: %v, want ErrExpired", err)
	}
	if err := rc.Claim(t.Context(), key, until.Add(time.Minute)); err != nil {
		t.Fatalf("a later token reusing the jti: %v", err)
	}
}
