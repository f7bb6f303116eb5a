package compliance_test

import (
	"testing"

	"github.com/ztci/ztci/policy/compliance"
)

// TestReview28ActionUnmapped: a decision whose action no rule of the
// catalog enforces a control for (a misspelt "Deploy", an action the
// catalog does not map) judged nothing and was unassessed for no control,
// so in a release of two artifacts the other's decision alone made every
// deploy control pass: the report vouched for an artifact nothing
// assessed. Now such a decision is unassessed for every control, and no
// control passes.
func TestReview28ActionUnmapped(t *testing.T) {
	t.Parallel()
	cat := builtin(t)
	for _, tc := range []struct {
		name   string
		action string
	}{
		{"misspelt", "Deploy"},
		{"unknown", "launch.rocket"},
		{"empty-rule action", "vendor.custom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			other := compliance.Decision{ID: "x1", Action: tc.action, Allowed: true, Subject: "sha256:" + "cd"}
			r, err := compliance.Assess(cat, "release v1", t0, deployDecision("d1", []string{provType, scanType, spType}), other)
			if err != nil {
				t.Fatal(err)
			}
			if pass, _, _ := r.Count(); pass != 0 {
				t.Errorf("%d controls pass with decision x1 judged by no rule", pass)
			}
			for _, c := range r.Controls {
				if !contains(c.Unassessed, "x1") {
					t.Errorf("%s: unassessed %v, want x1 among them", c.Control.ID, c.Unassessed)
				}
			}
		})
	}

	// A decision of an action the catalog maps still judges only its own
	// controls.
	r, err := compliance.Assess(cat, "release v1", t0, deployDecision("d1", []string{provType}),
		compliance.Decision{ID: "p1", Action: "pipeline.run", Allowed: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := status(t, r)["SLSA-BUILD-L1.provenance-exists"]; got != compliance.Pass {
		t.Errorf("deploy control with a pipeline decision beside: %s, want pass", got)
	}
}

func contains(s []string, v string) bool {
	for _, e := range s {
		if e == v {
			return true
		}
	}
	return false
}
