package vuln_test

import (
	"testing"

	"github.com/ztci/ztci/attest/vuln"
)

// TestReview20OSVScoreNotADecimalIsUnknown: a max_severity strconv reads
// but that is no CVSS score ("NaN" compares false with every bound and fell
// through to low; "Inf", hexadecimal floats) is unknown, which the deploy
// rules rank above every threshold, never low.
func TestReview20OSVScoreNotADecimalIsUnknown(t *testing.T) {
	t.Parallel()
	for _, score := range []string{"NaN", "nan", "-NaN", "Inf", "+Inf", "infinity", "0x1p3", "0x1.3p3", "9.8e0", "+9.8", "1_0", "9.8.1"} {
		b := `{"results":[{"packages":[{"package":{"name":"a","version":"1","ecosystem":"npm"},` +
			`"vulnerabilities":[{"id":"GHSA-1","database_specific":{"severity":"CRITICAL"}}],` +
			`"groups":[{"ids":["GHSA-1"],"max_severity":"` + score + `"}]}]}]}`
		s, err := vuln.ParseOSVScanner([]byte(b))
		if err != nil {
			t.Fatalf("%q: %v", score, err)
		}
		if got := s.Findings[0].Severity; got != vuln.SeverityUnknown {
			t.Errorf("max_severity %q: severity %q, want unknown", score, got)
		}
	}
}
