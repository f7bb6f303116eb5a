package pglease_test

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/internal/leasetest"
	"github.com/ztci/ztci/secrets/pglease"
)

// Claim takes the oldest claimable rows; without an index on registered_at
// every claim sorts the whole table. New adds the index to its own tables
// and to tables created before it existed.
func TestReview29ClaimOrderIndexed(t *testing.T) {
	s := itest.StartPostgres(t, 20)
	ctx := t.Context()
	p := pool(t, s)
	if _, err := p.Exec(ctx, `CREATE TABLE older (lease_id text PRIMARY KEY, backend text NOT NULL, name text NOT NULL, job_id text NOT NULL,
		identity text NOT NULL, owner text NOT NULL, expires_at timestamptz,
		registered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
		claimed_by text, claim_token text, claim_until timestamptz)`); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"fresh", "older"} {
		if _, err := pglease.New(ctx, p, pglease.WithTable(table)); err != nil {
			t.Fatal(err)
		}
		var indexed bool
		if err := p.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
			WHERE i.indrelid = to_regclass($1) AND a.attname = 'registered_at' AND i.indpred IS NULL)`, "public."+table).Scan(&indexed); err != nil {
			t.Fatal(err)
		}
		if !indexed {
			t.Errorf("table %s: no index led by registered_at", table)
		}
	}
}

// countingPool counts the bytes its connections read from the server.
func countingPool(t *testing.T, s *itest.Postgres, read *atomic.Int64) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(s.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	var d net.Dialer
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{Conn: c, read: read}, nil
	}
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.read.Add(int64(n))
	return n, err
}

// Whoever can write to the table can store a lapsed owner's row with
// megabytes in its text columns; each Claim read them all before
// Validate refused the row. Claim now reads at most a little more than a
// record may hold per column, still refuses the row, and still claims the
// valid rows around it. A NULL text column (a table created ahead without
// NOT NULL) is refused the same way instead of failing the Claim after its
// claims committed.
func TestReview29ClaimReadsBoundedRows(t *testing.T) {
	s := itest.StartPostgres(t, 20)
	ctx := t.Context()
	admin := pool(t, s)
	if _, err := admin.Exec(ctx, `CREATE TABLE nullable (lease_id text PRIMARY KEY, backend text, name text, job_id text,
		identity text, owner text NOT NULL, expires_at timestamptz,
		registered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
		claimed_by text, claim_token text, claim_until timestamptz)`); err != nil {
		t.Fatal(err)
	}
	const huge = 4 << 20
	for _, tc := range []struct {
		name, table, bad string
	}{
		{name: "huge columns", table: "huge", bad: `INSERT INTO huge (lease_id, backend, name, job_id, identity, owner)
			VALUES ('bad', repeat('b', $1), repeat('n', $1), repeat('j', $1), repeat('i', $1), 'dead')`},
		{name: "huge multibyte", table: "hugemb", bad: `INSERT INTO hugemb (lease_id, backend, name, job_id, identity, owner)
			VALUES ('bad', 'pg', repeat('é', $1/2), 'j', 'i', 'dead')`},
		{name: "null column", table: "nullable", bad: `INSERT INTO nullable (lease_id, backend, name, job_id, identity, owner)
			VALUES ('bad', NULL, 'n', 'j', left('i', $1), 'dead')`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var read atomic.Int64
			p := countingPool(t, s, &read)
			reg, err := pglease.New(ctx, p, pglease.WithTable(tc.table))
			if err != nil {
				t.Fatal(err)
			}
			if err := reg.Register(ctx, leasetest.Record("first", "dead")); err != nil {
				t.Fatal(err)
			}
			if _, err := admin.Exec(ctx, tc.bad, huge); err != nil {
				t.Fatal(err)
			}
			if err := reg.Register(ctx, leasetest.Record("last", "dead")); err != nil {
				t.Fatal(err)
			}
			before := read.Load()
			claims, err := reg.Claim(ctx, "reaper", time.Minute, 10)
			if err != nil {
				t.Fatalf("Claim: %v", err)
			}
			var ids []string
			for _, c := range claims {
				ids = append(ids, c.Record.LeaseID)
			}
			if strings.Join(ids, ",") != "first,last" {
				t.Errorf("claimed %v, want first,last", ids)
			}
			if n := read.Load() - before; n > 16*secrets.MaxLeaseField*4 {
				t.Errorf("Claim read %d bytes for rows of at most %d bytes a column", n, secrets.MaxLeaseField)
			}
		})
	}
}
