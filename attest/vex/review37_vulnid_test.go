package vex_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest/vex"
)

// TestReview37VulnerabilityIDSpelling: the gate finds the statements about
// a finding by comparing vulnerability ids as strings (case aside). A
// trusted signer's later "affected" statement naming "CVE-2026-1 " or
// "CVE‑2026‑1" (U+2011 hyphens) named no finding, so an earlier
// not_affected statement about CVE-2026-1 still lifted it. Parse refuses a
// vulnerability name or alias that is not printable ASCII without spaces;
// the gate then reads the document as unreadable and lifts nothing.
func TestReview37VulnerabilityIDSpelling(t *testing.T) {
	t.Parallel()
	doc := func(vuln string) []byte {
		return []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex-1","author":"a","timestamp":"2026-01-08T18:02:03Z","version":1,` +
			`"statements":[{"vulnerability":` + vuln + `,"products":[{"@id":"pkg:oci/app"}],"status":"affected","action_statement":"upgrade"}]}`)
	}
	for _, tt := range []struct{ name, vuln string }{
		{"trailing space", `{"name":"CVE-2026-1 "}`},
		{"leading tab", `{"name":"\tCVE-2026-1"}`},
		{"inner space", `{"name":"CVE 2026-1"}`},
		{"newline", `{"name":"CVE-2026-1\n"}`},
		{"unicode hyphen", `{"name":"CVE‑2026‑1"}`},
		{"fullwidth", `{"name":"ＣＶＥ-2026-1"}`},
		{"zero width", `{"name":"CVE-2026-1\u200b"}`},
		{"nbsp", `{"name":"CVE-2026-1\u00a0"}`},
		{"alias trailing space", `{"name":"GHSA-aaaa-bbbb-cccc","aliases":["CVE-2026-1 "]}`},
		{"alias control", `{"name":"GHSA-aaaa-bbbb-cccc","aliases":["CVE-2026-1\u0000"]}`},
		{"alias unicode", `{"name":"GHSA-aaaa-bbbb-cccc","aliases":["CVE‐2026‐1"]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := vex.Parse(doc(tt.vuln))
			var se *vex.StatementError
			if !errors.Is(err, vex.ErrInvalidValue) || !errors.As(err, &se) {
				t.Fatalf("got %+v, err %v; want a StatementError wrapping ErrInvalidValue", d, err)
			}
		})
	}
	for _, ok := range []string{
		`{"name":"CVE-2026-1"}`,
		`{"name":"cve-2026-1"}`,
		`{"name":"GHSA-aaaa-bbbb-cccc","aliases":["CVE-2026-1","GO-2026-0001","RHSA-2026:0001","DSA-5000-1"]}`,
	} {
		if _, err := vex.Parse(doc(ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
