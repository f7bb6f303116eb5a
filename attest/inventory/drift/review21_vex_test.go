package drift_test

import (
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/audit/audittest"
)

// TestReview21VEXAffectedListsWhatMayMatch: an affected statement naming
// an image by digest lists, in its drift event, the image's packages its
// subcomponents name. They were compared with the index's as strings
// (1.2.3 is not the indexed v1.2.3) and a pattern with qualifiers named
// nothing, so the event's packages attribute was empty: the operator did
// not see the affected package. It now lists what may match.
func TestReview21VEXAffectedListsWhatMayMatch(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	seedFleet(t, s, fleetSize)
	for _, sub := range []string{
		"pkg:golang/golang.org/x/netx@0.1.0",
		"pkg:golang/golang.org/x/netx@v0.1.0?type=module",
		"pkg:golang/golang.org/X/netx#sub",
	} {
		t.Run(sub, func(t *testing.T) {
			t.Parallel()
			rec := audittest.NewRecorder()
			d, err := drift.New(s, rec)
			if err != nil {
				t.Fatal(err)
			}
			doc := vexDoc(t, `{"vulnerability":{"name":"CVE-2026-0001"},"status":"affected","action_statement":"upgrade",
			  "products":[{"@id":"urn:example:app4","hashes":{"sha-256":"`+hexOf(4)+`"},"subcomponents":[{"@id":"`+sub+`"}]}]}`)
			rep, err := d.VEX(t.Context(), doc.Statements[0], vexSigner, nil, time.Time{})
			if err != nil || len(rep.Changes) != 1 {
				t.Fatalf("affected: %+v, %v", rep, err)
			}
			evs := rec.Events()
			if len(evs) != 1 || evs[0].Attributes["packages"] != "pkg:golang/golang.org/x/netx@v0.1.0" {
				t.Fatalf("events %+v, want one listing pkg:golang/golang.org/x/netx@v0.1.0", evs)
			}
		})
	}
}
