package vuln_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/vuln"
)

// TestReview23OSVRecordReadOnce: ParseOSVScanner read a record once for
// every group naming it (in its ids or its aliases), so a report of under
// a megabyte, one record of 200,000 affected entries named by 20,000
// groups, took 40 seconds, and one of MaxReportSize days. osv-scanner's
// groups partition a package's records: a record another group names
// too, or one group twice, is refused, and so is a record id listed twice
// (the second replaced the first's severity and fixed versions unseen).
// Aliases stay names only.
func TestReview23OSVRecordReadOnce(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(`{"results":[{"packages":[{"package":{"name":"a"},"vulnerabilities":[{"id":"A","affected":[{}`)
	b.WriteString(strings.Repeat(`,{}`, 200_000))
	b.WriteString(`]}],"groups":[{"ids":["A"]}`)
	b.WriteString(strings.Repeat(`,{"ids":["A"]}`, 20_000))
	b.WriteString(`]}]}]}`)
	start := time.Now()
	if _, err := vuln.ParseOSVScanner([]byte(b.String())); !errors.Is(err, vuln.ErrInvalidReport) {
		t.Errorf("one record in 20,001 groups: %v, want ErrInvalidReport", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}

	pkg := func(vulns, groups string) []byte {
		return []byte(`{"results":[{"packages":[{"package":{"name":"a","ecosystem":"npm"},"vulnerabilities":[` + vulns + `],"groups":[` + groups + `]}]}]}`)
	}
	for name, doc := range map[string][]byte{
		"two groups":   pkg(`{"id":"A"},{"id":"B"}`, `{"ids":["A"]},{"ids":["B","A"]}`),
		"twice in one": pkg(`{"id":"A"}`, `{"ids":["A","A"]}`),
		"listed twice": pkg(`{"id":"A","database_specific":{"severity":"CRITICAL"}},{"id":"A","database_specific":{"severity":"LOW"}}`, ``),
	} {
		if _, err := vuln.ParseOSVScanner(doc); !errors.Is(err, vuln.ErrInvalidReport) {
			t.Errorf("%s: %v, want ErrInvalidReport", name, err)
		}
	}

	// A group's aliases naming its own records, as osv-scanner writes
	// them, still read; an alias is a name, not a record read again.
	s, err := vuln.ParseOSVScanner(pkg(`{"id":"A","aliases":["CVE-1"]},{"id":"B","database_specific":{"severity":"CRITICAL"},"affected":[{"package":{"name":"a","ecosystem":"npm"},"ranges":[{"events":[{"fixed":"9"}]}]}]}`,
		`{"ids":["A"],"aliases":["A","CVE-1","B"]},{"ids":["B"],"aliases":["B"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Findings) != 2 || s.Findings[0].ID != "A" || strings.Join(s.Findings[0].Aliases, ",") != "CVE-1,B" || s.Findings[0].Severity != vuln.SeverityUnknown ||
		len(s.Findings[0].FixedVersions) != 0 || s.Findings[1].Severity != vuln.SeverityCritical {
		t.Errorf("findings %+v", s.Findings)
	}
}
