package pglease_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/internal/leasetest"
	"github.com/ztci/ztci/secrets/pglease"
)

// caseInsensitive creates collation ci, equal across case, or skips when
// the server has no ICU (only ICU collations can be non-deterministic).
func caseInsensitive(t *testing.T, p *pgxpool.Pool) {
	t.Helper()
	var icu int
	if err := p.QueryRow(t.Context(), `SELECT count(*) FROM pg_collation WHERE collprovider = 'i'`).Scan(&icu); err != nil {
		t.Fatal(err)
	}
	if icu == 0 {
		t.Skip("server built without ICU: no non-deterministic collation can be created")
	}
	if _, err := p.Exec(t.Context(), `CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)`); err != nil {
		t.Fatal(err)
	}
}

// A text column (or the key's unique index) under a non-deterministic
// collation compares "Runner-A" equal to "runner-a": one owner's heartbeat
// keeps another alive, and two lease ids (or claim tokens) differing in
// case are one. New must refuse each such table with ErrConfig, and keep
// accepting text under a deterministic collation.
func TestReview21NewRefusesNonDeterministicCollations(t *testing.T) {
	s := itest.StartPostgres(t, 20)
	p := pool(t, s)
	ctx := t.Context()
	caseInsensitive(t, p)
	leases := func(table, leaseID, claimToken string) string {
		return `CREATE TABLE ` + table + ` (lease_id text ` + leaseID + ` PRIMARY KEY, backend text NOT NULL, name text NOT NULL,
			job_id text NOT NULL, identity text NOT NULL, owner text NOT NULL, expires_at timestamptz,
			registered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
			claimed_by text, claim_token text ` + claimToken + `, claim_until timestamptz)`
	}
	for name, qs := range map[string][]string{
		"ciowner":   {`CREATE TABLE ciowner_owners (owner text COLLATE ci PRIMARY KEY, alive_until timestamptz NOT NULL)`},
		"cileaseid": {leases("cileaseid", "COLLATE ci", "")},
		"citoken":   {leases("citoken", "", "COLLATE ci")},
		// The column is deterministic; only its unique index is not, so
		// "l1" and "L1" collide on it.
		"ciindex": {`CREATE TABLE ciindex_owners (owner text NOT NULL, alive_until timestamptz NOT NULL)`,
			`CREATE UNIQUE INDEX ciindex_owners_u ON ciindex_owners (owner COLLATE ci)`},
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
	for _, q := range []string{
		`CREATE TABLE bytewise_owners (owner text COLLATE "C" PRIMARY KEY, alive_until timestamptz NOT NULL)`,
		leases("bytewise", `COLLATE "C"`, `COLLATE "C"`),
	} {
		if _, err := p.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pglease.New(ctx, p, pglease.WithTable("bytewise")); err != nil {
		t.Errorf("New on tables with a deterministic collation: %v", err)
	}
}

// With a case-insensitive owner column, runner "Runner-A"'s heartbeat keeps
// dead runner "runner-a" alive: the reaper never claims (never revokes) the
// dead runner's lease.
func TestReview21CaseInsensitiveOwnerHidesDeadRunner(t *testing.T) {
	s := itest.StartPostgres(t, 20)
	p := pool(t, s)
	ctx := t.Context()
	caseInsensitive(t, p)
	if _, err := p.Exec(ctx, `CREATE TABLE ci_owners (owner text COLLATE ci PRIMARY KEY, alive_until timestamptz NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	reg, err := pglease.New(ctx, p, pglease.WithTable("ci"))
	if !errors.Is(err, pglease.ErrConfig) {
		t.Errorf("New on a case-insensitive owners table: %v, want ErrConfig", err)
	}
	if err != nil {
		return
	}
	if err := reg.Heartbeat(ctx, "Runner-A", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(ctx, leasetest.Record("l1", "runner-a")); err != nil {
		t.Fatal(err)
	}
	claims, err := reg.Claim(ctx, "reaper", time.Minute, 10)
	if len(claims) != 1 {
		t.Errorf("reaper claimed %d lease(s) of dead owner runner-a (%v): Runner-A's heartbeat kept it alive", len(claims), err)
	}
}
