package inventory_test

import (
	"testing"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
)

// One package spelled two ways an SBOM tool or an advisory may spell it
// is one index key: a '/' percent-encoded inside the name (purl libraries
// that are given the whole path as the name write "%2F") splits the name
// as a raw '/' does, and a Go module path in its case-encoded form (the
// module proxy's and module cache's "!a" for "A") is the path it encodes.
// Otherwise an incident query for the advisory's spelling misses the
// artifact whose SBOM used the other.
func TestReview7OneKeyForEverySpellingOfAPath(t *testing.T) {
	t.Parallel()
	tests := []struct{ sbom, query string }{
		{"pkg:npm/%40angular%2Fcore@16.2.0", "pkg:npm/%40angular/core"},
		{"pkg:npm/@angular%2fcore@16.2.0", "pkg:npm/@angular/core"},
		{"pkg:golang/github.com%2Fgorilla%2Fmux@v1.8.0", "pkg:golang/github.com/gorilla/mux"},
		{"pkg:golang/github.com/gorilla%2Fmux@v1.8.0", "pkg:golang/github.com/gorilla/mux"},
		{"pkg:golang/github.com/!azure/go-autorest@v14.2.0+incompatible", "pkg:golang/github.com/Azure/go-autorest"},
		{"pkg:golang/github.com/!burnt!sushi/toml@v1.2.0", "pkg:golang/github.com/BurntSushi/toml"},
		{"pkg:maven/org.apache.logging.log4j%2Flog4j-core@2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core"},
	}
	for _, tc := range tests {
		t.Run(tc.sbom, func(t *testing.T) {
			t.Parallel()
			a, q := mustKey(t, tc.sbom), mustKey(t, tc.query)
			if a != q {
				t.Errorf("key of %q = %q, of %q = %q: one package, two keys", tc.sbom, a, tc.query, q)
			}
			m := inventory.NewMemory()
			err := m.Record(t.Context(), inventory.Admission{DecisionID: "d1", Digest: inventorytest.Digest("a"), Time: inventorytest.T0,
				Packages: []inventory.Package{{PURL: tc.sbom}}})
			if err != nil {
				t.Fatal(err)
			}
			res, err := m.Query(t.Context(), inventory.Query{Package: tc.query})
			if err != nil || len(res.Admissions) != 1 {
				t.Fatalf("query %q after recording %q: %+v, %v; want the admission", tc.query, tc.sbom, res, err)
			}
		})
	}
}

// Splitting an encoded '/' must not let an empty segment through, as a
// raw empty segment is refused, and keys written by the split form parse
// again as they are (CanonicalKey is the identity on them).
func TestReview7EncodedSlashRefusalsAndRoundTrip(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"pkg:npm/%2Fcore", "pkg:npm/core%2F", "pkg:golang/a%2F%2Fb", "pkg:maven/%2Flog4j"} {
		if _, err := inventory.ParsePURL(bad); err == nil {
			t.Errorf("ParsePURL(%q) accepted an empty segment", bad)
		}
	}
	for _, s := range []string{"pkg:npm/%40angular%2Fcore", "pkg:golang/github.com/!azure/go-autorest"} {
		u, err := inventory.ParsePURL(s)
		if err != nil {
			t.Fatal(err)
		}
		if k, err := inventory.CanonicalKey(u.Key()); err != nil || k != u.Key() {
			t.Errorf("CanonicalKey(%q) = %q, %v", u.Key(), k, err)
		}
	}
}

func mustKey(t *testing.T, s string) string {
	t.Helper()
	u, err := inventory.ParsePURL(s)
	if err != nil {
		t.Fatalf("ParsePURL(%q): %v", s, err)
	}
	return u.Key()
}

// A golang element that is not a valid case-encoding is kept whole, so
// that the canonical and spelled forms parse again to the same key.
func TestReview7GoCaseEncodingIsAFixedPoint(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"pkg:golang/example.com/%21%21a", "pkg:golang/example.com/a%21", "pkg:golang/example.com/%21A", "pkg:golang/example.com/!a!b"} {
		u, err := inventory.ParsePURL(s)
		if err != nil {
			t.Fatal(err)
		}
		again, err := inventory.ParsePURL(u.String())
		if err != nil || again != u {
			t.Errorf("%q: canonical %q reads back as %+v, %v; want %+v", s, u.String(), again, err, u)
		}
	}
}
