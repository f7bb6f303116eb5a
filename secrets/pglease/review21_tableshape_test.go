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

// poolInZone is a pool whose sessions show times in zone, as a replica
// with PGTZ or a DSN timezone= set would.
func poolInZone(t *testing.T, s *itest.Postgres, zone string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(s.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = zone
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// Tables created ahead (by an administrator, or a migration tool) were used
// whatever their shape. Each shape below breaks a fleet guarantee; New must
// refuse all of them with ErrConfig and keep accepting its own tables.
func TestReview21NewRefusesTablesThatCannotKeepLeases(t *testing.T) {
	s := itest.StartPostgres(t, 20)
	p := pool(t, s)
	ctx := t.Context()
	const good = `(lease_id text PRIMARY KEY, backend text NOT NULL, name text NOT NULL, job_id text NOT NULL,
		identity text NOT NULL, owner text NOT NULL, expires_at timestamptz,
		registered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
		claimed_by text, claim_token text, claim_until timestamptz)`
	for name, qs := range map[string][]string{
		// A crash empties an UNLOGGED table: every dead runner's leases
		// are forgotten and never revoked.
		"unlogged": {`CREATE UNLOGGED TABLE unlogged ` + good},
		// No primary key: one lease id registered twice, and a claim on
		// the dead owner's row also stamps (and Complete deletes) a live
		// owner's row of the same id.
		"nopk": {`CREATE TABLE nopk (lease_id text, backend text NOT NULL, name text NOT NULL, job_id text NOT NULL,
			identity text NOT NULL, owner text NOT NULL, expires_at timestamptz,
			registered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
			claimed_by text, claim_token text, claim_until timestamptz)`},
		// A unique index that only covers some rows is no key.
		"partialpk": {`CREATE TABLE partialpk (lease_id text, backend text NOT NULL, name text NOT NULL, job_id text NOT NULL,
			identity text NOT NULL, owner text NOT NULL, expires_at timestamptz,
			registered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
			claimed_by text, claim_token text, claim_until timestamptz)`,
			`CREATE UNIQUE INDEX partialpk_u ON partialpk (lease_id) WHERE owner <> 'x'`},
		// Owners without a key: the heartbeat's upsert cannot work.
		"nokeyowners": {`CREATE TABLE nokeyowners_owners (owner text, alive_until timestamptz NOT NULL)`},
		// A claim_until without a time zone (see the zone test below).
		"naiveclaim": {`CREATE TABLE naiveclaim (lease_id text PRIMARY KEY, backend text NOT NULL, name text NOT NULL, job_id text NOT NULL,
			identity text NOT NULL, owner text NOT NULL, expires_at timestamptz,
			registered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
			claimed_by text, claim_token text, claim_until timestamp)`},
		// A column of another type.
		"intowner": {`CREATE TABLE intowner_owners (owner bigint PRIMARY KEY, alive_until timestamptz NOT NULL)`},
	} {
		for _, q := range qs {
			if _, err := p.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		_, err := pglease.New(ctx, p, pglease.WithTable(name))
		t.Logf("%s: %v", name, err)
		if !errors.Is(err, pglease.ErrConfig) || !errors.Is(err, secrets.ErrConfig) {
			t.Errorf("New on table %s: %v, want ErrConfig", name, err)
		}
	}
	for range 2 { // created, then found
		if _, err := pglease.New(ctx, p, pglease.WithTable("own")); err != nil {
			t.Fatalf("New on its own table: %v", err)
		}
	}
}

// An owners table whose alive_until has no time zone stores the wall clock
// of the writing session's zone and reads it in the reading session's. A
// broker whose sessions are in UTC heartbeats; a reaper whose sessions are
// in UTC+5 reads the fresh heartbeat as lapsed five hours ago and revokes
// the live runner's lease.
func TestReview21NaiveHeartbeatRevokesLiveRunner(t *testing.T) {
	s := itest.StartPostgres(t, 20)
	ctx := t.Context()
	utc, east := poolInZone(t, s, "UTC"), poolInZone(t, s, "Asia/Karachi")
	if _, err := utc.Exec(ctx, `CREATE TABLE naive_owners (owner text PRIMARY KEY, alive_until timestamp NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	broker, berr := pglease.New(ctx, utc, pglease.WithTable("naive"))
	reaperReg, rerr := pglease.New(ctx, east, pglease.WithTable("naive"))
	if !errors.Is(berr, pglease.ErrConfig) || !errors.Is(rerr, pglease.ErrConfig) {
		t.Errorf("New on an owners table whose alive_until has no time zone: %v, %v, want ErrConfig", berr, rerr)
	}
	if berr != nil || rerr != nil {
		return
	}
	if err := broker.Heartbeat(ctx, "live", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := broker.Register(ctx, leasetest.Record("l1", "live")); err != nil {
		t.Fatal(err)
	}
	claims, err := reaperReg.Claim(ctx, "reaper", time.Minute, 10)
	t.Errorf("reaper claimed %d lease(s) of an owner alive for an hour (%v)", len(claims), err)
}
