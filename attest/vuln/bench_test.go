package vuln_test

import (
	"testing"

	"github.com/ztci/ztci/attest/vuln"
)

func BenchmarkParseTrivy(b *testing.B) {
	in := readFixture(b, "trivy-alpine-39-high-critical.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := vuln.ParseTrivy(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseGrype(b *testing.B) {
	in := readFixture(b, "grype-image.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := vuln.ParseGrype(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPredicateRoundTrip(b *testing.B) {
	s, err := vuln.ParseTrivy(readFixture(b, "trivy-alpine-39-high-critical.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		raw, err := vuln.Predicate(*s).PredicateJSON()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := vuln.ParseScan(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseOSVScanner(b *testing.B) {
	in := readFixture(b, "osv-scanner-filter-some.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := vuln.ParseOSVScanner(in); err != nil {
			b.Fatal(err)
		}
	}
}
