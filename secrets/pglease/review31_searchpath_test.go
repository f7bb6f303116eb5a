package pglease_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/internal/leasetest"
	"github.com/ztci/ztci/secrets/pglease"
)

// hostileSchema defines, in schema evil, operators and a type that a role
// able to create objects in a schema on the registry's search_path (public
// before PostgreSQL 15, or a schema of its own listed ahead of pg_catalog)
// could plant: text equality that is always true, time comparisons that
// call every owner alive and every claim current, time arithmetic that
// ends every heartbeat at once.
var hostileSchema = []string{
	`CREATE SCHEMA evil`,
	`CREATE FUNCTION evil.eq(pg_catalog.text, pg_catalog.text) RETURNS pg_catalog.bool LANGUAGE sql IMMUTABLE AS 'SELECT true'`,
	`CREATE OPERATOR evil.= (LEFTARG = pg_catalog.text, RIGHTARG = pg_catalog.text, FUNCTION = evil.eq)`,
	`CREATE FUNCTION evil.always(pg_catalog.timestamptz, pg_catalog.timestamptz) RETURNS pg_catalog.bool LANGUAGE sql IMMUTABLE AS 'SELECT true'`,
	`CREATE FUNCTION evil.never(pg_catalog.timestamptz, pg_catalog.timestamptz) RETURNS pg_catalog.bool LANGUAGE sql IMMUTABLE AS 'SELECT false'`,
	`CREATE OPERATOR evil.> (LEFTARG = pg_catalog.timestamptz, RIGHTARG = pg_catalog.timestamptz, FUNCTION = evil.always)`,
	`CREATE OPERATOR evil.<= (LEFTARG = pg_catalog.timestamptz, RIGHTARG = pg_catalog.timestamptz, FUNCTION = evil.never)`,
	`CREATE OPERATOR evil.< (LEFTARG = pg_catalog.timestamptz, RIGHTARG = pg_catalog.timestamptz, FUNCTION = evil.always)`,
	`CREATE FUNCTION evil.past(pg_catalog.timestamptz, pg_catalog.interval) RETURNS pg_catalog.timestamptz LANGUAGE sql IMMUTABLE AS $$SELECT '-infinity'::pg_catalog.timestamptz$$`,
	`CREATE FUNCTION evil.future(pg_catalog.timestamptz, pg_catalog.interval) RETURNS pg_catalog.timestamptz LANGUAGE sql IMMUTABLE AS $$SELECT 'infinity'::pg_catalog.timestamptz$$`,
	`CREATE OPERATOR evil.+ (LEFTARG = pg_catalog.timestamptz, RIGHTARG = pg_catalog.interval, FUNCTION = evil.past)`,
	`CREATE OPERATOR evil.- (LEFTARG = pg_catalog.timestamptz, RIGHTARG = pg_catalog.interval, FUNCTION = evil.future)`,
	`GRANT USAGE ON SCHEMA evil TO PUBLIC`,
}

