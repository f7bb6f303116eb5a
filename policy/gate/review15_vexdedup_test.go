package gate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vex"
)

// vexAboutTwo is a verified OpenVEX attestation of 2n distinct statements,
// alternately about digest 1 (a platform manifest) and digest 2 (the index
// that lists it), each by the product's hash.
func vexAboutTwo(n int) *attest.Statement {
	var b strings.Builder
	b.WriteString(`{"@context":"` + vex.PredicateType + `","@id":"https://example.com/vex-1","author":"a","timestamp":"2024-01-01T00:00:00Z","version":1,"statements":[`)
	for i := range 2 * n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"vulnerability":{"name":"CVE-2024-%d"},"status":"fixed","products":[{"@id":"pkg:oci/app","hashes":{"sha-256":"%064x"}}]}`, i, 1+i%2)
	}
	b.WriteString(`]}`)
	return &attest.Statement{Type: attest.StatementTypeV1, PredicateType: vex.PredicateType,
		Subject: []attest.ResourceDescriptor{{Digest: attest.DigestSet{"sha256": fmt.Sprintf("%064x", 1)}}}, Predicate: []byte(b.String())}
}

// TestReview15VEXMergeLinear: the VEX statements of a platform manifest
// are those naming it or its index, each handed on once. The merge
// compared every statement found through the index with every statement
// found through the manifest (reflect.DeepEqual): quadratic in the
// statements of one signed document, 2,000 statements (335 KB) took
// 0.4 s, 20,000 (3.4 MB) 31 s, per platform manifest, with no deadline
// check. The work is counted here by its allocations, which the
// comparisons made grow as n² (134,083 allocations for n=250, 2,036,099
// for n=1000: ×15 for ×4) and which now grow as n (×4).
func TestReview15VEXMergeLinear(t *testing.T) {
	digests := []string{fmt.Sprintf("sha256:%064x", 1), fmt.Sprintf("sha256:%064x", 2)}
	allocs := func(n int) float64 {
		st := vexAboutTwo(n)
		if got := len(vexFor(t.Context(), st, "registry.example/app", digests).Statements); got != 2*n {
			t.Fatalf("n=%d: %d statements, want %d", n, got, 2*n)
		}
		return testing.AllocsPerRun(1, func() { vexFor(t.Context(), st, "registry.example/app", digests) })
	}
	small, large := allocs(250), allocs(1000)
	if large > 6*small {
		t.Fatalf("4× the statements made %.0f× the allocations (%.0f for 500 statements, %.0f for 2000): the merge is not linear", large/small, small, large)
	}
}

// TestReview15VEXMergeOnce: a statement that applies through both digests
// alike is handed on once, and statements that differ only in their
// subcomponents are two statements.
func TestReview15VEXMergeOnce(t *testing.T) {
	m, ix := fmt.Sprintf("%064x", 1), fmt.Sprintf("%064x", 2)
	doc := `{"@context":"` + vex.PredicateType + `","@id":"https://example.com/vex-1","author":"a","timestamp":"2024-01-01T00:00:00Z","version":1,"statements":[` +
		`{"vulnerability":{"name":"CVE-1"},"status":"fixed","products":[{"@id":"a","hashes":{"sha-256":"` + m + `"}},{"@id":"b","hashes":{"sha-256":"` + ix + `"}}]},` +
		`{"vulnerability":{"name":"CVE-2"},"status":"fixed","products":[{"@id":"a","hashes":{"sha-256":"` + m + `"},"subcomponents":[{"@id":"pkg:golang/x@v1"}]},{"@id":"b","hashes":{"sha-256":"` + ix + `"},"subcomponents":[{"@id":"pkg:golang/y@v1"}]}]}]}`
	st := &attest.Statement{Type: attest.StatementTypeV1, PredicateType: vex.PredicateType,
		Subject: []attest.ResourceDescriptor{{Digest: attest.DigestSet{"sha256": m}}}, Predicate: []byte(doc)}
	got := vexFor(t.Context(), st, "registry.example/app", []string{"sha256:" + m, "sha256:" + ix})
	var names []string
	for _, s := range got.Statements {
		names = append(names, s.Vulnerability+fmt.Sprint(s.Subcomponents))
	}
	if want := "CVE-1[] CVE-2[pkg:golang/x@v1] CVE-2[pkg:golang/y@v1]"; strings.Join(names, " ") != want {
		t.Fatalf("statements %q, want %q", strings.Join(names, " "), want)
	}
}
