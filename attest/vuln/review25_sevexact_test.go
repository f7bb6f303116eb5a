package vuln_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest/vuln"
)

// TestReview25ParseScanExactSeverity: the ztci severity score is a signed
// string other policies read. ParseScan normalised it with ParseSeverity,
// so "CRITICAL " counted as critical for the gate while a policy comparing
// the signed score to "critical" saw no critical finding. A score or method
// not spelt exactly as the writer writes it is refused.
func TestReview25ParseScanExactSeverity(t *testing.T) {
	t.Parallel()
	pred := func(sev string) []byte {
		return []byte(`{"scanner":{"uri":"pkg:github/anchore/grype","result":[{"id":"CVE-1","severity":[` + sev + `]}]},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z"}}`)
	}
	for _, sev := range []string{
		`{"method":"ztci","score":"CRITICAL "}`,
		`{"method":"ztci","score":"Critical"}`,
		`{"method":"ztci","score":" high"}`,
		`{"method":"ztci","score":"moderate"}`,
		`{"method":"ztci","score":"negligible"}`,
		`{"method":"ztci","score":""}`,
		`{"method":"ztci","score":"9.8"}`,
		`{"method":"ZTCI","score":"low"}`,
		`{"method":"ztci ","score":"low"}`,
		`{"method":"ztci","score":"critical"},{"method":"Ztci","score":"low"}`,
	} {
		if s, err := vuln.ParseScan(pred(sev)); !errors.Is(err, vuln.ErrInvalidScan) {
			t.Errorf("%s: got %v, err %v; want ErrInvalidScan", sev, s, err)
		}
	}
	for _, want := range []vuln.Severity{vuln.SeverityCritical, vuln.SeverityHigh, vuln.SeverityMedium, vuln.SeverityLow, vuln.SeverityUnknown} {
		s, err := vuln.ParseScan(pred(`{"method":"nvd","score":"HIGH"},{"method":"ztci","score":"` + string(want) + `"}`))
		if err != nil || s.Findings[0].Severity != want {
			t.Errorf("%s: got %v, err %v", want, s, err)
		}
	}
}

// TestReview25ParsersEmitConstants: the scanner report parsers normalise
// vendor spellings, and what they emit is what ztci signs, so every
// severity they produce is exactly one of the five constants.
func TestReview25ParsersEmitConstants(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"CRITICAL ", "Critical", "\thigh\n", "MODERATE", "Negligible", "", "none", "9.8", "ＣＲＩＴＩＣＡＬ"} {
		if got := vuln.ParseSeverity(in); !exactSeverity(got) {
			t.Errorf("ParseSeverity(%q) = %q", in, got)
		}
	}
	for _, tt := range []struct {
		name  string
		parse func([]byte) (*vuln.Scan, error)
		in    string
	}{
		{"trivy", vuln.ParseTrivy, `{"SchemaVersion":2,"Results":[{"Vulnerabilities":[{"VulnerabilityID":"CVE-1","Severity":"CRITICAL "},{"VulnerabilityID":"CVE-2","Severity":"Moderate"}]}]}`},
		{"grype", vuln.ParseGrype, `{"matches":[{"vulnerability":{"id":"CVE-1","severity":" Negligible"}},{"vulnerability":{"id":"CVE-2","severity":"HIGH"}}],"descriptor":{"name":"grype"}}`},
		{"osv", vuln.ParseOSVScanner, `{"results":[{"packages":[{"package":{"name":"a"},"vulnerabilities":[{"id":"A","database_specific":{"severity":"MODERATE "}},{"id":"B"}],"groups":[{"ids":["A"]},{"ids":["B"],"max_severity":" 9.8 "}]}]}]}`},
	} {
		s, err := tt.parse([]byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		for _, f := range s.Findings {
			if !exactSeverity(f.Severity) {
				t.Errorf("%s: %s has severity %q", tt.name, f.ID, f.Severity)
			}
		}
	}
}

func exactSeverity(s vuln.Severity) bool {
	switch s {
	case vuln.SeverityCritical, vuln.SeverityHigh, vuln.SeverityMedium, vuln.SeverityLow, vuln.SeverityUnknown:
		return true
	}
	return false
}
