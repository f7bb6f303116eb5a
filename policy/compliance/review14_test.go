package compliance_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/policy/compliance"
	"github.com/ztci/ztci/policy/compliance/compliancetest"
)

// A report Assess accepted could not be written as OSCAL: the title went
// into metadata.title as given, so one that spans lines or ends in a space
// ("release v1\n", an image reference and a job name joined by a caller)
// failed OSCAL's string type, and a decision field that is not UTF-8 (a
// name or signer read from an artifact) failed every prop it reached.
// Both are now written on one line, invalid bytes as U+FFFD; a title with
// nothing printable is refused by Assess.
func TestReview14OSCALOfAnyAcceptedReport(t *testing.T) {
	t.Parallel()
	cat := builtin(t)
	d := deployDecision("evt-\xff", []string{provType}, "deploy.vulnerability")
	d.Name, d.PolicyRevision, d.Evidence[0].Signer = "app\xfe", "rev\xc0", "ci\xff"
	d.Violations[0].Message = "bad \xff"
	for _, title := range []string{"release v1\n", " app \u2028", "a\xffb", "\ufeffx"} {
		r, err := compliance.Assess(cat, title, t0, d)
		if err != nil {
			t.Fatalf("Assess(%q): %v", title, err)
		}
		raw, err := r.OSCAL()
		if err != nil {
			t.Fatalf("OSCAL of the report titled %q: %v", title, err)
		}
		if err := compliancetest.ValidateOSCAL(raw); err != nil {
			t.Fatalf("OSCAL of the report titled %q does not validate: %v", title, err)
		}
		if _, err := compliance.ParseOSCAL(raw); err != nil {
			t.Fatalf("ParseOSCAL of the report titled %q: %v", title, err)
		}
	}
	for _, title := range []string{" ", "\n\t", "\ufeff"} {
		if _, err := compliance.Assess(cat, title, t0, d); !errors.Is(err, compliance.ErrDecision) {
			t.Errorf("Assess(%q) = %v, want ErrDecision", title, err)
		}
	}
}
