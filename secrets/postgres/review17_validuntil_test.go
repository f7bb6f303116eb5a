package postgres_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/postgres"
)

// TestReview17ValidUntilServerClock: VALID UNTIL was a timestamp the
// backend computed from the runner's clock and sent as a literal. A runner
// whose clock ran ahead of the database's (skew, or a host whose clock its
// attacker sets) created roles that log in that much longer than the
// lease, past the job, however short the TTL asked, once a revocation
// failed. The deadline is computed by the server from its own clock: no
// statement carries a timestamp for it, and the role's VALID UNTIL is the
// TTL past the server's time.
func TestReview17ValidUntilServerClock(t *testing.T) {
	s := startPostgres(t)
	cfg, err := pgxpool.ParseConfig(s.dsn("postgres", adminPassword))
	if err != nil {
		t.Fatal(err)
	}
	tr := &sqlTracer{}
	cfg.ConnConfig.Tracer = tr
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(t.Context(), "CREATE TABLE public.builds (id int)"); err != nil {
		t.Fatal(err)
	}
	be, err := postgres.New(pool, roles())
	if err != nil {
		t.Fatal(err)
	}
	const role = "ztci_00000000000000000000c10c"
	t.Cleanup(func() { _ = be.Revoke(context.Background(), role) })
	validFor := func(ttl time.Duration) time.Duration {
		t.Helper()
		var left time.Duration
		if err := pool.QueryRow(t.Context(),
			"SELECT (extract(epoch FROM rolvaliduntil - now()) * 1000000)::bigint FROM pg_roles WHERE rolname = $1", role).Scan(&left); err != nil {
			t.Fatal(err)
		}
		left *= time.Microsecond
		if left > ttl || left < ttl-5*time.Second {
			t.Errorf("role valid for %v of the server's time, want %v", left, ttl)
		}
		return left
	}
	if _, err := be.Issue(t.Context(), secrets.Request{Name: "builds-ro", LeaseID: role, TTL: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	validFor(10 * time.Minute)
	if _, err := be.Renew(t.Context(), role, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	validFor(3 * time.Minute)

	literal := regexp.MustCompile(`(?i)VALID\s+UNTIL\s+'`)
	for _, q := range tr.all() {
		if literal.MatchString(q) {
			t.Errorf("a statement sets VALID UNTIL to a time computed by the runner:\n%s", q)
		}
	}
}
