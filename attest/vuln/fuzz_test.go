package vuln_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vuln"
)

// roundTrip checks that a Scan a parser accepted survives Predicate and
// ParseScan unchanged whenever Predicate accepts it.
func roundTrip(t *testing.T, s *vuln.Scan) {
	t.Helper()
	raw, err := vuln.Predicate(*s).PredicateJSON()
	if err != nil {
		if !errors.Is(err, vuln.ErrInvalidScan) {
			t.Fatalf("Predicate error outside ErrInvalidScan: %v", err)
		}
		return
	}
	got, err := vuln.ParseScan(raw)
	if err != nil {
		t.Fatalf("ParseScan(Predicate(scan)): %v\n%s", err, raw)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("round trip changed the scan\n got %#v\nwant %#v", got, s)
	}
}

// checkExact fails unless every severity a parser produced is exactly one
// of the constants: roundTrip alone skips a scan Predicate refuses.
func checkExact(t *testing.T, s *vuln.Scan) {
	t.Helper()
	for _, f := range s.Findings {
		if !exactSeverity(f.Severity) {
			t.Fatalf("finding %q: severity %q is not a constant", f.ID, f.Severity)
		}
	}
}

func FuzzParseTrivy(f *testing.F) {
	f.Add(readFixture(f, "trivy-alpine-39-high-critical.json"))
	f.Add([]byte(`{"SchemaVersion":2,"CreatedAt":"2026-01-02T03:04:05+01:00","Results":[{"Vulnerabilities":[{"VulnerabilityID":"CVE-1","VendorIDs":["DSA-1"],"FixedVersion":"1.0, 2.0","Severity":"high"}]}]}`))
	// Review 32: an element flood, refused before decoding.
	f.Add([]byte(`{"SchemaVersion":2,"Results":[{"Vulnerabilities":[` + strings.Repeat("{},", 30000) + `{}]}]}`))
	// Review 37: suppressed findings are findings.
	f.Add([]byte(`{"SchemaVersion":2,"CreatedAt":"2026-01-02T03:04:05Z","Results":[{"ExperimentalModifiedFindings":[{"Type":"vulnerability","Status":"ignored","Finding":{"VulnerabilityID":"CVE-2","Severity":"CRITICAL"}},{"Type":"secret","Finding":{"RuleID":"x"}}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := vuln.ParseTrivy(b)
		if err != nil {
			if !errors.Is(err, vuln.ErrInvalidReport) {
				t.Fatalf("error outside ErrInvalidReport: %v", err)
			}
			return
		}
		checkExact(t, s)
		roundTrip(t, s)
	})
}

func FuzzParseGrype(f *testing.F) {
	f.Add(readFixture(f, "grype-image.json"))
	f.Add([]byte(`{"matches":[{"vulnerability":{"id":"GHSA-1","severity":"Negligible","fix":{"versions":["1"]}},"relatedVulnerabilities":[{"id":"CVE-1"}],"artifact":{"name":"a","version":"1","purl":"pkg:npm/a@1"}}],"descriptor":{"name":"grype","version":"0.80.0","timestamp":"2026-01-02T03:04:05Z"}}`))
	f.Add([]byte(`{"descriptor":{"name":"grype"},"matches":[` + strings.Repeat("{},", 30000) + `{}]}`))
	// Review 37: ignored matches are findings.
	f.Add([]byte(`{"matches":[],"ignoredMatches":[{"vulnerability":{"id":"CVE-2","severity":"Critical"},"appliedIgnoreRules":[{"vulnerability":"CVE-2"}]}],"descriptor":{"name":"grype","timestamp":"2026-01-02T03:04:05Z"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := vuln.ParseGrype(b)
		if err != nil {
			if !errors.Is(err, vuln.ErrInvalidReport) {
				t.Fatalf("error outside ErrInvalidReport: %v", err)
			}
			return
		}
		checkExact(t, s)
		roundTrip(t, s)
	})
}

func FuzzParseScan(f *testing.F) {
	for _, seed := range []struct {
		file  string
		parse func([]byte) (*vuln.Scan, error)
	}{
		{"trivy-alpine-39-high-critical.json", vuln.ParseTrivy},
		{"grype-image.json", vuln.ParseGrype},
	} {
		s, err := seed.parse(readFixture(f, seed.file))
		if err != nil {
			f.Fatal(err)
		}
		if s.Time.IsZero() {
			s.Time = s.Time.AddDate(2026, 0, 0) // Grype's snapshot has none
		}
		st, err := attest.NewStatement([]attest.ResourceDescriptor{subject}, vuln.Predicate(*s))
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(st.Predicate))
	}
	f.Add([]byte(`{"scanner":{"uri":"pkg:github/aquasecurity/trivy@1","result":[{"id":"CVE-1","severity":[{"method":"ztci","score":"high"}],"annotations":[{"alias":"GHSA-1"},{"fixedVersion":"2"}]}]},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z"}}`))
	// ztci scores and methods not spelt as the writer writes them (review 25).
	for _, sev := range []string{`{"method":"ztci","score":"CRITICAL "}`, `{"method":"ztci","score":"moderate"}`, `{"method":"ztci","score":""}`, `{"method":"ZTCI","score":"low"}`, `{"method":"nvd","score":"LOW"},{"method":"ztci","score":"unknown"}`} {
		f.Add([]byte(`{"scanner":{"uri":"pkg:github/anchore/grype","result":[{"id":"CVE-1","severity":[` + sev + `]}]},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z"}}`))
	}
	// Element floods (strictjson.ErrTooManyElements).
	f.Add([]byte(`{"scanner":{"uri":"pkg:github/aquasecurity/trivy@1","result":[` + strings.Repeat("{},", 1500) + `{}]},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z"}}`))
	f.Add([]byte(`{"scanner":{"uri":"pkg:github/aquasecurity/trivy@1","result":[{"id":"CVE-1","annotations":[` + strings.Repeat("{},", 2000) + `{}]}]},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := vuln.ParseScan(b)
		if err != nil {
			if !errors.Is(err, attest.ErrInvalidPredicate) && !errors.Is(err, attest.ErrInvalidStatement) {
				t.Fatalf("error outside the predicate and statement errors: %v", err)
			}
			return
		}
		// What ParseScan accepts, Predicate must be able to write.
		if _, err := vuln.Predicate(*s).PredicateJSON(); err != nil {
			t.Fatalf("Predicate(ParseScan(b)): %v", err)
		}
		roundTrip(t, s)
	})
}

func FuzzParseOSVScanner(f *testing.F) {
	f.Add(readFixture(f, "osv-scanner-filter-some.json"))
	f.Add(readFixture(f, "osv-scanner-max-severity.json"))
	f.Add([]byte(`{"results":[{"packages":[{"package":{"name":"a","version":"1","ecosystem":"npm"},"vulnerabilities":[{"id":"GHSA-1","aliases":["CVE-1"],"affected":[{"package":{"name":"a","ecosystem":"npm","purl":"pkg:npm/a"},"ranges":[{"events":[{"fixed":"2"}]}]}],"database_specific":{"severity":"HIGH"}},{"id":"X-2"}],"groups":[{"ids":["GHSA-1"],"max_severity":"9.8"}]}]}]}`))
	// A record named by two groups, twice by one, listed twice (review 23).
	f.Add([]byte(`{"results":[{"packages":[{"package":{"name":"a"},"vulnerabilities":[{"id":"A","affected":[{},{}]},{"id":"B"}],"groups":[{"ids":["A"]},{"ids":["A","B"]}]}]}]}`))
	f.Add([]byte(`{"results":[{"packages":[{"package":{"name":"a"},"vulnerabilities":[{"id":"A"}],"groups":[{"ids":["A","A"],"aliases":["A","B"]}]}]}]}`))
	f.Add([]byte(`{"results":[{"packages":[{"package":{"name":"a"},"vulnerabilities":[{"id":"A"},{"id":"A","database_specific":{"severity":"LOW"}}]}]}]}`))
	f.Add([]byte(`{"results":[{"packages":[` + strings.Repeat("{},", 30000) + `{}]}]}`)) // review 32: an element flood
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := vuln.ParseOSVScanner(b)
		if err != nil {
			if !errors.Is(err, vuln.ErrInvalidReport) {
				t.Fatalf("error outside ErrInvalidReport: %v", err)
			}
			return
		}
		if !s.Time.IsZero() {
			t.Fatalf("osv-scanner reports no time, got %v", s.Time)
		}
		for _, f := range s.Findings {
			if strings.TrimSpace(f.ID) == "" {
				t.Fatalf("finding without id: %+v", f)
			}
		}
		checkExact(t, s)
		s.Time = s.Time.AddDate(2026, 0, 0)
		roundTrip(t, s)
	})
}
