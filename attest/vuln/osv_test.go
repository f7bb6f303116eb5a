package vuln_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/vuln"
)

// osv-scanner's real output decodes to the same model as Trivy's and
// Grype's: one finding per alias group and package, the group's other ids
// and the records' aliases as aliases, severity from osv-scanner's CVSS
// score or, without one, the advisory database's label.
func TestParseOSVScannerFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		want []vuln.Finding
	}{
		{
			// The printer's own output: max_severity 8.3 is high whatever
			// the records say.
			name: "max severity",
			file: "osv-scanner-max-severity.json",
			want: []vuln.Finding{{
				ID: "OSV-1", Aliases: []string{"GHSA-123"}, Severity: vuln.SeverityHigh,
				Package: vuln.Package{Name: "mine1", Version: "1.2.3"},
			}},
		},
		{
			name: "database severity",
			file: "osv-scanner-filter-some.json",
			want: []vuln.Finding{
				{ID: "CVE-2024-1013", Severity: vuln.SeverityUnknown, Package: vuln.Package{Name: "unixodbc", Version: "2.3.11-2"}},
				{ID: "CVE-2024-3847", Severity: vuln.SeverityUnknown, Package: vuln.Package{Name: "chromium", Version: "73.0.3683.75-1"}},
				{ID: "GHSA-mc8h-8q98-g5hr", Aliases: []string{"RUSTSEC-2023-0018"}, Severity: vuln.SeverityLow,
					Package: vuln.Package{Name: "remove_dir_all", Version: "0.5.3", PURL: "pkg:cargo/remove_dir_all"}, FixedVersions: []string{"0.8.0"}},
				{ID: "GHSA-wcg3-cvx6-7396", Aliases: []string{"CVE-2020-26235", "RUSTSEC-2020-0071"}, Severity: vuln.SeverityMedium,
					Package:       vuln.Package{Name: "time", Version: "0.1.45", PURL: "pkg:cargo/time"},
					FixedVersions: []string{"0.2.23", "0.2.0", "0.2.1", "0.2.2", "0.2.3", "0.2.4", "0.2.5", "0.2.6"}},
				{ID: "GHSA-fxg5-wq6x-vr4w", Aliases: []string{"CVE-2022-41721", "GO-2023-1495"}, Severity: vuln.SeverityHigh,
					Package:       vuln.Package{Name: "golang.org/x/net", Version: "0.1.0", PURL: "pkg:golang/golang.org/x/net"},
					FixedVersions: []string{"0.1.1-0.20221104162952-702349b0e862"}},
				// No GitHub record in the group, no CVSS: unknown, not low.
				{ID: "GO-2022-1144", Aliases: []string{"CVE-2022-41717", "GHSA-xrjj-mj9h-534m"}, Severity: vuln.SeverityUnknown,
					Package: vuln.Package{Name: "golang.org/x/net", Version: "0.1.0", PURL: "pkg:golang/golang.org/x/net"}, FixedVersions: []string{"0.4.0"}},
				{ID: "GHSA-vvpx-j8f3-3w6h", Aliases: []string{"CVE-2022-41723", "GO-2023-1571"}, Severity: vuln.SeverityHigh,
					Package: vuln.Package{Name: "golang.org/x/net", Version: "0.1.0", PURL: "pkg:golang/golang.org/x/net"}, FixedVersions: []string{"0.7.0"}},
				{ID: "GHSA-mrrw-grhq-86gf", Severity: vuln.SeverityMedium,
					Package: vuln.Package{Name: "ascii", Version: "0.8.7", PURL: "pkg:cargo/ascii"}, FixedVersions: []string{"0.9.3"}},
				{ID: "RUSTSEC-2023-0015", Severity: vuln.SeverityUnknown,
					Package: vuln.Package{Name: "ascii", Version: "0.8.7", PURL: "pkg:cargo/ascii"}, FixedVersions: []string{"0.9.3"}},
				{ID: "GHSA-mc8h-8q98-g5hr", Aliases: []string{"RUSTSEC-2023-0018"}, Severity: vuln.SeverityLow,
					Package: vuln.Package{Name: "remove_dir_all", Version: "0.5.3", PURL: "pkg:cargo/remove_dir_all"}, FixedVersions: []string{"0.8.0"}},
				{ID: "GHSA-wcg3-cvx6-7396", Aliases: []string{"CVE-2020-26235", "RUSTSEC-2020-0071"}, Severity: vuln.SeverityMedium,
					Package:       vuln.Package{Name: "time", Version: "0.1.45", PURL: "pkg:cargo/time"},
					FixedVersions: []string{"0.2.23", "0.2.0", "0.2.1", "0.2.2", "0.2.3", "0.2.4", "0.2.5", "0.2.6"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := vuln.ParseOSVScanner(readFixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			want := vuln.Scanner{Name: "osv-scanner", URI: "pkg:github/google/osv-scanner"}
			if s.Scanner != want || !s.Time.IsZero() {
				t.Errorf("scanner %+v time %v, want %+v and no time (the report has none)", s.Scanner, s.Time, want)
			}
			if !reflect.DeepEqual(s.Findings, tt.want) {
				t.Errorf("findings =\n%#v\nwant\n%#v", s.Findings, tt.want)
			}
		})
	}
}

// osv-scanner's rating of its CVSS score, and the database label only when
// there is no score.
func TestParseOSVScannerSeverity(t *testing.T) {
	t.Parallel()
	report := func(score, label string) string {
		return `{"results":[{"packages":[{"package":{"name":"a","version":"1","ecosystem":"npm"},` +
			`"vulnerabilities":[{"id":"GHSA-1","database_specific":{"severity":"` + label + `"}}],` +
			`"groups":[{"ids":["GHSA-1"],"max_severity":"` + score + `"}]}]}]}`
	}
	tests := []struct {
		name, score, label string
		want               vuln.Severity
	}{
		{"10 is critical", "10.0", "LOW", vuln.SeverityCritical},
		{"9.0 is critical", "9.0", "", vuln.SeverityCritical},
		{"8.9 is high", "8.9", "", vuln.SeverityHigh},
		{"7 is high", "7", "", vuln.SeverityHigh},
		{"6.9 is medium", "6.9", "", vuln.SeverityMedium},
		{"4.0 is medium", "4.0", "", vuln.SeverityMedium},
		{"3.9 is low", "3.9", "", vuln.SeverityLow},
		{"0.1 is low", "0.1", "", vuln.SeverityLow},
		{"0.0 is none, which osv-scanner rates unknown", "0.0", "CRITICAL", vuln.SeverityUnknown},
		{"above 10 is unknown", "10.1", "", vuln.SeverityUnknown},
		{"not a number is unknown", "high", "", vuln.SeverityUnknown},
		{"no score: the GitHub label", "", "MODERATE", vuln.SeverityMedium},
		{"no score, no label", "", "", vuln.SeverityUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := vuln.ParseOSVScanner([]byte(report(tt.score, tt.label)))
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Findings[0].Severity; got != tt.want {
				t.Errorf("severity %q, want %q", got, tt.want)
			}
		})
	}
}

// A record in no group is still a finding; the highest database label of a
// group wins; a package found by commit carries the commit as version.
func TestParseOSVScannerGroups(t *testing.T) {
	t.Parallel()
	s, err := vuln.ParseOSVScanner([]byte(`{"results":[{"packages":[{"package":{"name":"a","commit":"abc123","ecosystem":""},
		"vulnerabilities":[{"id":"GHSA-1","aliases":["CVE-1"],"database_specific":{"severity":"LOW"}},{"id":"GO-1","database_specific":{"severity":"HIGH"}},{"id":"OSV-9","database_specific":{"severity":{"nested":true}}}],
		"groups":[{"ids":["GHSA-1","GO-1"],"aliases":["CVE-1","GHSA-1","GO-1"],"max_severity":""}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []vuln.Finding{
		{ID: "GHSA-1", Aliases: []string{"CVE-1", "GO-1"}, Severity: vuln.SeverityHigh, Package: vuln.Package{Name: "a", Version: "abc123"}},
		{ID: "OSV-9", Severity: vuln.SeverityUnknown, Package: vuln.Package{Name: "a", Version: "abc123"}},
	}
	if !reflect.DeepEqual(s.Findings, want) {
		t.Errorf("findings =\n%#v\nwant\n%#v", s.Findings, want)
	}
}

func TestParseOSVScannerRejects(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in string }{
		{"not an object", `[]`},
		{"empty object is not a clean report", `{}`},
		{"null results", `{"results":null}`},
		{"results wrong type", `{"results":{}}`},
		{"duplicate key", `{"results":[],"results":[]}`},
		{"record without id", `{"results":[{"packages":[{"package":{"name":"a"},"vulnerabilities":[{"id":""}]}]}]}`},
		{"group naming an unknown id", `{"results":[{"packages":[{"package":{"name":"a"},"vulnerabilities":[{"id":"X-1"}],"groups":[{"ids":["X-2"]}]}]}]}`},
		{"group without ids", `{"results":[{"packages":[{"package":{"name":"a"},"vulnerabilities":[{"id":"X-1"}],"groups":[{"ids":[]}]}]}]}`},
		{"groups summarised as a count", `{"results":[{"packages":[{"package":{"name":"a"},"groups":2}]}]}`},
		{"max severity a number", `{"results":[{"packages":[{"package":{"name":"a"},"vulnerabilities":[{"id":"X-1"}],"groups":[{"ids":["X-1"],"max_severity":9.8}]}]}]}`},
		{"trailing data", `{"results":[]} {}`},
		{"too large", `{"results":[],"x":"` + strings.Repeat("a", vuln.MaxReportSize) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := vuln.ParseOSVScanner([]byte(tt.in)); !errors.Is(err, vuln.ErrInvalidReport) {
				t.Fatalf("err = %v, want ErrInvalidReport", err)
			}
		})
	}
}

// Once the caller sets the time it ran the scanner, an osv-scanner scan is
// written and read back like any other.
func TestParseOSVScannerRoundTrip(t *testing.T) {
	t.Parallel()
	s, err := vuln.ParseOSVScanner(readFixture(t, "osv-scanner-filter-some.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vuln.Predicate(*s).PredicateJSON(); !errors.Is(err, vuln.ErrInvalidScan) {
		t.Fatalf("a scan without a time was written: %v", err)
	}
	s.Time = s.Time.AddDate(2026, 11, 4)
	roundTrip(t, s)
}
