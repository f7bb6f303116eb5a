package drift_test

import (
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/audit/audittest"
)

// The contrary statements a Detector remembers are bounded (by the seen
// limit). An "affected" statement naming many artifacts pushed the others
// out, and an older not_affected they blocked then lifted its finding: a
// fleet-wide "affected" about any vulnerability (by a package URL that
// many images hold) unblocked every lift. One naming more than the memory
// holds is remembered as about every artifact instead (it blocks more,
// never less).
func TestReview38VEXMemoryFloodKeepsBlocks(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	seedFleet(t, s, 100)
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec, drift.WithSeenLimit(8), drift.WithClock(func() time.Time { return review38Now }))
	if err != nil {
		t.Fatal(err)
	}
	adv := parse(t, r38GHSA+".json")
	if _, err := d.Advisory(t.Context(), adv, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []review38Step{
		{statement: review38Stmt(17, r38CVE, "affected", r38T3, "")},
		// About 33 images of the fleet, another vulnerability.
		{statement: `{"vulnerability":{"name":"CVE-2099-0001"},"status":"affected","action_statement":"upgrade","timestamp":"` + r38T1 +
			`","products":[{"@id":"pkg:golang/golang.org/x/netx"}]}`},
	} {
		if _, err := d.VEX(t.Context(), review38Statement(t, step), vexSigner, nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := d.VEX(t.Context(), review38Statement(t, review38Step{statement: review38Stmt(17, r38CVE, "not_affected", r38T2, "")}), vexSigner, adv, time.Time{})
	if err != nil || len(rep.Changes) != 0 || rep.Superseded != 1 {
		t.Fatalf("older lift after a flood: %+v, %v; want superseded", rep, err)
	}
}
