package drift_test

import (
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/audit/audittest"
)

// TestReview32VEXPackageProductWithSubcomponents: a not_affected or fixed
// statement whose product is a package URL with subcomponents is about
// those parts of the package (OpenVEX: the status holds for the product as
// far as the subcomponents go), not about the package as a whole; the
// gate's rules lift only findings on a subcomponent's package for such a
// statement. Drift took the product's package URL as a pattern whatever
// its subcomponents, so "golang.org/x/net is fixed as to its
// example.com/other" lifted every finding on x/net itself. Such a product
// now names nothing for lifting (the index cannot tell which of an
// artifact's packages lie inside it); one without subcomponents still
// covers the package.
func TestReview32VEXPackageProductWithSubcomponents(t *testing.T) {
	t.Parallel()
	adv := parse(t, "GHSA-w32m-9786-jp63.json")
	for _, tc := range []struct {
		name, products string
		want           int
	}{
		{"subcomponent of another package", `[{"@id":"pkg:golang/golang.org/x/net@v0.30.0","subcomponents":[{"@id":"pkg:golang/example.com/other"}]}]`, 0},
		{"subcomponent of another package by identifiers", `[{"identifiers":{"purl":"pkg:golang/golang.org/x/net"},"subcomponents":[{"@id":"pkg:golang/example.com/other@v1.0.0"}]}]`, 0},
		{"subcomponent naming the package itself", `[{"@id":"pkg:golang/example.com/app","subcomponents":[{"@id":"pkg:golang/golang.org/x/net@v0.30.0"}]}]`, 0},
		{"whole package", `[{"@id":"pkg:golang/golang.org/x/net@v0.30.0"}]`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := inventory.NewMemory()
			seedFleet(t, s, fleetSize)
			d, err := drift.New(s, audittest.NewRecorder())
			if err != nil {
				t.Fatal(err)
			}
			doc := vexDoc(t, `{"vulnerability":{"name":"CVE-2024-45338"},"status":"fixed","products":`+tc.products+`}`)
			rep, err := d.VEX(t.Context(), doc.Statements[0], vexSigner, adv, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Changes) != tc.want {
				var got []string
				for _, c := range rep.Changes {
					got = append(got, c.Admissions[0].DecisionID)
				}
				t.Fatalf("compliant again: %v, want %d change(s)", got, tc.want)
			}
		})
	}
}
