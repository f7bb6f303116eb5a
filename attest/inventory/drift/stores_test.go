package drift_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/boltinventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
	"github.com/ztci/ztci/attest/inventory/pginventory"
	"github.com/ztci/ztci/internal/itest"
)

// store is one inventory backend under test.
type store struct {
	name string
	open func(t testing.TB) inventory.Store
}

// stores are the in-memory, bbolt and PostgreSQL inventories. PostgreSQL
// is a real server (itest); without $ZTCI_POSTGRES_BIN its cases skip.
func stores() []store {
	return []store{
		{"memory", func(testing.TB) inventory.Store { return inventory.NewMemory() }},
		{"bbolt", func(t testing.TB) inventory.Store {
			s, err := boltinventory.Open(filepath.Join(t.TempDir(), "inv.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}},
		{"postgres", func(t testing.TB) inventory.Store {
			s, err := pginventory.New(context.Background(), pgPool(t, itest.StartPostgres(t, 20)))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	}
}

func pgPool(t testing.TB, pg *itest.Postgres) *pgxpool.Pool {
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

// The fleet: fleetSize admissions of fleetPackages golang modules each,
// signed by SAN https://ci.example/release@v<i%5> (from one of two
// issuers) and key sbom-key-<i%7>, each with a policy input whose scan
// counts one high finding for i%10 == 7.
// Admissions 0..vulnerable-1... are chosen by affectedAdmission: exactly
// three hold golang.org/x/net below 0.33.0 (the GHSA-w32m-9786-jp63 range),
// about a third hold it at or above 0.33.0, the rest not at all.
const (
	fleetSize     = 1000
	fleetPackages = 50
	fleetUniverse = 400
)

// affected are the admissions holding golang.org/x/net inside the range,
// with their versions (a tag, the last one before the fix, a pseudo-version).
var affected = map[int]string{17: "v0.30.0", 512: "v0.32.0", 998: "v0.0.0-20240101000000-abcdefabcdef"}

func decisionID(i int) string { return fmt.Sprintf("decision-%04d", i) }

func fleetAdmission(i int) inventory.Admission {
	r := rand.New(rand.NewPCG(uint64(i), 11))
	a := inventory.Admission{DecisionID: decisionID(i), Digest: inventorytest.Digest("artifact " + strconv.Itoa(i)),
		Image: fmt.Sprintf("registry.example/app%d:v%d", i%40, i), Builders: []string{fmt.Sprintf("https://ci.example/builder@v%d", i%4)},
		Job: "spiffe://example.org/ci/deploy", PolicyRevision: "rev-3", Time: inventorytest.T0.Add(time.Duration(i) * time.Minute),
		Signers: []inventory.Signer{{Issuer: fmt.Sprintf("https://issuer%d.example", i%2), SAN: fmt.Sprintf("https://ci.example/release@v%d", i%5)},
			{KeyID: fmt.Sprintf("sbom-key-%d", i%7)}},
		PolicyInput: fmt.Appendf(nil, `{"action":"deploy","artifacts":[{"digest":%q,"scan":{"high":%d}}]}`,
			inventorytest.Digest("artifact "+strconv.Itoa(i)), boolRank(i%10 == 7))}
	for _, m := range r.Perm(fleetUniverse)[:fleetPackages] {
		a.Packages = append(a.Packages, inventory.Package{PURL: fmt.Sprintf("pkg:golang/example.com/mod%d@v1.%d.0", m, r.IntN(10))})
	}
	switch v, ok := affected[i]; {
	case ok:
		a.Packages = append(a.Packages, inventory.Package{PURL: "pkg:golang/golang.org/x/net@" + v})
	case i%3 == 0:
		a.Packages = append(a.Packages, inventory.Package{PURL: fmt.Sprintf("pkg:golang/golang.org/x/net@v0.%d.0", 33+i%5)})
	case i%3 == 1: // a neighbour by name, never matched
		a.Packages = append(a.Packages, inventory.Package{PURL: "pkg:golang/golang.org/x/netx@v0.1.0"})
	}
	return a
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// seedFleet records the fleet in s with a few writers.
func seedFleet(t testing.TB, s inventory.Store, n int) {
	t.Helper()
	const workers = 4
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				if err := s.Record(context.Background(), fleetAdmission(i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
