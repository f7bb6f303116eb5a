package inventory_test

import (
	"testing"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
)

// An exposure query by exact version ("which images ship log4j-core
// 2.14.1?") must list an image whose SBOM names log4j-core without a
// version, or with one that does not order: it may be that version, and
// an empty answer reads as "not affected".
func TestReview21ExactVersionListsUnknownVersion(t *testing.T) {
	s := inventory.NewMemory()
	if err := s.Record(t.Context(), inventorytest.Admission("d-bare", "bare",
		"pkg:maven/org.apache.logging.log4j/log4j-core", "pkg:golang/golang.org/x/net@%28devel%29", "pkg:npm/left-pad")); err != nil {
		t.Fatal(err)
	}
	for _, q := range []inventory.Query{
		{Package: "pkg:maven/org.apache.logging.log4j/log4j-core", Versions: []string{"2.14.1"}},
		{Package: "pkg:golang/golang.org/x/net", Versions: []string{"v0.30.0"}},
		{Package: "pkg:npm/left-pad", Versions: []string{"1.3.0", "1.2.0"}},
	} {
		res, err := s.Query(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Admissions) != 1 || len(res.Admissions[0].Packages) != 1 || !res.Admissions[0].Packages[0].Unordered {
			t.Fatalf("query %+v = %+v, want d-bare with its package marked unordered", q, res.Admissions)
		}
	}
}

// A known version of a type without an ordering is still compared byte
// for byte: only an unknown one is listed.
func TestReview21ExactVersionUnorderedTypeStillExact(t *testing.T) {
	m, err := inventory.Compile(inventory.Query{Package: "pkg:conan/zlib", Versions: []string{"1.3.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Match("1.3.01", ""); ok {
		t.Fatal("1.3.01 matched 1.3.1 for a type without an ordering")
	}
	if p, ok := m.Match("", ""); !ok || !p.Unordered {
		t.Fatalf("an unknown version = %+v, %v; want listed, unordered", p, ok)
	}
}
