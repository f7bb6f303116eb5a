package pginventory_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

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
	// A generous bound: New's schema set-up took over 2 s in a -race run on
	// a loaded 2-core machine, and with the server down calls fail at once.
	s, err := pginventory.New(t.Context(), pool(t, pg), pginventory.WithTimeout(10*time.Second))
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

// A table of the first schema (no policy input column, no signer table,
// no revision index), with an admission in it, is migrated in place by
// New: the old admission stays readable, lists no signers and is found by
// its policy revision; new admissions record signers and inputs.
func TestMigratesFirstSchema(t *testing.T) {
	t.Parallel()
	p := pool(t, itest.StartPostgres(t, 20))
	for _, q := range []string{
		`CREATE TABLE old_admission (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, decision_id text NOT NULL UNIQUE,
			digest text NOT NULL, image text NOT NULL, builder text NOT NULL, job text NOT NULL,
			policy_revision text NOT NULL, admitted_at timestamptz NOT NULL)`,
		`CREATE TABLE old_package (admission bigint NOT NULL REFERENCES old_admission (id) ON DELETE CASCADE,
			ord int NOT NULL, pkey text NOT NULL, ptype text NOT NULL, version text NOT NULL, PRIMARY KEY (admission, ord))`,
		`INSERT INTO old_admission (decision_id, digest, image, builder, job, policy_revision, admitted_at)
			VALUES ('d-old', '` + inventorytest.Digest("old") + `', 'app:v1', 'b', 'j', 'rev-1', now())`,
		`INSERT INTO old_package SELECT id, 0, 'npm/left-pad', 'npm', '1.3.0' FROM old_admission`,
	} {
		if _, err := p.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	s, err := pginventory.New(t.Context(), p, pginventory.WithTablePrefix("old"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Query(t.Context(), inventory.Query{PolicyRevision: "rev-1", WithPolicyInput: true})
	if err != nil || len(res.Admissions) != 1 {
		t.Fatalf("old admission by revision: %+v, %v", res, err)
	}
	if a := res.Admissions[0]; a.DecisionID != "d-old" || len(a.Packages) != 1 || a.Signers != nil || a.PolicyInput != nil {
		t.Fatalf("old admission = %+v", a)
	}
	a := inventory.Admission{DecisionID: "d-new", Digest: inventorytest.Digest("new"), Time: inventorytest.T0,
		Signers: []inventory.Signer{{SAN: "san"}}, PolicyInput: []byte(`{"action":"deploy"}`)}
	if err := s.Record(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	res, err = s.Query(t.Context(), inventory.Query{Signer: "san", WithPolicyInput: true})
	if err != nil || len(res.Admissions) != 1 || string(res.Admissions[0].PolicyInput) != `{"action":"deploy"}` {
		t.Fatalf("new admission by signer: %+v, %v", res, err)
	}
}
