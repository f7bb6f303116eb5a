package vuln_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vuln"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Both scanners' real output decodes to the same model: the same fields
// carry the same meaning (primary id, normalised severity, installed package
// with version and purl, fixing versions).
func TestFixturesDecodeToSameModel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		file    string
		parse   func([]byte) (*vuln.Scan, error)
		scanner vuln.Scanner
		time    time.Time
		want    []vuln.Finding
	}{
		{
			name:    "trivy",
			file:    "trivy-alpine-39-high-critical.json",
			parse:   vuln.ParseTrivy,
			scanner: vuln.Scanner{Name: "trivy", Version: "dev", URI: "pkg:github/aquasecurity/trivy"},
			time:    time.Date(2021, 8, 25, 12, 20, 30, 5, time.UTC),
			want: []vuln.Finding{
				{
					ID:            "CVE-2019-14697",
					Severity:      vuln.SeverityCritical,
					Package:       vuln.Package{Name: "musl", Version: "1.1.20-r4", PURL: "pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64&distro=3.9.4"},
					FixedVersions: []string{"1.1.20-r5"},
				},
				{
					ID:            "CVE-2019-14697",
					Severity:      vuln.SeverityCritical,
					Package:       vuln.Package{Name: "musl-utils", Version: "1.1.20-r4", PURL: "pkg:apk/alpine/musl-utils@1.1.20-r4?arch=x86_64&distro=3.9.4"},
					FixedVersions: []string{"1.1.20-r5"},
				},
			},
		},
		{
			name:    "grype",
			file:    "grype-image.json",
			parse:   vuln.ParseGrype,
			scanner: vuln.Scanner{Name: "grype", Version: "[not provided]", URI: "pkg:github/anchore/grype"},
			// Grype's snapshot redacts the timestamp.
			want: []vuln.Finding{
				{
					ID:            "CVE-1999-0001",
					Severity:      vuln.SeverityLow,
					Package:       vuln.Package{Name: "package-1", Version: "1.1.1"},
					FixedVersions: []string{"1.2.1", "2.1.3", "3.4.0"},
				},
				{
					ID:       "CVE-1999-0002",
					Severity: vuln.SeverityCritical,
					Package:  vuln.Package{Name: "package-2", Version: "2.2.2", PURL: "pkg:deb/package-2@2.2.2"},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := tt.parse(readFixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if s.Scanner != tt.scanner {
				t.Errorf("scanner = %+v, want %+v", s.Scanner, tt.scanner)
			}
			if !s.Time.Equal(tt.time) {
				t.Errorf("time = %v, want %v", s.Time, tt.time)
			}
			if !reflect.DeepEqual(s.Findings, tt.want) {
				t.Errorf("findings =\n%#v\nwant\n%#v", s.Findings, tt.want)
			}
		})
	}
}

func TestParseSeverity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     vuln.Severity
	}{
		{"trivy critical", "CRITICAL", vuln.SeverityCritical},
		{"grype high", "High", vuln.SeverityHigh},
		{"medium", "MEDIUM", vuln.SeverityMedium},
		{"github moderate", "moderate", vuln.SeverityMedium},
		{"low", "Low", vuln.SeverityLow},
		{"grype negligible", "Negligible", vuln.SeverityLow},
		{"trivy unknown", "UNKNOWN", vuln.SeverityUnknown},
		{"empty", "", vuln.SeverityUnknown},
		{"cvss none is not low", "None", vuln.SeverityUnknown},
		{"space", " high ", vuln.SeverityHigh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := vuln.ParseSeverity(tt.in); got != tt.want {
				t.Errorf("ParseSeverity(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseTrivyRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
	}{
		{"not an object", `"x"`},
		{"old array format", `[{"Target":"x","Vulnerabilities":[]}]`},
		{"no schema version", `{"Results":[]}`},
		{"schema version 1", `{"SchemaVersion":1}`},
		{"duplicate key", `{"SchemaVersion":2,"SchemaVersion":2}`},
		{"severity wrong type", `{"SchemaVersion":2,"Results":[{"Vulnerabilities":[{"VulnerabilityID":"CVE-1","Severity":4}]}]}`},
		{"results wrong type", `{"SchemaVersion":2,"Results":{}}`},
		{"empty id", `{"SchemaVersion":2,"Results":[{"Vulnerabilities":[{"VulnerabilityID":" ","Severity":"HIGH"}]}]}`},
		{"created at number", `{"SchemaVersion":2,"CreatedAt":1}`},
		{"created at not rfc3339", `{"SchemaVersion":2,"CreatedAt":"yesterday"}`},
		{"trailing data", `{"SchemaVersion":2} {}`},
		{"too large", `{"SchemaVersion":2,"x":"` + strings.Repeat("a", vuln.MaxReportSize) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := vuln.ParseTrivy([]byte(tt.in)); !errors.Is(err, vuln.ErrInvalidReport) {
				t.Errorf("err = %v, want ErrInvalidReport", err)
			}
		})
	}
}

func TestParseGrypeRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
	}{
		{"empty object is not a clean report", `{}`},
		{"no matches", `{"descriptor":{"name":"grype"}}`},
		{"null matches", `{"matches":null,"descriptor":{"name":"grype"}}`},
		{"another tool", `{"matches":[],"descriptor":{"name":"syft"}}`},
		{"matches wrong type", `{"matches":{},"descriptor":{"name":"grype"}}`},
		{"empty id", `{"matches":[{"vulnerability":{"id":""}}],"descriptor":{"name":"grype"}}`},
		{"fix versions wrong type", `{"matches":[{"vulnerability":{"id":"CVE-1","fix":{"versions":"1.0"}}}],"descriptor":{"name":"grype"}}`},
		{"duplicate key", `{"matches":[],"matches":[],"descriptor":{"name":"grype"}}`},
		{"bad timestamp", `{"matches":[],"descriptor":{"name":"grype","timestamp":"now"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := vuln.ParseGrype([]byte(tt.in)); !errors.Is(err, vuln.ErrInvalidReport) {
				t.Errorf("err = %v, want ErrInvalidReport", err)
			}
		})
	}
}

func TestParseGrypeNoFindings(t *testing.T) {
	t.Parallel()
	s, err := vuln.ParseGrype([]byte(`{"matches":[],"descriptor":{"name":"grype","version":"0.80.0","timestamp":"2024-05-01T10:00:00.5+02:00"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Findings) != 0 || !s.Time.Equal(time.Date(2024, 5, 1, 8, 0, 0, 5e8, time.UTC)) || s.Time.Location() != time.UTC {
		t.Errorf("scan = %+v", s)
	}
}

var subject = attest.ResourceDescriptor{
	Name:   "registry.example/app",
	Digest: attest.DigestSet{"sha256": strings.Repeat("ab", 32)},
}

// A Scan written as a predicate, put in a Statement, encoded and read back
// is the same Scan; so is the bare predicate.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	trivy, err := vuln.ParseTrivy(readFixture(t, "trivy-alpine-39-high-critical.json"))
	if err != nil {
		t.Fatal(err)
	}
	grype, err := vuln.ParseGrype(readFixture(t, "grype-image.json"))
	if err != nil {
		t.Fatal(err)
	}
	grype.Time = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	withAliases := vuln.Scan{
		Scanner: vuln.Scanner{Name: "trivy", Version: "0.50.0", URI: "pkg:github/aquasecurity/trivy@v0.50.0"},
		Time:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)).UTC(),
		Findings: []vuln.Finding{{
			ID: "GHSA-xxxx", Aliases: []string{"CVE-2024-1", "GO-2024-2"}, Severity: vuln.SeverityHigh,
			Package:       vuln.Package{Name: "golang.org/x/net", Version: "v0.20.0", PURL: "pkg:golang/golang.org/x/net@v0.20.0"},
			FixedVersions: []string{"0.23.0", "0.33.0"},
		}},
	}
	empty := vuln.Scan{Scanner: grype.Scanner, Time: grype.Time}
	for _, tt := range []struct {
		name string
		scan vuln.Scan
	}{{"trivy", *trivy}, {"grype", *grype}, {"aliases", withAliases}, {"no findings", empty}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, err := attest.NewStatement([]attest.ResourceDescriptor{subject}, vuln.Predicate(tt.scan))
			if err != nil {
				t.Fatal(err)
			}
			if st.PredicateType != vuln.PredicateType {
				t.Errorf("predicateType = %q", st.PredicateType)
			}
			stmt, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			for name, in := range map[string][]byte{"statement": stmt, "predicate": st.Predicate} {
				got, err := vuln.ParseScan(in)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if !reflect.DeepEqual(*got, tt.scan) {
					t.Errorf("%s: round trip\n got %#v\nwant %#v", name, *got, tt.scan)
				}
			}
		})
	}
}

