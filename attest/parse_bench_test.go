package attest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
)

// sbomStatement is a statement carrying a CycloneDX SBOM of 1,000
// components (about 250 KB), the size of a real application's.
func sbomStatement() []byte {
	var comps []string
	for i := range 1000 {
		comps = append(comps, fmt.Sprintf(`{"bom-ref":"pkg:golang/example.com/m%d@v1.%d.0","type":"library","name":"example.com/m%d",`+
			`"version":"v1.%d.0","hashes":[{"alg":"SHA-256","content":"%064x"}],"licenses":[{"license":{"id":"MIT"}}],`+
			`"purl":"pkg:golang/example.com/m%d@v1.%d.0"}`, i, i, i, i, i, i, i))
	}
	return []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":"` + strings.Repeat("ab", 32) +
		`"}}],"predicateType":"https://cyclonedx.org/bom","predicate":{"bomFormat":"CycloneDX","specVersion":"1.5","components":[` +
		strings.Join(comps, ",") + `]}}`)
}

// BenchmarkParseStatementSBOM parses a statement carrying an SBOM of 1,000
// components, as verify does for every attestation it verifies.
func BenchmarkParseStatementSBOM(b *testing.B) {
	st := sbomStatement()
	b.SetBytes(int64(len(st)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := attest.ParseStatement(st); err != nil {
			b.Fatal(err)
		}
	}
}
