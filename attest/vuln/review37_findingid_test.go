package vuln_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest/vuln"
)

// TestReview37FindingIDSpelling: the gate finds the VEX statements about a
// finding by its id and aliases compared as strings (case aside). A signed
// finding "CVE-2026-1 " with alias GHSA-x was lifted by a not_affected
// statement about GHSA-x while a later "affected" statement about
// CVE-2026-1 named nothing the rules looked up. ParseScan refuses a result
// id or alias that is not printable ASCII without spaces (as attest/vex
// refuses such a VEX id); the scanner parsers trim the id, as they trim
// aliases.
func TestReview37FindingIDSpelling(t *testing.T) {
	t.Parallel()
	pred := func(id, ann string) []byte {
		return []byte(`{"scanner":{"uri":"pkg:github/anchore/grype","result":[{"id":"` + id + `","severity":[{"method":"ztci","score":"critical"}],"annotations":[` + ann + `]}]},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z"}}`)
	}
	for _, tt := range []struct{ name, id, ann string }{
		{"id trailing space", "CVE-2026-1 ", `{"alias":"GHSA-aaaa-bbbb-cccc"}`},
		{"id newline", `CVE-2026-1\n`, `{"alias":"GHSA-aaaa-bbbb-cccc"}`},
		{"id unicode hyphen", "CVE‑2026‑1", `{"alias":"GHSA-aaaa-bbbb-cccc"}`},
		{"id inner space", "CVE 2026-1", `{"alias":"GHSA-aaaa-bbbb-cccc"}`},
		{"alias leading space", "GHSA-aaaa-bbbb-cccc", `{"alias":" CVE-2026-1"}`},
		{"alias control", "GHSA-aaaa-bbbb-cccc", `{"alias":"CVE-2026-1\u0007"}`},
		{"alias fullwidth", "GHSA-aaaa-bbbb-cccc", `{"alias":"ＣＶＥ-2026-1"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if s, err := vuln.ParseScan(pred(tt.id, tt.ann)); !errors.Is(err, vuln.ErrInvalidScan) {
				t.Fatalf("got %+v, err %v; want ErrInvalidScan", s, err)
			}
		})
	}
	if _, err := vuln.ParseScan(pred("GHSA-aaaa-bbbb-cccc", `{"alias":"CVE-2026-1"},{"alias":"RHSA-2026:0001"}`)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		parse func([]byte) (*vuln.Scan, error)
		in    string
	}{
		{"trivy", vuln.ParseTrivy, `{"SchemaVersion":2,"CreatedAt":"2026-01-02T03:04:05Z","Results":[{"Vulnerabilities":[{"VulnerabilityID":" CVE-2026-1 ","Severity":"CRITICAL"}]}]}`},
		{"grype", vuln.ParseGrype, `{"matches":[{"vulnerability":{"id":"CVE-2026-1\t","severity":"Critical"}}],"descriptor":{"name":"grype","timestamp":"2026-01-02T03:04:05Z"}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := tt.parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Findings[0].ID; got != "CVE-2026-1" {
				t.Fatalf("id %q, want CVE-2026-1", got)
			}
			if _, err := vuln.Predicate(*s).PredicateJSON(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
