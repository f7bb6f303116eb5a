package inventory_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
)

// TestReview37MemoryQueryBuildsOnlyWhatItReturns: a query by digest,
// builder, signer, key or revision built the package list of every
// matching admission (a string per package, up to twice MaxPackages per
// admission) and only then kept the Limit newest: a revocation's query
// over a builder's admissions allocated the whole index again in the
// gate's process. Only the admissions the result holds get their
// packages now, so the work does not grow with the admissions past the
// limit.
func TestReview37MemoryQueryBuildsOnlyWhatItReturns(t *testing.T) {
	const packages = 50
	allocs := func(admissions int) float64 {
		m := inventory.NewMemory()
		for i := range admissions {
			a := inventorytest.Admission(fmt.Sprintf("d-%03d", i), fmt.Sprint(i))
			a.Builders, a.Time = []string{"https://ci.example/b"}, inventorytest.T0.Add(time.Duration(i%5)*time.Second)
			for j := range packages {
				a.Packages = append(a.Packages, inventory.Package{PURL: fmt.Sprintf("pkg:npm/p%d@1.0.%d", j, i)})
			}
			if err := m.Record(t.Context(), a); err != nil {
				t.Fatal(err)
			}
		}
		return testing.AllocsPerRun(5, func() {
			r, err := m.Query(t.Context(), inventory.Query{Builder: "https://ci.example/b", Limit: 2})
			if err != nil || len(r.Admissions) != 2 || !r.Truncated || len(r.Admissions[0].Packages) != packages {
				t.Fatalf("%+v, %v", r, err)
			}
		})
	}
	few, many := allocs(3), allocs(200)
	if many > few+200 { // a few per admission to filter and sort, none per package
		t.Fatalf("query with limit 2: %.0f allocations over 200 admissions, %.0f over 3", many, few)
	}
}