// TestReview31HostileOperatorsOnSearchPath: the registry's statements named
// their functions with pg_catalog but not their operators (=, <=, >, +, -,
// IN) nor casts, which PostgreSQL resolves through the session's
// search_path. Whoever could create objects in a schema that precedes
// pg_catalog there changed what the statements meant: Complete with a
// stale token deleted a lease another reaper was revoking, Release of one
// lease deleted every lease (none was ever revoked), a heartbeat ended the
// moment it was written, and long-lapsed-owner cleanup removed live owners.
func TestReview31HostileOperatorsOnSearchPath(t *testing.T) {
	s := itest.StartPostgres(t, 20)
	ctx := t.Context()
	admin := pool(t, s)
	for _, q := range hostileSchema {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	hostile := poolWithSearchPath(t, s, "evil, pg_catalog, public")
	reg, err := pglease.New(ctx, hostile, pglease.WithTable("hostile"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("release deletes one lease", func(t *testing.T) {
		for _, id := range []string{"keep", "drop"} {
			if err := reg.Register(ctx, leasetest.Record(id, "live")); err != nil {
				t.Fatal(err)
			}
		}
		if err := reg.Release(ctx, "drop"); err != nil {
			t.Fatal(err)
		}
		var ids []string
		rows, _ := admin.Query(ctx, `SELECT lease_id FROM public.hostile ORDER BY lease_id`)
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil || len(ids) != 1 || ids[0] != "keep" {
			t.Fatalf("leases left after Release(drop): %v (%v), want [keep]", ids, err)
		}
		if err := reg.Release(ctx, "keep"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("heartbeat keeps the owner alive", func(t *testing.T) {
		if err := reg.Heartbeat(ctx, "alive-owner", time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := reg.Register(ctx, leasetest.Record("alive-lease", "alive-owner")); err != nil {
			t.Fatal(err)
		}
		claims, err := reg.Claim(ctx, "reaper", time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range claims {
			t.Errorf("claimed %s of a live owner", c.Record.LeaseID)
		}
		var alive bool
		if err := admin.QueryRow(ctx, `SELECT alive_until > now() + interval '30 minutes' FROM public.hostile_owners WHERE owner = 'alive-owner'`).Scan(&alive); err != nil || !alive {
			t.Fatalf("live owner's heartbeat: alive %v (%v)", alive, err)
		}
		if err := reg.Release(ctx, "alive-lease"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("dead owner's lease is claimed once and completed by its token only", func(t *testing.T) {
		if err := reg.Register(ctx, leasetest.Record("dead-lease", "dead-owner")); err != nil {
			t.Fatal(err)
		}
		claims, err := reg.Claim(ctx, "reaper", time.Minute, 10)
		if err != nil || len(claims) != 1 || claims[0].Record.LeaseID != "dead-lease" {
			t.Fatalf("Claim: %+v (%v), want dead-lease", claims, err)
		}
		if again, err := reg.Claim(ctx, "reaper-2", time.Minute, 10); err != nil || len(again) != 0 {
			t.Fatalf("second Claim while the first is current: %+v (%v), want none", again, err)
		}
		stale := claims[0]
		stale.Token = "not-the-token"
		if err := reg.Complete(ctx, stale); !errors.Is(err, secrets.ErrClaimLost) {
			t.Fatalf("Complete with a wrong token: %v, want ErrClaimLost", err)
		}
		if err := reg.Complete(ctx, claims[0]); err != nil {
			t.Fatalf("Complete: %v", err)
		}
	})

	t.Run("long-lapsed cleanup keeps live owners", func(t *testing.T) {
		if _, err := reg.Claim(ctx, "reaper", time.Minute, 1); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := admin.QueryRow(ctx, `SELECT count(*) FROM public.hostile_owners WHERE owner = 'alive-owner'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("live owner rows after cleanup: %d (%v), want 1", n, err)
		}
	})

	// A type named text ahead of pg_catalog's: the tables New creates and
	// the token Claim casts are still pg_catalog.text.
	t.Run("type named text", func(t *testing.T) {
		if _, err := admin.Exec(ctx, `CREATE DOMAIN evil.text AS pg_catalog.int4`); err != nil {
			t.Fatal(err)
		}
		reg, err := pglease.New(ctx, hostile, pglease.WithTable("hostile_typed"))
		if err != nil {
			t.Fatal(err)
		}
		var textCols int
		if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.hostile_typed'::regclass
			AND atttypid = 'pg_catalog.text'::regtype`).Scan(&textCols); err != nil || textCols != 8 {
			t.Fatalf("pg_catalog.text columns: %d (%v), want 8", textCols, err)
		}
		if err := reg.Register(ctx, leasetest.Record("typed", "dead-owner")); err != nil {
			t.Fatal(err)
		}
		claims, err := reg.Claim(ctx, "reaper", time.Minute, 10)
		if err != nil || len(claims) != 1 {
			t.Fatalf("Claim: %+v (%v), want one", claims, err)
		}
		if err := reg.Complete(ctx, claims[0]); err != nil {
			t.Fatal(err)
		}
	})
}
