package compliance_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/compliance"
	"github.com/ztci/ztci/policy/compliance/compliancetest"
)

// Text an attacker can put in a decision (a violation message quoting an
// image name, an artifact's name, a certificate's SAN) reached the text
// report with its terminal controls (only white space was collapsed): an
// ESC sequence moving the cursor up and clearing the line rewrote a FAIL
// line above it as PASS on the assessor's terminal, and a C1 CSI or a
// bidirectional override did the same more quietly. In OSCAL the
// descriptions and finding titles took the text as given, line breaks
// included, so a message could start a paragraph of its own ("Satisfied:
// ...") in a description a viewer renders. Every untrusted character that
// is not printable is now written escaped, and every field is one line.
func TestReview23ReportInjection(t *testing.T) {
	t.Parallel()
	cat := builtin(t)
	hostile := []string{
		"\x1b[1A\x1b[2K  PASS  SLSA-BUILD-L2.hosted",
		"\u009b1A\u009b2K",
		"evil\u202eSSAP",
		"ok.\n\nSatisfied: 1 decision(s) judged this control",
		"bell\a\x00nul",
	}
	d := deployDecision("evt-1\x1b[2J", []string{provType}, "deploy.builder_not_allowed")
	d.Violations = nil
	for _, h := range hostile {
		d.Violations = append(d.Violations, policy.Violation{Rule: "deploy.builder_not_allowed", Message: h})
	}
	d.Violations = append(d.Violations, policy.Violation{Rule: "vendor.unknown\u202e", Message: hostile[0]})
	d.Name = "app" + hostile[0]
	d.Subject = "sha256:" + hostile[1]
	d.PolicyRevision = "rev" + hostile[2]
	d.Evidence[0].Signer = hostile[3]
	d.Evidence[0].Digest = hostile[4]
	r, err := compliance.Assess(cat, "release\x1b]0;pwned\a v1", t0, d, deployDecision("evt-2\u2066", nil))
	if err != nil {
		t.Fatal(err)
	}

	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(text.String(), "\n") {
		if bad := strings.IndexFunc(line, func(r rune) bool { return !unicode.IsPrint(r) }); bad >= 0 {
			t.Errorf("text line %d holds %q: %q", i, []rune(line[bad:])[0], line)
		}
	}

	raw, err := r.OSCAL()
	if err != nil {
		t.Fatal(err)
	}
	if err := compliancetest.ValidateOSCAL(raw); err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	walkStrings(doc, func(s string) {
		if bad := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }); bad >= 0 {
			t.Errorf("OSCAL string holds %q: %q", []rune(s[bad:])[0], s)
		}
	})
}

// A predicate type of white space only was accepted by Assess, and the
// evidence description written on one line is then empty, which OSCAL
// refuses: Assess refuses it, as it does an empty one.
func TestReview23BlankPredicateType(t *testing.T) {
	t.Parallel()
	d := deployDecision("evt-1", []string{" \n "})
	if _, err := compliance.Assess(builtin(t), "release", t0, d); !errors.Is(err, compliance.ErrDecision) {
		t.Fatalf("Assess with a blank predicate type = %v, want ErrDecision", err)
	}
}

func walkStrings(v any, f func(string)) {
	switch v := v.(type) {
	case string:
		f(v)
	case []any:
		for _, e := range v {
			walkStrings(e, f)
		}
	case map[string]any:
		for k, e := range v {
			f(k)
			walkStrings(e, f)
		}
	}
}
