package drift_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
	"github.com/ztci/ztci/audit/audittest"
)

// TestReview32VEXStatementReadOnce: applying a not_affected or fixed
// statement read all its products again for every artifact the advisory
// affects, parsing each package URL several times: a statement of
// 100,000 package products took a third of a second per affected artifact,
// so a large vendor statement and a large fleet held drift for hours.
// The statement is now read once per call. Counted in allocations (a
// parse allocates), not time: the cost of the statement must not be paid
// once per affected artifact.
//
// Not parallel: testing.AllocsPerRun refuses to run in parallel tests.
func TestReview32VEXStatementReadOnce(t *testing.T) {
	adv := parse(t, "GHSA-w32m-9786-jp63.json")
	const products = 2000
	var ps []string
	for i := range products {
		ps = append(ps, fmt.Sprintf(`{"@id":"pkg:golang/example.com/m%d@v1.0.%d"}`, i, i))
	}
	doc := vexDoc(t, `{"vulnerability":{"name":"CVE-2024-45338"},"status":"fixed","products":[`+strings.Join(ps, ",")+`]}`)
	allocs := func(artifacts int) float64 {
		s := inventory.NewMemory()
		for i := range artifacts {
			a := inventory.Admission{DecisionID: fmt.Sprintf("d-%d", i), Digest: inventorytest.Digest(fmt.Sprint("artifact ", i)),
				Image: fmt.Sprintf("registry.example/app%d:v1", i), Time: inventorytest.T0,
				Packages: []inventory.Package{{PURL: "pkg:golang/golang.org/x/net@v0.30.0"}}}
			if err := s.Record(t.Context(), a); err != nil {
				t.Fatal(err)
			}
		}
		d, err := drift.New(s, audittest.NewRecorder())
		if err != nil {
			t.Fatal(err)
		}
		return testing.AllocsPerRun(2, func() {
			rep, err := d.VEX(t.Context(), doc.Statements[0], vexSigner, adv, time.Time{})
			if err != nil || len(rep.Changes) != 0 {
				t.Fatalf("VEX: %+v, %v", rep, err)
			}
		})
	}
	one, many := allocs(1), allocs(100)
	t.Logf("allocations: %.0f for 1 affected artifact, %.0f for 100", one, many)
	// 99 more artifacts may cost what reading them costs, not 99 more
	// readings of the statement's 2,000 products.
	if perArtifact := (many - one) / 99; perArtifact > products/4 {
		t.Fatalf("%.0f allocations for 1 affected artifact, %.0f for 100: %.0f per artifact, with a statement of %d products", one, many, perArtifact, products)
	}
}

// TestReview32VEXAffectedProductOnce: an affected statement checked each
// admission a digest product found against every product of the
// statement, a parse of each pkg:oci package URL per admission. It is now
// checked against the product that found it.
//
// Not parallel: testing.AllocsPerRun refuses to run in parallel tests.
func TestReview32VEXAffectedProductOnce(t *testing.T) {
	const products = 2000
	digest := func(i int) string { return inventorytest.Digest(fmt.Sprint("artifact ", i)) }
	var ps []string
	for i := range products {
		ps = append(ps, fmt.Sprintf(`{"@id":"pkg:oci/app%d@%s"}`, i, strings.Replace(digest(i), ":", "%3A", 1)))
	}
	doc := vexDoc(t, `{"vulnerability":{"name":"CVE-2026-0001"},"status":"affected","action_statement":"upgrade","products":[`+strings.Join(ps, ",")+`]}`)
	allocs := func(artifacts int) float64 {
		s := inventory.NewMemory()
		for i := range artifacts {
			a := inventory.Admission{DecisionID: fmt.Sprintf("d-%d", i), Digest: digest(i),
				Image: fmt.Sprintf("registry.example/app%d:v1", i), Time: inventorytest.T0}
			if err := s.Record(t.Context(), a); err != nil {
				t.Fatal(err)
			}
		}
		return testing.AllocsPerRun(2, func() {
			d, err := drift.New(s, audittest.NewRecorder())
			if err != nil {
				t.Fatal(err)
			}
			if rep, err := d.VEX(t.Context(), doc.Statements[0], vexSigner, nil, time.Time{}); err != nil || len(rep.Changes) != artifacts {
				t.Fatalf("VEX: %d changes, %v; want %d", len(rep.Changes), err, artifacts)
			}
		})
	}
	one, many := allocs(1), allocs(100)
	t.Logf("allocations: %.0f for 1 affected artifact, %.0f for 100", one, many)
	if perArtifact := (many - one) / 99; perArtifact > products/4 {
		t.Fatalf("%.0f allocations per affected artifact, with a statement of %d products", perArtifact, products)
	}
}
