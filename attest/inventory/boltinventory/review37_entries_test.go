package boltinventory_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
)

// TestReview37SourcePackagesBeyondMaxPackages: an admission may hold up to
// twice MaxPackages entries (each package followed by the source package
// its "upstream" qualifier names), and Record stored them all, but the
// package list's decoder refused more than MaxPackages. An SBOM of 50,001
// deb packages each naming its own source made every query that loads
// that admission (by digest, builder, signer, key or revision: a
// revocation's) fail with ErrUnavailable, for every admission it would
// have listed too.
func TestReview37SourcePackagesBeyondMaxPackages(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "inv.db"))
	mem := inventory.NewMemory()
	n := inventory.MaxPackages/2 + 1
	purls := make([]string, n)
	for i := range purls {
		purls[i] = fmt.Sprintf("pkg:deb/debian/bin-%d@1.0-1?upstream=src-%d", i, i)
	}
	big := inventorytest.Admission("d-big", "big", purls...)
	big.Builders = []string{"https://ci.example/builder"}
	other := inventorytest.Admission("d-other", "other", "pkg:deb/debian/bin-1@1.0-1")
	other.Builders = big.Builders
	for _, st := range []inventory.Store{s, mem} {
		for _, a := range []inventory.Admission{big, other} {
			if err := st.Record(t.Context(), a); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, q := range []inventory.Query{
		{Digest: inventorytest.Digest("big")},
		{Builder: "https://ci.example/builder"},
		{Package: "pkg:deb/debian/src-7"},
	} {
		got, err := s.Query(t.Context(), q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		want, err := mem.Query(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Admissions) != len(want.Admissions) {
			t.Fatalf("%+v: %d admissions, memory %d", q, len(got.Admissions), len(want.Admissions))
		}
		for i := range got.Admissions {
			if g, w := len(got.Admissions[i].Packages), len(want.Admissions[i].Packages); g != w {
				t.Fatalf("%+v: %s lists %d packages, memory %d", q, got.Admissions[i].DecisionID, g, w)
			}
		}
	}
}
