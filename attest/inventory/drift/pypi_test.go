package drift_test

import (
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
	"github.com/ztci/ztci/audit/audittest"
)

// PyPI names are one identity however they are spelt (PEP 503): an
// advisory naming zope.interface finds an SBOM's Zope_Interface, and a
// VEX statement naming zope.interface covers it; a pattern with
// qualifiers still covers nothing the index returns.
func TestPyPISpellingsMatch(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	for _, a := range []inventory.Admission{
		inventorytest.Admission("d-affected", "affected", "pkg:pypi/Zope_Interface@5.4", "pkg:npm/left-pad@1.3.0"),
		inventorytest.Admission("d-fixed", "fixed", "pkg:pypi/zope.interface@5.5"),
	} {
		if err := s.Record(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	for _, pkg := range []string{`"package":{"ecosystem":"PyPI","name":"zope.interface"}`,
		`"package":{"ecosystem":"PyPI","name":"zope-interface","purl":"pkg:pypi/zope--interface"}`} {
		adv, err := drift.ParseOSV(record(`{` + pkg + `,"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.5"}]}]}`))
		if err != nil {
			t.Fatal(err)
		}
		d, err := drift.New(s, audittest.NewRecorder())
		if err != nil {
			t.Fatal(err)
		}
		rep, err := d.Advisory(t.Context(), adv, time.Time{})
		if err != nil || len(rep.Changes) != 1 || rep.Changes[0].Admissions[0].DecisionID != "d-affected" ||
			rep.Changes[0].Packages[0].PURL != "pkg:pypi/zope-interface@5.4" {
			t.Fatalf("advisory on %s: %+v, %v; want d-affected at pkg:pypi/zope-interface@5.4", pkg, rep, err)
		}
		for pattern, want := range map[string]int{"pkg:pypi/zope.interface": 1, "pkg:pypi/ZOPE_interface@5.4": 1,
			"pkg:pypi/zope.interface@5.5": 0, "pkg:pypi/zope.interface?file_name=x.whl": 0, "pkg:pypi/zopeinterface": 0} {
			doc := vexDoc(t, `{"vulnerability":{"name":"TEST-1"},"status":"fixed","products":[{"@id":"`+pattern+`"}]}`)
			d, err := drift.New(s, audittest.NewRecorder())
			if err != nil {
				t.Fatal(err)
			}
			rep, err := d.VEX(t.Context(), doc.Statements[0], vexSigner, adv, time.Time{})
			if err != nil || len(rep.Changes) != want {
				t.Fatalf("VEX fixed for %s: %+v, %v; want %d changes", pattern, rep, err, want)
			}
		}
	}
	// affected, by digest: the subcomponent names the package in another
	// spelling, and the event still lists it.
	doc := vexDoc(t, `{"vulnerability":{"name":"CVE-2026-0002"},"status":"affected","action_statement":"upgrade",
	  "products":[{"@id":"urn:example:app","hashes":{"sha-256":"`+inventorytest.Digest("affected")[len("sha256:"):]+`"},
	    "subcomponents":[{"@id":"pkg:pypi/zope.interface@5.4"}]}]}`)
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := d.VEX(t.Context(), doc.Statements[0], vexSigner, nil, time.Time{})
	if err != nil || len(rep.Changes) != 1 || rec.Events()[0].Attributes["packages"] != "pkg:pypi/zope-interface@5.4" {
		t.Fatalf("affected by digest: %+v, %v, events %+v", rep, err, rec.Events())
	}
}
