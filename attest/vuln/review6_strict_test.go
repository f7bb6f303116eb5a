package vuln_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/vuln"
)

// TestReview6ParseScanCaseVariants: the predicate's member names are the
// in-toto spec's, case-sensitive. encoding/json reads "Result" as result
// and keeps the last of "result" and "Result", so a predicate holding a
// critical finding under "result" and an empty "Result" read as clean to
// ParseScan while any case-sensitive reader sees the finding. A variant
// beside the name, or alone at a position the spec names, is refused.
func TestReview6ParseScanCaseVariants(t *testing.T) {
	t.Parallel()
	const meta = `"metadata":{"scanStartedOn":"2026-01-02T03:04:05Z","scanFinishedOn":"2026-01-02T03:04:05Z"}`
	const crit = `[{"id":"CVE-1","severity":[{"method":"ztci","score":"critical"}]}]`
	stmt := func(p string) string {
		return `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` + strings.Repeat("ab", 32) + `"}}],"predicateType":"` + vuln.PredicateType + `","predicate":` + p + `}`
	}
	for _, tt := range []struct{ name, in string }{
		{"result then Result", `{"scanner":{"uri":"pkg:github/anchore/grype","result":` + crit + `,"Result":[]},` + meta + `}`},
		{"lone Result", `{"scanner":{"uri":"pkg:github/anchore/grype","Result":[]},` + meta + `}`},
		{"lone Scanner", `{"Scanner":{"uri":"pkg:github/anchore/grype","result":[]},` + meta + `}`},
		{"ID beside id", `{"scanner":{"uri":"pkg:github/anchore/grype","result":[{"id":"CVE-1","ID":"CVE-2"}]},` + meta + `}`},
		{"Score", `{"scanner":{"uri":"pkg:github/anchore/grype","result":[{"id":"CVE-1","severity":[{"method":"ztci","Score":"low"}]}]},` + meta + `}`},
		{"ScanFinishedOn", `{"scanner":{"uri":"pkg:github/anchore/grype","result":[]},"metadata":{"ScanFinishedOn":"2026-01-02T03:04:05Z"}}`},
		{"in a statement", stmt(`{"scanner":{"uri":"pkg:github/anchore/grype","result":` + crit + `,"RESULT":[]},` + meta + `}`)},
		{"statement subject pair", strings.Replace(stmt(`{"scanner":{"uri":"pkg:github/anchore/grype","result":[]},`+meta+`}`), `"predicateType"`, `"Subject":[],"predicateType"`, 1)},
		{"lone surrogate", `{"scanner":{"uri":"pkg:github/anchore/grype","version":"\ud800","result":[]},` + meta + `}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := vuln.ParseScan([]byte(tt.in))
			if err == nil {
				t.Fatalf("accepted, read %d findings", len(s.Findings))
			}
		})
	}
}

// TestReview6ReportsCaseVariantPair: scanner reports are read with
// encoding/json's case-insensitive names (Trivy and Grype write them so),
// but two members equal under case folding are the duplicate the package
// promises to refuse: encoding/json keeps the last, jq and other readers
// the exact one.
func TestReview6ReportsCaseVariantPair(t *testing.T) {
	t.Parallel()
	trivy := `{"SchemaVersion":2,"CreatedAt":"2026-01-02T03:04:05Z","Results":[{"Vulnerabilities":[{"VulnerabilityID":"CVE-1","Severity":"CRITICAL"}]}],"results":[]}`
	if s, err := vuln.ParseTrivy([]byte(trivy)); !errors.Is(err, vuln.ErrInvalidReport) {
		t.Errorf("trivy: err = %v (scan %+v), want ErrInvalidReport", err, s)
	}
	grype := `{"matches":[{"vulnerability":{"id":"CVE-1","severity":"Critical"},"artifact":{"name":"a","version":"1"}}],"Matches":[]}`
	if s, err := vuln.ParseGrype([]byte(grype)); !errors.Is(err, vuln.ErrInvalidReport) {
		t.Errorf("grype: err = %v (scan %+v), want ErrInvalidReport", err, s)
	}
	osv := `{"results":[{"packages":[{"package":{"name":"a","version":"1","ecosystem":"Go"},"vulnerabilities":[{"id":"GO-1"}]}]}],"Results":[]}`
	if s, err := vuln.ParseOSVScanner([]byte(osv)); !errors.Is(err, vuln.ErrInvalidReport) {
		t.Errorf("osv-scanner: err = %v (scan %+v), want ErrInvalidReport", err, s)
	}
}
