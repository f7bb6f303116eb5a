package pglease_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/internal/leasetest"
	"github.com/ztci/ztci/secrets/pglease"
)

func pool(t testing.TB, s *itest.Postgres) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), s.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

var tables atomic.Int64

func newRegistry(t testing.TB, p *pgxpool.Pool, opts ...pglease.Option) *pglease.Registry {
	t.Helper()
	reg, err := pglease.New(context.Background(), p, append([]pglease.Option{pglease.WithTable(fmt.Sprintf("leases_%d", tables.Add(1)))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestContract(t *testing.T) {
	p := pool(t, itest.StartPostgres(t, 50))
	leasetest.Run(t, func(t *testing.T) leasetest.Registry { return newRegistry(t, p) })
}

func TestFailsClosed(t *testing.T) {
	s := itest.StartPostgres(t, 50)
	p := pool(t, s)
	reg := newRegistry(t, p, pglease.WithTimeout(time.Second))
	ctx := t.Context()
	if err := reg.Register(ctx, leasetest.Record("x", "gone")); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	if err := reg.Register(ctx, leasetest.Record("y", "o")); !errors.Is(err, pglease.ErrUnavailable) || !errors.Is(err, secrets.ErrLeaseRegistry) {
		t.Fatalf("Register with the server down: %v", err)
	}
	if err := reg.Heartbeat(ctx, "o", time.Minute); !errors.Is(err, pglease.ErrUnavailable) {
		t.Fatalf("Heartbeat: %v", err)
	}
	rv := leasetest.NewCountingRevoker()
	r, err := secrets.NewReaper(reg, map[string]secrets.Revoker{"pg": rv})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := r.Reap(ctx); !errors.Is(err, pglease.ErrUnavailable) || rep != (secrets.ReapReport{}) || len(rv.Calls()) != 0 {
		t.Fatalf("Reap with the server down: %+v %v", rep, err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for name, opt := range map[string]pglease.Option{
		"table":   pglease.WithTable("Bad-Name"),
		"timeout": pglease.WithTimeout(0),
		"logger":  pglease.WithLogger(nil),
	} {
		if _, err := pglease.New(t.Context(), nil, opt); !errors.Is(err, pglease.ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
