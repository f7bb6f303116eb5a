package pglease_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/internal/leasetest"
	"github.com/ztci/ztci/secrets/pglease"
)

// poolWithSearchPath is a pool whose sessions resolve unqualified names
// through path, as a role with ALTER ROLE … SET search_path would.
func poolWithSearchPath(t *testing.T, s *itest.Postgres, path string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(s.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = path
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// The tables were named without a schema, so each session's search_path
// picked them. A broker whose role's search_path starts with its own
// schema created and registered into broker.leases; a reaper whose
// search_path is the default used public.leases and never saw the dead
// runner's lease: it was never revoked.
func TestReview29SearchPathSplitsRegistry(t *testing.T) {
	s := itest.StartPostgres(t, 20)
	ctx := t.Context()
	admin := pool(t, s)
	if _, err := admin.Exec(ctx, `CREATE SCHEMA broker`); err != nil {
		t.Fatal(err)
	}
	brokerPool, reaperPool := poolWithSearchPath(t, s, "broker, public"), poolWithSearchPath(t, s, "public")
	broker, err := pglease.New(ctx, brokerPool, pglease.WithTable("split"))
	if err != nil {
		t.Fatal(err)
	}
	reaper, err := pglease.New(ctx, reaperPool, pglease.WithTable("split"))
	if err != nil {
		t.Fatal(err)
	}
	if err := broker.Register(ctx, leasetest.Record("l1", "dead")); err != nil {
		t.Fatal(err)
	}
	claims, err := reaper.Claim(ctx, "reaper", time.Minute, 10)
	if err != nil || len(claims) != 1 || claims[0].Record.LeaseID != "l1" {
		t.Fatalf("reaper claimed %+v (%v), want the dead runner's lease l1", claims, err)
	}
}

// A table of the registry's name that a session's search_path finds ahead
// of the registry's (a fleet's tables from before they were qualified, or
// a table someone planted) is refused, not silently ignored; WithSchema
// pins another schema; a bad schema name is refused.
func TestReview29SearchPathShadowAndSchema(t *testing.T) {
	s := itest.StartPostgres(t, 20)
	ctx := t.Context()
	admin := pool(t, s)
	for _, q := range []string{
		`CREATE SCHEMA planted`,
		`CREATE TABLE planted.shadowed (lease_id text PRIMARY KEY)`,
		`CREATE SCHEMA fleet`,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	shadowed := poolWithSearchPath(t, s, "planted, public")
	for _, tc := range []struct {
		name string
		p    *pgxpool.Pool
		opts []pglease.Option
		want error
	}{
		{name: "shadowed table", p: shadowed, opts: []pglease.Option{pglease.WithTable("shadowed")}, want: pglease.ErrConfig},
		{name: "shadowed owners table", p: shadowed, opts: []pglease.Option{pglease.WithTable("shadowed_o")}, want: nil},
		{name: "other schema", p: shadowed, opts: []pglease.Option{pglease.WithSchema("fleet"), pglease.WithTable("inside")}, want: nil},
		{name: "missing schema", p: admin, opts: []pglease.Option{pglease.WithSchema("nosuch")}, want: pglease.ErrUnavailable},
		{name: "bad schema name", p: admin, opts: []pglease.Option{pglease.WithSchema("Fleet")}, want: pglease.ErrConfig},
		{name: "pg_ schema", p: admin, opts: []pglease.Option{pglease.WithSchema("pg_temp")}, want: pglease.ErrConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pglease.New(t.Context(), tc.p, tc.opts...)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("New: %v, want %v", err, tc.want)
			}
			if errors.Is(tc.want, pglease.ErrConfig) && !errors.Is(err, secrets.ErrConfig) {
				t.Fatalf("New: %v does not match secrets.ErrConfig", err)
			}
		})
	}
	var n int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'fleet' AND tablename IN ('inside', 'inside_owners')`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("tables in schema fleet: %d (%v), want 2", n, err)
	}
}
