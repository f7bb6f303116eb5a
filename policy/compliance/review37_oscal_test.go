package compliance_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy/compliance"
	"github.com/ztci/ztci/policy/compliance/compliancetest"
)

// ParseOSCAL, the strict reader of the reports this package writes,
// accepted a finding whose target status said "satisfied" while its own
// assessment-status prop said "fail" or "not-assessed", one satisfied
// with reason "fail" or "other", a satisfied one with no related
// observation (no decision behind it) and one without a status prop: a
// report altered (or made up) to show a failed or unassessed control as
// met read as a valid ztci report. Every finding must now say one thing,
// as Report.OSCAL writes it.
func TestReview37ParseOSCALFindingStatus(t *testing.T) {
	t.Parallel()
	r, err := compliance.Assess(builtin(t), "app", t0,
		deployDecision("evt-1", []string{provType}, "deploy.signer_not_allowed"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := r.OSCAL()
	if err != nil {
		t.Fatal(err)
	}
	// The index of the first finding with each status.
	good, err := compliance.ParseOSCAL(raw)
	if err != nil {
		t.Fatal(err)
	}
	byReason := map[string]int{}
	for i, f := range good.AssessmentResults.Results[0].Findings {
		if _, ok := byReason[f.Target.Status.Reason]; !ok {
			byReason[f.Target.Status.Reason] = i
		}
	}
	for _, reason := range []string{"pass", "fail", "other"} {
		if _, ok := byReason[reason]; !ok {
			t.Fatalf("the report has no finding of reason %q", reason)
		}
	}
	satisfied := compliance.ObjectiveStatus{State: "satisfied", Reason: "pass"}
	tests := []struct {
		name   string
		reason string // the finding altered
		edit   func(*compliance.Finding)
	}{
		{"failed control shown satisfied", "fail", func(f *compliance.Finding) { f.Target.Status = satisfied }},
		{"unassessed control shown satisfied", "other", func(f *compliance.Finding) { f.Target.Status = satisfied }},
		{"satisfied for reason fail", "fail", func(f *compliance.Finding) { f.Target.Status.State = "satisfied" }},
		{"satisfied for reason other", "other", func(f *compliance.Finding) { f.Target.Status.State = "satisfied" }},
		{"satisfied without a reason", "pass", func(f *compliance.Finding) { f.Target.Status.Reason = "" }},
		{"not satisfied for reason pass", "pass", func(f *compliance.Finding) { f.Target.Status.State = "not-satisfied" }},
		{"satisfied without decisions", "pass", func(f *compliance.Finding) { f.RelatedObservations = nil }},
		{"no status prop", "pass", func(f *compliance.Finding) { f.Props = props(f.Props, compliance.PropStatus, nil) }},
		{"status prop says fail", "pass", func(f *compliance.Finding) { f.Props = props(f.Props, compliance.PropStatus, []string{"fail"}) }},
		{"two status props", "pass", func(f *compliance.Finding) { f.Props = props(f.Props, compliance.PropStatus, []string{"pass", "fail"}) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := compliance.ParseOSCAL(raw)
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(&doc.AssessmentResults.Results[0].Findings[byReason[tc.reason]])
			if err := doc.Validate(); !errors.Is(err, compliance.ErrOSCAL) {
				t.Fatalf("Validate = %v, want ErrOSCAL", err)
			}
			b, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := compliance.ParseOSCAL(b); !errors.Is(err, compliance.ErrOSCAL) {
				t.Fatalf("ParseOSCAL = %v, want ErrOSCAL", err)
			}
		})
	}
}

// props returns ps without the PropNS props named name, then with one of
// that name for each of values.
func props(ps []compliance.Property, name string, values []string) []compliance.Property {
	var out []compliance.Property
	for _, p := range ps {
		if p.Name != name || p.NS != compliance.PropNS {
			out = append(out, p)
		}
	}
	for _, v := range values {
		out = append(out, compliance.Property{Name: name, Value: v, NS: compliance.PropNS})
	}
	return out
}

// The document's UUIDs were derived from its title and generation time
// (and each observation's and finding's from the decision or control id)
// only, so two reports of one title and time that said different things
// (a control failed in one and passed in the other, another decision
// behind it) shared the document UUID and every observation and finding
// UUID: OSCAL tooling that keys documents, findings or observations by
// UUID (as OSCAL asks it may) took the failing report for the passing one
// it had already seen. UUIDs now also name the content; the same report
// still writes the same bytes.
func TestReview37OSCALUUIDsNameContent(t *testing.T) {
	t.Parallel()
	cat := builtin(t)
	uuids := func(ds ...compliance.Decision) (map[string]bool, []byte) {
		t.Helper()
		r, err := compliance.Assess(cat, "release v1", t0, ds...)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := r.OSCAL()
		if err != nil {
			t.Fatal(err)
		}
		again, err := r.OSCAL()
		if err != nil || string(again) != string(raw) {
			t.Fatalf("not deterministic: %v", err)
		}
		doc, err := compliance.ParseOSCAL(raw)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{doc.AssessmentResults.UUID: true}
		for _, res := range doc.AssessmentResults.Results {
			out[res.UUID] = true
			for _, o := range res.Observations {
				out[o.UUID] = true
			}
			for _, f := range res.Findings {
				out[f.UUID] = true
			}
		}
		return out, raw
	}
	pass, _ := uuids(deployDecision("evt-1", []string{provType}))
	for name, ds := range map[string][]compliance.Decision{
		"the decision failed":        {deployDecision("evt-1", []string{provType}, "deploy.signer_not_allowed")},
		"other evidence":             {deployDecision("evt-1", []string{provType, scanType})},
		"another decision beside it": {deployDecision("evt-1", []string{provType}), deployDecision("evt-2", nil)},
		"the same decision, denied": {func() compliance.Decision {
			d := deployDecision("evt-1", []string{provType})
			d.Allowed = false
			return d
		}()},
	} {
		other, _ := uuids(ds...)
		for u := range other {
			if pass[u] {
				t.Errorf("%s: UUID %s is also one of the passing report's", name, u)
			}
		}
	}
}

// ParseOSCAL read date-times as time.Parse does, which takes forms NIST's
// schema refuses (a comma before the fraction, an offset no time zone
// has): it accepted documents that are not valid OSCAL, though it
// promises to read only what the schema accepts.
func TestReview37ParseOSCALDateTime(t *testing.T) {
	t.Parallel()
	r, err := compliance.Assess(builtin(t), "app", t0, deployDecision("evt-1", []string{provType}))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := r.OSCAL()
	if err != nil {
		t.Fatal(err)
	}
	const at = `"last-modified":"2026-03-01T12:00:00Z"`
	if !strings.Contains(string(raw), at) {
		t.Fatalf("no %s in %s", at, raw)
	}
	for _, tc := range []struct {
		value string
		ok    bool
	}{
		{"2026-03-01T12:00:00.5+05:30", true},
		{"2026-03-01T12:00:00,5Z", false},
		{"2026-03-01T12:00:00+05:17", false},
		{"2026-03-01T12:00:00-13:00", false},
	} {
		doc := strings.Replace(string(raw), at, `"last-modified":"`+tc.value+`"`, 1)
		_, err := compliance.ParseOSCAL([]byte(doc))
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, compliance.ErrOSCAL)) {
			t.Errorf("%s: %v, want ok=%v", tc.value, err, tc.ok)
		}
		if schemaErr := compliancetest.ValidateOSCAL([]byte(doc)); (schemaErr == nil) != tc.ok {
			t.Errorf("%s: the schema says %v, want ok=%v", tc.value, schemaErr, tc.ok)
		}
	}
}
