package drift_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
)

// TestReview32OSVEventsParsedOnce: Queries sorted a range's events with
// inventory.CompareVersions, which parses both versions on every
// comparison: a record of ranges of 1024 long Maven versions (within
// MaxRecordSize and MaxEvents) cost some 20 parses per event, seconds of
// CPU per record. Each version is now parsed a bounded number of times,
// whatever the number of events. Counted in allocations (a parse
// allocates), not time.
//
// Not parallel: testing.AllocsPerRun refuses to run in parallel tests.
func TestReview32OSVEventsParsedOnce(t *testing.T) {
	for _, tc := range []struct {
		name, ecosystem, pkg, suffix, typ string
	}{
		{"maven", "Maven", "g:a", strings.Repeat("-a", 60), "maven"},
		{"pypi", "PyPI", "p", strings.Repeat(".1", 60), "pypi"},
		{"deb", "Debian:12", "p", strings.Repeat("a1", 60), "deb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = drift.MaxEvents
			var b strings.Builder
			b.WriteString(`{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"` + tc.ecosystem +
				`","name":"` + tc.pkg + `"},"ranges":[{"type":"ECOSYSTEM","events":[`)
			v := func(i int) string { return fmt.Sprintf("%d.%d%s", n-i, i, tc.suffix) }
			for i := range n {
				if i > 0 {
					b.WriteString(",")
				}
				kind := "introduced"
				if i%2 == 1 {
					kind = "fixed"
				}
				fmt.Fprintf(&b, `{%q:%q}`, kind, v(i))
			}
			b.WriteString(`]}]}]}`)
			adv, err := drift.ParseOSV([]byte(b.String()))
			if err != nil {
				t.Fatal(err)
			}
			perParse := testing.AllocsPerRun(20, func() {
				if _, err := inventory.CompareVersions(tc.typ, v(1), v(2)); err != nil {
					t.Fatal(err)
				}
			}) / 2
			var skips []drift.Skip
			got := testing.AllocsPerRun(2, func() { _, skips = adv.Queries() })
			if len(skips) != 0 {
				t.Fatalf("skips: %v", skips)
			}
			// Sorting and checking: a few parses per event; compiling the
			// queries: one per bound.
			if budget := 8 * n * perParse; got > budget {
				t.Fatalf("Queries made %.0f allocations for %d events, more than %.0f (8 parses of %.0f allocations per event)", got, n, budget, perParse)
			}
		})
	}
}
