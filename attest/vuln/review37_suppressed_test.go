package vuln_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/ztci/ztci/attest/vuln"
)

// TestReview37SuppressedFindings: scanners move a finding out of their
// main list under an ignore rule the scanning job's configuration holds (a
// .grype.yaml or .trivyignore committed to the scanned repository, --vex),
// and the parsers read only the main list, so whoever could commit such a
// file hid a critical finding from the signed scan without any VEX from a
// trusted signer. Suppressed findings are findings.
func TestReview37SuppressedFindings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		parse func([]byte) (*vuln.Scan, error)
		in    string
		want  []string
	}{
		{"grype ignoredMatches", vuln.ParseGrype,
			`{"matches":[{"vulnerability":{"id":"CVE-1","severity":"Low"}}],"ignoredMatches":[{"vulnerability":{"id":"CVE-2","severity":"Critical"},"artifact":{"name":"openssl","version":"3.0.1","purl":"pkg:deb/debian/openssl@3.0.1"},"appliedIgnoreRules":[{"vulnerability":"CVE-2"}]}],"descriptor":{"name":"grype"}}`,
			[]string{"CVE-1", "CVE-2"}},
		{"grype only ignored", vuln.ParseGrype,
			`{"matches":[],"ignoredMatches":[{"vulnerability":{"id":"CVE-2","severity":"Critical"},"appliedIgnoreRules":[{"namespace":"vex"}]}],"descriptor":{"name":"grype"}}`,
			[]string{"CVE-2"}},
		{"trivy ExperimentalModifiedFindings", vuln.ParseTrivy,
			`{"SchemaVersion":2,"Results":[{"Vulnerabilities":[{"VulnerabilityID":"CVE-1","Severity":"LOW"}],"ExperimentalModifiedFindings":[{"Type":"vulnerability","Status":"ignored","Source":".trivyignore","Finding":{"VulnerabilityID":"CVE-2","PkgName":"openssl","InstalledVersion":"3.0.1","Severity":"CRITICAL"}},{"Type":"misconfiguration","Status":"ignored","Finding":{"ID":"DS002","Severity":"HIGH"}}]}]}`,
			[]string{"CVE-1", "CVE-2"}},
		{"trivy only suppressed", vuln.ParseTrivy,
			`{"SchemaVersion":2,"Results":[{"ExperimentalModifiedFindings":[{"Type":"vulnerability","Status":"not_affected","Source":"vex.json","Finding":{"VulnerabilityID":"CVE-2","Severity":"CRITICAL"}}]}]}`,
			[]string{"CVE-2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := tt.parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range s.Findings {
				got = append(got, f.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("findings %v, want %v", got, tt.want)
			}
			last := s.Findings[len(s.Findings)-1]
			if last.Severity != vuln.SeverityCritical {
				t.Fatalf("suppressed finding severity %q, want critical", last.Severity)
			}
		})
	}
}

// TestReview37SuppressedFindingsMalformed: a suppressed vulnerability
// without id is refused as a listed one is, not skipped.
func TestReview37SuppressedFindingsMalformed(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		parse func([]byte) (*vuln.Scan, error)
		in    string
	}{
		{"grype ignored without id", vuln.ParseGrype, `{"matches":[],"ignoredMatches":[{"vulnerability":{"severity":"Critical"}}],"descriptor":{"name":"grype"}}`},
		{"trivy suppressed without id", vuln.ParseTrivy, `{"SchemaVersion":2,"Results":[{"ExperimentalModifiedFindings":[{"Type":"vulnerability","Finding":{"Severity":"CRITICAL"}}]}]}`},
		{"trivy suppressed without finding", vuln.ParseTrivy, `{"SchemaVersion":2,"Results":[{"ExperimentalModifiedFindings":[{"Type":"vulnerability"}]}]}`},
		{"trivy suppressed finding not an object", vuln.ParseTrivy, `{"SchemaVersion":2,"Results":[{"ExperimentalModifiedFindings":[{"Type":"vulnerability","Finding":"CVE-2"}]}]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if s, err := tt.parse([]byte(tt.in)); !errors.Is(err, vuln.ErrInvalidReport) {
				t.Fatalf("got %v, err %v; want ErrInvalidReport", s, err)
			}
		})
	}
}
