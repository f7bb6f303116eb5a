package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/postgres"
)

// TestReview24NonPositiveTTL: Renew called directly with a zero or
// negative TTL (a caller whose lease was already past its end) renewed the
// role for the whole WithMaxTTL, and Issue with one created a role valid
// for the maximum. Both refuse it with ErrBadTTL (a secrets.ErrBackend),
// and VALID UNTIL is left as it was.
func TestReview24NonPositiveTTL(t *testing.T) {
	s := startPostgres(t)
	pool := adminPool(t, s)
	if _, err := pool.Exec(t.Context(), "CREATE TABLE public.builds (id int)"); err != nil {
		t.Fatal(err)
	}
	be, err := postgres.New(pool, roles(), postgres.WithMaxTTL(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	const role = "ztci_0000000000000000000024e1"
	t.Cleanup(func() { _ = be.Revoke(context.Background(), role) })
	validUntil := func() time.Time {
		t.Helper()
		var at time.Time
		if err := pool.QueryRow(t.Context(), "SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1", role).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	for _, ttl := range []time.Duration{0, -time.Second} {
		_, err := be.Issue(t.Context(), secrets.Request{Name: "builds-ro", LeaseID: role, TTL: ttl})
		if !errors.Is(err, postgres.ErrBadTTL) || !errors.Is(err, secrets.ErrBackend) {
			t.Errorf("Issue with TTL %v: %v, want ErrBadTTL", ttl, err)
		}
		if roleExists(t, pool, role) {
			t.Fatalf("Issue with TTL %v created the role", ttl)
		}
	}
	if _, err := be.Issue(t.Context(), secrets.Request{Name: "builds-ro", LeaseID: role, TTL: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	before := validUntil()
	for _, ttl := range []time.Duration{0, -time.Second, -time.Hour} {
		got, err := be.Renew(t.Context(), role, ttl)
		if !errors.Is(err, postgres.ErrBadTTL) || !errors.Is(err, secrets.ErrBackend) || got != 0 {
			t.Errorf("Renew with TTL %v: %v, %v; want ErrBadTTL", ttl, got, err)
		}
		if after := validUntil(); !after.Equal(before) {
			t.Errorf("Renew with TTL %v moved VALID UNTIL from %v to %v", ttl, before, after)
		}
	}
}
