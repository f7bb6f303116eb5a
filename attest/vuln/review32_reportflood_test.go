package vuln_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/vuln"
	"github.com/ztci/ztci/internal/strictjson"
)

// TestReview32ReportElementBudget: the scanner report parsers (Trivy,
// Grype, osv-scanner) decoded whatever array a report held before looking
// at an element, and only the predicate reader had an element budget: a
// report of `{},` elements cost encoding/json some 250 bytes per byte
// (a 64 MiB report, within MaxReportSize, allocated 15 GB). Each parser now
// refuses more elements than the report's size allows before decoding,
// with ErrInvalidReport wrapping strictjson.ErrTooManyElements.
func TestReview32ReportElementBudget(t *testing.T) {
	t.Parallel()
	flood := strings.Repeat("{},", 200_000) + "{}"
	for _, tc := range []struct {
		name  string
		parse func([]byte) (*vuln.Scan, error)
		doc   string
	}{
		{"trivy vulnerabilities", vuln.ParseTrivy, `{"SchemaVersion":2,"Results":[{"Vulnerabilities":[` + flood + `]}]}`},
		{"trivy results", vuln.ParseTrivy, `{"SchemaVersion":2,"Results":[` + flood + `]}`},
		{"grype matches", vuln.ParseGrype, `{"descriptor":{"name":"grype"},"matches":[` + flood + `]}`},
		{"grype related", vuln.ParseGrype, `{"descriptor":{"name":"grype"},"matches":[{"vulnerability":{"id":"CVE-1"},"relatedVulnerabilities":[` + flood + `]}]}`},
		{"osv-scanner packages", vuln.ParseOSVScanner, `{"results":[{"packages":[` + flood + `]}]}`},
		{"osv-scanner vulnerabilities", vuln.ParseOSVScanner, `{"results":[{"packages":[{"vulnerabilities":[` + flood + `]}]}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.parse([]byte(tc.doc))
			if !errors.Is(err, strictjson.ErrTooManyElements) || !errors.Is(err, vuln.ErrInvalidReport) {
				t.Fatalf("err %v, want ErrInvalidReport wrapping strictjson.ErrTooManyElements", err)
			}
		})
	}
}