// The predicate's JSON uses the spec's field names.
func TestPredicateJSONShape(t *testing.T) {
	t.Parallel()
	raw, err := vuln.Predicate(vuln.Scan{
		Scanner:  vuln.Scanner{Name: "grype", Version: "0.80.0", URI: "pkg:github/anchore/grype"},
		Time:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Findings: []vuln.Finding{{ID: "CVE-1", Severity: vuln.SeverityLow, Package: vuln.Package{PURL: "pkg:deb/a@1"}}},
	}).PredicateJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"scanner":{"uri":"pkg:github/anchore/grype","version":"0.80.0","result":[{"id":"CVE-1","severity":[{"method":"ztci","score":"low"}],"annotations":[{"package.purl":"pkg:deb/a@1"}]}]},"metadata":{"scanStartedOn":"2026-01-02T03:04:05Z","scanFinishedOn":"2026-01-02T03:04:05Z"}}`
	if string(raw) != want {
		t.Errorf("predicate =\n%s\nwant\n%s", raw, want)
	}
}

func TestPredicateRejects(t *testing.T) {
	t.Parallel()
	ok := vuln.Scan{
		Scanner:  vuln.Scanner{Name: "trivy", URI: "pkg:github/aquasecurity/trivy"},
		Time:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Findings: []vuln.Finding{{ID: "CVE-1", Severity: vuln.SeverityHigh}},
	}
	tests := []struct {
		name   string
		change func(*vuln.Scan)
	}{
		{"zero time", func(s *vuln.Scan) { s.Time = time.Time{} }},
		{"year 10000", func(s *vuln.Scan) { s.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"no scanner name", func(s *vuln.Scan) { s.Scanner.Name = "" }},
		{"no scanner uri", func(s *vuln.Scan) { s.Scanner.URI = "" }},
		{"uri names another scanner", func(s *vuln.Scan) { s.Scanner.URI = "pkg:github/anchore/grype" }},
		{"finding without id", func(s *vuln.Scan) { s.Findings = []vuln.Finding{{Severity: vuln.SeverityLow}} }},
		{"zero severity", func(s *vuln.Scan) { s.Findings = []vuln.Finding{{ID: "CVE-1"}} }},
		{"unnormalised severity", func(s *vuln.Scan) { s.Findings = []vuln.Finding{{ID: "CVE-1", Severity: "HIGH"}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := ok
			s.Findings = append([]vuln.Finding(nil), ok.Findings...)
			tt.change(&s)
			_, err := vuln.Predicate(s).PredicateJSON()
			if !errors.Is(err, vuln.ErrInvalidScan) || !errors.Is(err, attest.ErrInvalidPredicate) {
				t.Errorf("err = %v, want ErrInvalidScan ⊂ attest.ErrInvalidPredicate", err)
			}
			if _, err := attest.NewStatement([]attest.ResourceDescriptor{subject}, vuln.Predicate(s)); !errors.Is(err, vuln.ErrInvalidScan) {
				t.Errorf("NewStatement err = %v, want ErrInvalidScan", err)
			}
		})
	}
}

func TestParseScanRejects(t *testing.T) {
	t.Parallel()
	const meta = `"metadata":{"scanStartedOn":"2026-01-02T03:04:05Z","scanFinishedOn":"2026-01-02T03:04:05Z"}`
	pred := func(result string) string {
		return `{"scanner":{"uri":"pkg:github/anchore/grype","result":` + result + `},` + meta + `}`
	}
	stmt := func(typ, p string) string {
		return `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` + strings.Repeat("ab", 32) + `"}}],"predicateType":"` + typ + `","predicate":` + p + `}`
	}
	tests := []struct {
		name, in string
		want     error
	}{
		{"not an object", `[]`, vuln.ErrInvalidScan},
		{"duplicate key", `{"scanner":{},"scanner":{}}`, vuln.ErrInvalidScan},
		{"wrong predicate type", stmt("https://slsa.dev/provenance/v1", pred(`[]`)), vuln.ErrPredicateType},
		{"statement without subject", `{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"` + vuln.PredicateType + `","predicate":` + pred(`[]`) + `}`, attest.ErrInvalidStatement},
		{"no result is not a clean scan", `{"scanner":{"uri":"pkg:github/anchore/grype"},` + meta + `}`, vuln.ErrInvalidScan},
		{"null result", pred(`null`), vuln.ErrInvalidScan},
		{"no uri", `{"scanner":{"result":[]},` + meta + `}`, vuln.ErrInvalidScan},
		{"no finish time", `{"scanner":{"uri":"pkg:github/anchore/grype","result":[]}}`, vuln.ErrInvalidScan},
		{"zero finish time", `{"scanner":{"uri":"x","result":[]},"metadata":{"scanFinishedOn":"0001-01-01T00:00:00Z"}}`, vuln.ErrInvalidScan},
		{"time before year 0 in UTC", `{"scanner":{"uri":"x","result":[]},"metadata":{"scanFinishedOn":"0000-01-01T00:00:00+01:00"}}`, vuln.ErrInvalidScan},
		{"result without id", pred(`[{"severity":[]}]`), vuln.ErrInvalidScan},
		{"severity wrong type", pred(`[{"id":"CVE-1","severity":"high"}]`), vuln.ErrInvalidScan},
		{"annotation with two keys", pred(`[{"id":"CVE-1","annotations":[{"package.name":"a","package.version":"1"}]}]`), vuln.ErrInvalidScan},
		{"annotation value not a string", pred(`[{"id":"CVE-1","annotations":[{"package.purl":1}]}]`), vuln.ErrInvalidScan},
		{"ztci severity twice", pred(`[{"id":"CVE-1","severity":[{"method":"ztci","score":"low"},{"method":"ztci","score":"critical"}]}]`), vuln.ErrInvalidScan},
		{"package purl twice", pred(`[{"id":"CVE-1","annotations":[{"package.purl":"pkg:deb/a@1"},{"package.purl":"pkg:deb/b@1"}]}]`), vuln.ErrInvalidScan},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := vuln.ParseScan([]byte(tt.in)); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// A third-party predicate: extra fields (the spec example's invocation, a
// db, other severity methods, foreign annotations) are ignored; a result
// without a ztci severity is unknown, never low.
func TestParseScanThirdParty(t *testing.T) {
	t.Parallel()
	in := `{"invocation":{"uri":"https://ci.example/run/1"},"scanner":{"uri":"pkg:github/aquasecurity/trivy@244fd47e07d1004f0aed9","version":"0.19.2","db":{"lastUpdate":"2021-08-06T17:45:50.52Z"},"result":[{"id":"CVE-123","severity":[{"method":"nvd","score":"low"},{"method":"cvss_score","score":"5.2"}],"annotations":[{"vendor":"x"}]}]},"metadata":{"scanStartedOn":"2021-08-06T17:45:50.52Z","scanFinishedOn":"2021-08-06T17:50:50.52Z"}}`
	s, err := vuln.ParseScan([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := vuln.Scan{
		Scanner:  vuln.Scanner{Name: "trivy", Version: "0.19.2", URI: "pkg:github/aquasecurity/trivy@244fd47e07d1004f0aed9"},
		Time:     time.Date(2021, 8, 6, 17, 50, 50, 52e7, time.UTC),
		Findings: []vuln.Finding{{ID: "CVE-123", Severity: vuln.SeverityUnknown}},
	}
	if !reflect.DeepEqual(*s, want) {
		t.Errorf("got %#v\nwant %#v", *s, want)
	}
}

// Predicate copies the findings: changing the caller's slice afterwards
// does not change what is signed.
func TestPredicateCopies(t *testing.T) {
	t.Parallel()
	s := vuln.Scan{
		Scanner:  vuln.Scanner{Name: "grype", URI: "pkg:github/anchore/grype"},
		Time:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Findings: []vuln.Finding{{ID: "CVE-1", Severity: vuln.SeverityCritical, FixedVersions: []string{"1.2"}}},
	}
	p := vuln.Predicate(s)
	before, _ := p.PredicateJSON()
	s.Findings[0].Severity = vuln.SeverityLow
	s.Findings[0].FixedVersions[0] = "9.9"
	after, _ := p.PredicateJSON()
	if !bytes.Equal(before, after) {
		t.Errorf("predicate changed with caller's scan:\n%s\n%s", before, after)
	}
}
