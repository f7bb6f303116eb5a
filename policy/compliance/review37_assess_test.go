package compliance_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ztci/ztci/policy/compliance"
)

// Two decisions whose ids differ only in white space or line breaks
// ("evt-1" and "evt-1\n"), or ids and actions that are blank, were
// accepted: the report writes every id on one line, white space
// collapsed, so it named two decisions alike (or not at all) and an
// assessor could not tell which one failed a control or left it not
// assessed. Ids must now stay distinct and not blank as written.
func TestReview37AssessIDsAsWritten(t *testing.T) {
	t.Parallel()
	cat := builtin(t)
	blankAction := deployDecision("d2", nil)
	blankAction.Action = " \t"
	tests := []struct {
		name      string
		decisions []compliance.Decision
	}{
		{"blank id", []compliance.Decision{deployDecision(" ", nil)}},
		{"line break id", []compliance.Decision{deployDecision("\n\u2028", nil)}},
		{"ids equal on one line", []compliance.Decision{deployDecision("evt-1", nil), deployDecision("evt-1\n", nil)}},
		{"ids equal once space collapses", []compliance.Decision{deployDecision("evt 1", nil), deployDecision("evt \t 1", nil)}},
		{"blank action", []compliance.Decision{deployDecision("d1", nil), blankAction}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := compliance.Assess(cat, "release", t0, tc.decisions...); !errors.Is(err, compliance.ErrDecision) {
				t.Fatalf("Assess = %v, want ErrDecision", err)
			}
		})
	}
	// Ids that stay distinct on one line are still accepted.
	if _, err := compliance.Assess(cat, "release", t0, deployDecision("evt-1", nil), deployDecision("evt-1\x1b", nil)); err != nil {
		t.Fatalf("distinct ids: %v", err)
	}
}

// Assess listed each control's evidence by scanning the list for every
// attestation of every decision: quadratic in a release's attestations,
// so a release of a thousand deploy decisions of ten attestations each
// took over ten seconds (four thousand: two minutes), a cost an attacker
// that attaches attestations to artifacts drives up. It is now linear;
// this report (30,000 attestations) took minutes before and takes
// milliseconds now. The evidence is still each distinct attestation once,
// in report order.
func TestReview37AssessManyEvidence(t *testing.T) {
	t.Parallel()
	cat := builtin(t)
	const decisions, each = 3000, 10
	shared := compliance.Evidence{PredicateType: provType, Digest: "sha256:shared", Signer: "https://ci.example/release"}
	ds := make([]compliance.Decision, 0, decisions)
	for i := range decisions {
		d := deployDecision(fmt.Sprint("d", i), nil)
		d.Evidence = []compliance.Evidence{shared}
		for j := range each {
			d.Evidence = append(d.Evidence, compliance.Evidence{PredicateType: provType, Digest: fmt.Sprintf("sha256:%d-%d", i, j)})
		}
		d.Evidence = append(d.Evidence, shared)
		ds = append(ds, d)
	}
	r, err := compliance.Assess(cat, "release", t0, ds...)
	if err != nil {
		t.Fatal(err)
	}
	checked := false
	for _, c := range r.Controls {
		if len(c.Decisions) != decisions {
			continue
		}
		checked = true
		if got, want := len(c.Evidence), 1+decisions*each; got != want {
			t.Fatalf("%s: %d evidence, want %d", c.Control.ID, got, want)
		}
		if c.Evidence[0] != shared || c.Evidence[1].Digest != "sha256:0-0" || c.Evidence[len(c.Evidence)-1].Digest != fmt.Sprintf("sha256:%d-%d", decisions-1, each-1) {
			t.Fatalf("%s: evidence not in report order: %v ... %v", c.Control.ID, c.Evidence[:2], c.Evidence[len(c.Evidence)-1])
		}
	}
	if !checked {
		t.Fatal("no control judged by every decision")
	}
}
