package drift_test

import (
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
	"github.com/ztci/ztci/audit/audittest"
)

// An OSV record names a scoped npm package and a Go module as their
// registries do ("@hapi/hoek", "github.com/Azure/go-autorest"); SBOM tools
// also write them with the path in the package URL's name
// ("%40hapi%2Fhoek") or in the module proxy's case-encoding ("!azure").
// Every store finds the artifact either way: one event each.
func TestReview7AdvisoryFindsEverySpellingOfAPath(t *testing.T) {
	t.Parallel()
	record := []byte(`{"id":"GHSA-r7r7-r7r7-r7r7","modified":"2026-03-01T00:00:00Z","affected":[
		{"package":{"ecosystem":"npm","name":"@hapi/hoek"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"8.5.1"}]}]},
		{"package":{"ecosystem":"Go","name":"github.com/Azure/go-autorest"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"15.0.0"}]}]}]}`)
	adv, err := drift.ParseOSV(record)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stores() {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			s := st.open(t)
			for i, p := range []string{"pkg:npm/%40hapi%2Fhoek@8.2.0", "pkg:golang/github.com/!azure/go-autorest@v14.2.0+incompatible"} {
				err := s.Record(t.Context(), inventory.Admission{DecisionID: "d" + string(rune('0'+i)), Digest: inventorytest.Digest(p),
					Time: inventorytest.T0, Packages: []inventory.Package{{PURL: p}}})
				if err != nil {
					t.Fatal(err)
				}
			}
			rec := audittest.NewRecorder()
			d, err := drift.New(s, rec)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := d.Advisory(t.Context(), adv, time.Now())
			if err != nil || len(rep.Changes) != 2 || len(rec.Events()) != 2 {
				t.Fatalf("report %+v, %d events, %v; want both artifacts", rep, len(rec.Events()), err)
			}
		})
	}
}
