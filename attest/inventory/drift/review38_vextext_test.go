package drift_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/audit/audittest"
)

// A statement's "@id" and a product's (when it is no package URL) are text
// the document's author chose, which the parser does not restrict. They
// reached the audit event (vex_statement_id) and the report's skips as
// written: a line break forged a line of a text audit log, a
// bidirectional override reordered what an operator reads. Such text is
// now quoted.
func TestReview38VEXTextQuoted(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	seedFleet(t, s, 100)
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec)
	if err != nil {
		t.Fatal(err)
	}
	const hostile = `urn:x\n2026-03-01 forged=line \u001b[2J\u202eevil`
	st := review38Statement(t, review38Step{statement: `{"@id":"` + hostile + `","vulnerability":{"name":"CVE-2026-0001"},"status":"affected","action_statement":"upgrade",
		"products":[{"@id":"urn:example:app","hashes":{"sha-256":"` + hexOf(17) + `"}},{"@id":"` + hostile + `"}]}`})
	rep, err := d.VEX(t.Context(), st, vexSigner, nil, time.Time{})
	if err != nil || len(rep.Changes) != 1 || len(rep.Skipped) != 1 {
		t.Fatalf("VEX: %+v, %v", rep, err)
	}
	clean := func(s string) bool {
		return !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || r == '\u202e' })
	}
	for _, e := range rec.Events() {
		for k, v := range e.Attributes {
			if !clean(v) {
				t.Errorf("attribute %s = %q", k, v)
			}
		}
		if !clean(e.Reason) {
			t.Errorf("reason %q", e.Reason)
		}
	}
	if p := rep.Skipped[0].Package; !clean(p) || !strings.Contains(p, "forged") {
		t.Errorf("skip package %q", p)
	}
}
