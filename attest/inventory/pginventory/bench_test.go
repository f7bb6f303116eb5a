package pginventory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/boltinventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
	"github.com/ztci/ztci/attest/inventory/pginventory"
	"github.com/ztci/ztci/internal/itest"
)

// Benchmark shape: benchArtifacts admissions of benchPackages packages each,
// drawn from benchUniverse golang modules with 20 versions each, so every
// module is in about benchArtifacts*benchPackages/benchUniverse admissions.
// ZTCI_INVENTORY_BENCH_ARTIFACTS overrides the artifact count.
const (
	benchPackages = 500
	benchUniverse = 2000
)

func benchArtifacts() int {
	if n, err := strconv.Atoi(os.Getenv("ZTCI_INVENTORY_BENCH_ARTIFACTS")); err == nil && n > 0 {
		return n
	}
	return 10_000
}

func benchModule(i int) string { return fmt.Sprintf("pkg:golang/example.com/org%d/mod%d", i/50, i) }

// benchAdmission is admission i, generated on demand so the data set never
// sits in memory outside the store.
func benchAdmission(i int) inventory.Admission {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	a := inventory.Admission{DecisionID: fmt.Sprintf("decision-%06d", i), Digest: inventorytest.Digest(strconv.Itoa(i)),
		Image: fmt.Sprintf("registry.example/app%d:v%d", i%100, i), Builders: []string{fmt.Sprintf("https://ci.example/builder@v%d", i%5)},
		Job: "spiffe://example.org/job/deploy", PolicyRevision: "rev-1", Time: inventorytest.T0.Add(time.Duration(i) * time.Second),
		Packages: make([]inventory.Package, 0, benchPackages)}
	for _, m := range r.Perm(benchUniverse)[:benchPackages] {
		a.Packages = append(a.Packages, inventory.Package{PURL: fmt.Sprintf("%s@v1.%d.0", benchModule(m), r.IntN(20))})
	}
	return a
}

func seed(b *testing.B, s inventory.Store, n, workers int) time.Duration {
	b.Helper()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				if err := s.Record(context.Background(), benchAdmission(i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return time.Since(start)
}

// queryLoop asks, b.N times, which admissions hold a random module in
// [v1.5.0, v1.10.0) and reports p50/p99 latency and the average hits.
func queryLoop(b *testing.B, s inventory.Store, load time.Duration) {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	var durs []time.Duration
	hits := 0
	b.ReportAllocs()
	for b.Loop() {
		q := inventory.Query{Package: benchModule(r.IntN(benchUniverse)), Ranges: []inventory.Range{{Introduced: "v1.5.0", Fixed: "v1.10.0"}}, Limit: inventory.MaxLimit}
		t0 := time.Now()
		res, err := s.Query(context.Background(), q)
		durs = append(durs, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		hits += len(res.Admissions)
	}
	b.StopTimer()
	slices.Sort(durs)
	pct := func(p float64) float64 { return float64(durs[int(p*float64(len(durs)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(hits)/float64(len(durs)), "hits/op")
	b.ReportMetric(load.Seconds(), "load-s")
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkQuery answers a package URL + version range query over the same
// admissions (10,000 × 500 packages by default) on the in-memory, bbolt and
// PostgreSQL stores. Each sub-benchmark seeds its store once (load-s), then
// queries; the in-memory one also reports the index's heap (index-MB).
func BenchmarkQuery(b *testing.B) {
	n := benchArtifacts()
	b.Run("memory", func(b *testing.B) {
		before := heap()
		s := inventory.NewMemory()
		load := seed(b, s, n, 1)
		index := float64(heap()-before) / (1 << 20)
		queryLoop(b, s, load)
		b.ReportMetric(index, "index-MB")
		runtime.KeepAlive(s)
	})
	b.Run("bbolt", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "inv.db")
		s, err := boltinventory.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		load := seed(b, s, n, 16)
		queryLoop(b, s, load)
		if fi, err := os.Stat(path); err == nil {
			b.ReportMetric(float64(fi.Size())/(1<<20), "file-MB")
		}
	})
	b.Run("postgres", func(b *testing.B) {
		p := pool(b, itest.StartPostgres(b, 40))
		s, err := pginventory.New(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
		load := seed(b, s, n, 8)
		if _, err := p.Exec(context.Background(), "VACUUM ANALYZE"); err != nil {
			b.Fatal(err)
		}
		queryLoop(b, s, load)
	})
}
