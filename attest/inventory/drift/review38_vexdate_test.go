package drift_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/attest/vex"
	"github.com/ztci/ztci/audit/audittest"
)

// review38Now is the detectors' clock in these tests.
var review38Now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// review38Step is one VEX statement fed to the Detector: a statement
// (JSON) in a document last updated at docUpdated ("" for none).
type review38Step struct {
	statement, docUpdated string
}

// review38Statement reads step's statement as a caller reads a verified
// document: drift.StatementsOf.
func review38Statement(t *testing.T, step review38Step) vex.Statement {
	t.Helper()
	lu := ""
	if step.docUpdated != "" {
		lu = `"last_updated":"` + step.docUpdated + `",`
	}
	doc, err := vex.Parse([]byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://vex.example/doc-38",
		"author":"Example Security","timestamp":"2026-02-01T00:00:00Z",` + lu + `"version":1,"statements":[` + step.statement + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	return drift.StatementsOf(doc)[0]
}

// review38Stmt is a statement about artifact i of the fleet (by its
// digest) with the given status and dates ("" for none).
func review38Stmt(i int, vuln, status, timestamp, lastUpdated string) string {
	extra := `"action_statement":"upgrade"`
	if status == "not_affected" {
		extra = `"justification":"vulnerable_code_not_in_execute_path"`
	}
	if timestamp != "" {
		extra += `,"timestamp":"` + timestamp + `"`
	}
	if lastUpdated != "" {
		extra += `,"last_updated":"` + lastUpdated + `"`
	}
	return `{"vulnerability":{"name":"` + vuln + `"},"status":"` + status + `",` + extra +
		`,"products":[{"@id":"urn:example:app","hashes":{"sha-256":"` + hexOf(i) + `"}}]}`
}

const (
	r38T1     = "2026-03-01T00:00:00Z"
	r38T2     = "2026-03-02T00:00:00Z"
	r38T3     = "2026-03-03T00:00:00Z"
	r38Future = "2026-06-01T01:00:00Z" // an hour after review38Now
	r38CVE    = "CVE-2024-45338"
	r38GHSA   = "GHSA-w32m-9786-jp63"
)

// A not_affected or fixed statement lifts a finding only when every
// contrary statement (affected, under_investigation) this Detector applied
// about the artifact and the vulnerability is older by both its timestamp
// and its last change (the later of timestamp and last_updated, its own
// or its document's), as the deploy policy's older(t, s) decides: ties go
// to the contrary statement, and a date in the future is no date (a
// contrary one blocks, a lifting one lifts nothing). Before, drift applied
// each statement on its own: a not_affected fed after an "affected"
// re-confirmed later by last_updated, or after a newer one, made the
// artifact "compliant again" where the gate denies it.
func TestReview38VEXDateLiftOrder(t *testing.T) {
	t.Parallel()
	lift := review38Step{statement: review38Stmt(17, r38CVE, "not_affected", r38T2, "")}
	for _, tc := range []struct {
		name    string
		before  []review38Step
		lift    review38Step
		lifted  bool
		wantErr error
	}{
		{name: "older contrary by both dates", before: []review38Step{{statement: review38Stmt(17, r38CVE, "affected", r38T1, "")}}, lift: lift, lifted: true},
		{name: "no contrary", lift: lift, lifted: true},
		{name: "contrary about another artifact", before: []review38Step{{statement: review38Stmt(512, r38CVE, "affected", r38T3, "")}}, lift: lift, lifted: true},
		{name: "affected re-confirmed by last_updated", before: []review38Step{{statement: review38Stmt(17, r38CVE, "affected", r38T1, r38T3)}}, lift: lift},
		{name: "affected re-confirmed by the document's last_updated", before: []review38Step{{statement: review38Stmt(17, r38CVE, "affected", r38T1, ""), docUpdated: r38T3}}, lift: lift},
		{name: "newer affected", before: []review38Step{{statement: review38Stmt(17, r38CVE, "affected", r38T3, "")}}, lift: lift},
		{name: "tie by timestamp", before: []review38Step{{statement: review38Stmt(17, r38CVE, "affected", r38T2, "")}}, lift: lift},
		{name: "tie by last change", before: []review38Step{{statement: review38Stmt(17, r38CVE, "affected", r38T1, r38T3)}},
			lift: review38Step{statement: review38Stmt(17, r38CVE, "not_affected", r38T2, r38T3)}},
		{name: "lift re-confirmed later does not beat a later timestamp", before: []review38Step{{statement: review38Stmt(17, r38CVE, "affected", r38T2, "")}},
			lift: review38Step{statement: review38Stmt(17, r38CVE, "not_affected", r38T1, r38T3)}},
		{name: "contrary dated in the future", before: []review38Step{{statement: review38Stmt(17, r38CVE, "affected", r38T1, r38Future)}}, lift: lift},
		{name: "newer under_investigation", before: []review38Step{{statement: review38Stmt(17, r38CVE, "under_investigation", r38T3, "")}}, lift: lift},
		{name: "newer affected about the advisory's id", before: []review38Step{{statement: review38Stmt(17, r38GHSA, "affected", r38T3, "")}}, lift: lift},
		{name: "newer affected about an image the index cannot search", before: []review38Step{{statement: `{"vulnerability":{"name":"` + r38CVE +
			`"},"status":"affected","action_statement":"upgrade","timestamp":"` + r38T3 + `","products":[{"@id":"pkg:oci/app17?repository_url=registry.example/app17"}]}`}}, lift: lift},
		{name: "lift dated in the future", lift: review38Step{statement: review38Stmt(17, r38CVE, "not_affected", r38Future, "")}, wantErr: drift.ErrVEXDate},
		{name: "lift last updated in the future", lift: review38Step{statement: review38Stmt(17, r38CVE, "not_affected", r38T2, r38Future)}, wantErr: drift.ErrVEXDate},
		{name: "lift last updated in the document's future", lift: review38Step{statement: review38Stmt(17, r38CVE, "not_affected", r38T2, ""), docUpdated: r38Future}, wantErr: drift.ErrVEXDate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := inventory.NewMemory()
			seedFleet(t, s, 100)
			rec := audittest.NewRecorder()
			d, err := drift.New(s, rec, drift.WithClock(func() time.Time { return review38Now }))
			if err != nil {
				t.Fatal(err)
			}
			adv := parse(t, r38GHSA+".json")
			if _, err := d.Advisory(t.Context(), adv, time.Time{}); err != nil {
				t.Fatal(err)
			}
			for _, step := range tc.before {
				if _, err := d.VEX(t.Context(), review38Statement(t, step), vexSigner, nil, time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := d.VEX(t.Context(), review38Statement(t, tc.lift), vexSigner, adv, time.Time{})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			lifted := false
			for _, e := range rec.Events() {
				lifted = lifted || e.Action == drift.ActionCompliantAgain
			}
			if lifted != tc.lifted || len(rep.Changes) > 0 != tc.lifted {
				t.Fatalf("lifted = %v (report %+v), want %v", lifted, rep, tc.lifted)
			}
			if tc.wantErr == nil && !tc.lifted && rep.Superseded != 1 {
				t.Fatalf("superseded = %d, want 1", rep.Superseded)
			}
		})
	}
}

// An "affected" re-confirmed (a later last_updated) after a not_affected
// lifted the finding re-opens it: another drift event, as the gate now
// denies. Before, its event id was that of its first version, already
// reported, and nothing was written; a replay of the same statement is
// still one event.
func TestReview38VEXDateReconfirmedAffectedReopens(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	seedFleet(t, s, 100)
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec, drift.WithClock(func() time.Time { return review38Now }))
	if err != nil {
		t.Fatal(err)
	}
	adv := parse(t, r38GHSA+".json")
	if _, err := d.Advisory(t.Context(), adv, time.Time{}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		step    review38Step
		adv     *drift.Advisory
		changes int
	}{
		{review38Step{statement: review38Stmt(17, r38CVE, "affected", r38T1, "")}, nil, 1},
		{review38Step{statement: review38Stmt(17, r38CVE, "not_affected", r38T2, "")}, adv, 1},
		{review38Step{statement: review38Stmt(17, r38CVE, "affected", r38T1, r38T3)}, nil, 1},
		{review38Step{statement: review38Stmt(17, r38CVE, "affected", r38T1, r38T3)}, nil, 0},  // replay
		{review38Step{statement: review38Stmt(17, r38CVE, "not_affected", r38T2, "")}, adv, 0}, // replay of the old lift
	}
	for i, st := range steps {
		rep, err := d.VEX(t.Context(), review38Statement(t, st.step), vexSigner, st.adv, time.Time{})
		if err != nil || len(rep.Changes) != st.changes {
			t.Fatalf("step %d: %+v, %v; want %d changes", i, rep, err, st.changes)
		}
	}
	last := rec.Events()[len(rec.Events())-1]
	if last.Action != drift.ActionVEXAffected || last.Attributes["vex_last_updated"] != r38T3 || !strings.HasPrefix(last.ID, "drift-") {
		t.Fatalf("last event %+v", last)
	}
}
