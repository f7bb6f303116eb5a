package pginventory_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
	"github.com/ztci/ztci/attest/inventory/pginventory"
	"github.com/ztci/ztci/internal/itest"
)

// rowCounter is a pgx tracer that adds up the rows SELECT statements on
// the package table returned.
type rowCounter struct {
	mu   sync.Mutex
	rows int64
}

type sqlKey struct{}

func (c *rowCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, sqlKey{}, d.SQL)
}

func (c *rowCounter) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	sql, _ := ctx.Value(sqlKey{}).(string)
	if d.Err == nil && d.CommandTag.Select() && strings.Contains(sql, "_package") {
		c.mu.Lock()
		c.rows += d.CommandTag.RowsAffected()
		c.mu.Unlock()
	}
}

// TestReview37QueryReadsOnlyTheAdmissionsItReturns: a query by digest,
// builder, signer, key or revision read every matching admission and all
// its packages (up to twice MaxPackages each) into memory, and only then
// kept the Limit newest. Jobs that a builder builds, or one job deploying
// often with a large SBOM, made a revocation's query read the whole index
// (ending in the timeout, an unanswered incident query, or the memory of
// the process that asked). The admissions past the limit are no longer
// read, nor their packages.
func TestReview37QueryReadsOnlyTheAdmissionsItReturns(t *testing.T) {
	t.Parallel()
	pg := itest.StartPostgres(t, 20)
	cfg, err := pgxpool.ParseConfig(pg.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	counter := &rowCounter{}
	cfg.ConnConfig.Tracer = counter
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	s, err := pginventory.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	mem := inventory.NewMemory()
	const admissions, packages = 40, 25
	for i := range admissions {
		a := inventory.Admission{DecisionID: fmt.Sprintf("d-%02d", i), Digest: inventorytest.Digest(fmt.Sprint(i)),
			Builders: []string{"https://ci.example/b@v1"}, Signers: []inventory.Signer{{SAN: "san"}}, PolicyRevision: "r",
			Time: inventorytest.T0.Add(time.Duration(i%7) * time.Minute)} // ties broken by decision id
		for j := range packages {
			a.Packages = append(a.Packages, inventory.Package{PURL: fmt.Sprintf("pkg:npm/p%d@1.0.%d", j, i)})
		}
		for _, st := range []inventory.Store{s, mem} {
			if err := st.Record(t.Context(), a); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, q := range []inventory.Query{
		{Builder: "https://ci.example/b", Limit: 3},
		{Signer: "san", Limit: 1},
		{PolicyRevision: "r", Limit: 5},
		{PolicyRevision: "r", Limit: admissions},
		{PolicyRevision: "r", Limit: admissions - 1},
	} {
		counter.mu.Lock()
		counter.rows = 0
		counter.mu.Unlock()
		got, err := s.Query(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		counter.mu.Lock()
		read := counter.rows
		counter.mu.Unlock()
		if max := int64(q.Limit * packages); read > max {
			t.Errorf("query %+v read %d package rows, want at most %d", q, read, max)
		}
		want, err := mem.Query(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		var g, w []string
		for _, a := range got.Admissions {
			g = append(g, fmt.Sprintf("%s/%d", a.DecisionID, len(a.Packages)))
		}
		for _, a := range want.Admissions {
			w = append(w, fmt.Sprintf("%s/%d", a.DecisionID, len(a.Packages)))
		}
		if strings.Join(g, " ") != strings.Join(w, " ") || got.Truncated != want.Truncated {
			t.Errorf("query %+v: %v truncated=%v, memory %v truncated=%v", q, g, got.Truncated, w, want.Truncated)
		}
	}
}
