package pginventory_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
	"github.com/ztci/ztci/attest/inventory/pginventory"
	"github.com/ztci/ztci/internal/itest"
)

func pool(t testing.TB, pg *itest.Postgres) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pg.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 8
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func TestContract(t *testing.T) {
	t.Parallel()
	p := pool(t, itest.StartPostgres(t, 30))
	var n atomic.Int32
	inventorytest.Run(t, func(t *testing.T) inventory.Store {
		s, err := pginventory.New(t.Context(), p, pginventory.WithTablePrefix(fmt.Sprintf("inv%d", n.Add(1))))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestServerDownFailsClosed(t *testing.T) {
	t.Parallel()
	pg := itest.StartPostgres(t, 20)
	s, err := pginventory.New(t.Context(), pool(t, pg), pginventory.WithTimeout(2e9))
	if err != nil {
		t.Fatal(err)
	}
	pg.Kill()
	err = s.Record(t.Context(), inventory.Admission{DecisionID: "d", Digest: inventorytest.Digest("x"), Time: inventorytest.T0})
	if !errors.Is(err, inventory.ErrUnavailable) {
		t.Fatalf("record with the server down: err = %v, want ErrUnavailable", err)
	}
	if _, err := s.Query(t.Context(), inventory.Query{Package: "pkg:npm/a"}); !errors.Is(err, inventory.ErrUnavailable) {
		t.Fatalf("query with the server down: err = %v, want ErrUnavailable", err)
	}
}

func TestOptionsRejectMisuse(t *testing.T) {
	t.Parallel()
	if _, err := pginventory.New(t.Context(), nil); !errors.Is(err, pginventory.ErrConfig) {
		t.Fatalf("nil pool: err = %v", err)
	}
	for _, o := range []pginventory.Option{nil, pginventory.WithTablePrefix("Bad-Name"), pginventory.WithTimeout(0), pginventory.WithLogger(nil)} {
		if _, err := pginventory.New(t.Context(), &pgxpool.Pool{}, o); !errors.Is(err, pginventory.ErrConfig) {
			t.Errorf("err = %v, want ErrConfig", err)
		}
	}
}
