package drift_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parse(t testing.TB, name string) *drift.Advisory {
	t.Helper()
	a, err := drift.ParseOSV(fixture(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return a
}

func TestParseRealRecords(t *testing.T) {
	t.Parallel()
	ghsa := parse(t, "GHSA-w32m-9786-jp63.json")
	if ghsa.ID != "GHSA-w32m-9786-jp63" || ghsa.SchemaVersion != "1.4.0" || ghsa.DatabaseSeverity != "HIGH" ||
		!slices.Equal(ghsa.Aliases, []string{"CVE-2024-45338"}) || len(ghsa.Severity) != 1 || ghsa.Severity[0].Type != "CVSS_V4" ||
		!ghsa.Modified.Equal(time.Date(2024, 12, 18, 21, 59, 48, 0, time.UTC)) || !ghsa.Withdrawn.IsZero() {
		t.Errorf("GHSA: %+v", ghsa)
	}
	if len(ghsa.Affected) != 1 || ghsa.Affected[0].PURL != "pkg:golang/golang.org/x/net" || ghsa.Affected[0].Ranges[0].Type != drift.RangeEcosystem {
		t.Errorf("GHSA affected: %+v", ghsa.Affected)
	}
	qs, skips := ghsa.Queries()
	want := inventory.Query{Package: "pkg:golang/golang.org/x/net", Ranges: []inventory.Range{{Introduced: "0", Fixed: "0.33.0"}}, Limit: inventory.MaxLimit}
	if len(skips) != 0 || len(qs) != 1 || !equalQuery(qs[0], want) {
		t.Errorf("GHSA queries %+v skips %v", qs, skips)
	}

	// The Go vulnerability database writes the zero time into modified and
	// published of records not yet published; it parses as such.
	golang := parse(t, "GO-2024-3333.json")
	if !golang.Modified.IsZero() || golang.Affected[0].Ranges[0].Type != drift.RangeSemver || len(golang.Aliases) != 2 {
		t.Errorf("GO: %+v", golang)
	}
	if qs, _ := golang.Queries(); len(qs) != 1 || !equalQuery(qs[0], want) {
		t.Errorf("GO queries %+v", qs)
	}

	withdrawn := parse(t, "GO-2024-2730-withdrawn.json")
	if !withdrawn.Withdrawn.Equal(time.Date(2024, 4, 17, 18, 6, 23, 0, time.UTC)) {
		t.Errorf("withdrawn = %v", withdrawn.Withdrawn)
	}
	if qs, skips := withdrawn.Queries(); qs != nil || skips != nil {
		t.Errorf("a withdrawn record asks %v, skips %v", qs, skips)
	}

	git := parse(t, "OSV-2020-111-git-range.json")
	qs, skips = git.Queries()
	if len(qs) != 0 || len(skips) != 1 || !errors.Is(skips[0].Err, drift.ErrGitRange) || skips[0].Package != "pkg:generic/poppler" || skips[0].Range != 0 {
		t.Errorf("GIT record: queries %v skips %v", qs, skips)
	}
}

func equalQuery(a, b inventory.Query) bool {
	return a.Package == b.Package && slices.Equal(a.Ranges, b.Ranges) && slices.Equal(a.Versions, b.Versions) && a.Limit == b.Limit
}

// record builds an OSV record around one affected entry.
func record(affected string) []byte {
	return []byte(`{"id":"TEST-1","modified":"2026-01-02T03:04:05Z","affected":[` + affected + `]}`)
}

func TestQueries(t *testing.T) {
	t.Parallel()
	goPkg := `"package":{"ecosystem":"Go","name":"example.com/m"}`
	tests := []struct {
		name     string
		affected string
		ranges   []inventory.Range
		versions []string
		skip     error
	}{
		{name: "unsorted events and two intervals",
			affected: `{` + goPkg + `,"ranges":[{"type":"SEMVER","events":[{"fixed":"3.2.5"},{"introduced":"3.0.0"},{"fixed":"1.0.2"},{"introduced":"1.0.0"}]}]}`,
			ranges:   []inventory.Range{{Introduced: "1.0.0", Fixed: "1.0.2"}, {Introduced: "3.0.0", Fixed: "3.2.5"}}},
		{name: "last_affected is inclusive",
			affected: `{` + goPkg + `,"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"last_affected":"2.1.214"}]}]}`,
			ranges:   []inventory.Range{{Introduced: "0", LastAffected: "2.1.214"}}},
		{name: "unfixed is unbounded",
			affected: `{` + goPkg + `,"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.5.0"}]}]}`,
			ranges:   []inventory.Range{{Introduced: "1.5.0"}}},
		{name: "a repeated introduced does not reopen",
			affected: `{` + goPkg + `,"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"introduced":"1.1.0"},{"fixed":"1.2.0"},{"fixed":"1.3.0"}]}]}`,
			ranges:   []inventory.Range{{Introduced: "1.0.0", Fixed: "1.2.0"}}},
		{name: "limit bounds an open range",
			affected: `{` + goPkg + `,"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"limit":"2.0.0"},{"limit":"1.5.0"}]}]}`,
			ranges:   []inventory.Range{{Introduced: "1.0.0", Fixed: "2.0.0"}}},
		{name: "limit drops what starts above it",
			affected: `{` + goPkg + `,"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"fixed":"1.1.0"},{"introduced":"3.0.0"},{"limit":"2.0.0"}]}]}`,
			ranges:   []inventory.Range{{Introduced: "1.0.0", Fixed: "1.1.0"}}},
		{name: "limit star is infinity",
			affected: `{` + goPkg + `,"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"limit":"*"}]}]}`,
			ranges:   []inventory.Range{{Introduced: "1.0.0"}}},
		{name: "enumerated versions beside ranges",
			affected: `{` + goPkg + `,"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}],"versions":["1.2.0"]}`,
			ranges:   []inventory.Range{{Introduced: "0", Fixed: "1.0.0"}}, versions: []string{"1.2.0"}},
		{name: "an ecosystem without ordering: versions only, range skipped",
			affected: `{"package":{"ecosystem":"ConanCenter","name":"zlib","purl":"pkg:conan/zlib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.3.1"}]}],"versions":["1.3"]}`,
			versions: []string{"1.3"}, skip: inventory.ErrUnsupportedEcosystem},
		{name: "RubyGems ranges are ordered",
			affected: `{"package":{"ecosystem":"RubyGems","name":"rack"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.2.8"}]}],"versions":["2.2.7"]}`,
			ranges:   []inventory.Range{{Introduced: "0", Fixed: "2.2.8"}}, versions: []string{"2.2.7"}},
		{name: "a Packagist bound that is a branch",
			affected: `{"package":{"ecosystem":"Packagist","name":"symfony/http-kernel"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"dev-main"}]}]}`,
			skip:     inventory.ErrInvalidVersion},
		{name: "a bound that does not parse in the ordering",
			affected: `{` + goPkg + `,"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"not-a-version"}]}]}`,
			skip:     inventory.ErrInvalidVersion},
		{name: "no purl and no mapping",
			affected: `{"package":{"ecosystem":"Linux","name":"Kernel"},"versions":["6.1"]}`,
			skip:     drift.ErrNoPackageURL},
		{name: "nothing to match",
			affected: `{` + goPkg + `}`,
			skip:     drift.ErrNothingToMatch},
		{name: "maven name maps to namespace and name",
			affected: `{"package":{"ecosystem":"Maven","name":"org.apache.logging.log4j:log4j-core"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0-beta9"},{"fixed":"2.15.0"}]}]}`,
			ranges:   []inventory.Range{{Introduced: "2.0-beta9", Fixed: "2.15.0"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := drift.ParseOSV(record(tt.affected))
			if err != nil {
				t.Fatal(err)
			}
			qs, skips := a.Queries()
			var ranges []inventory.Range
			var versions []string
			for _, q := range qs {
				ranges, versions = append(ranges, q.Ranges...), append(versions, q.Versions...)
			}
			if !slices.Equal(ranges, tt.ranges) || !slices.Equal(versions, tt.versions) {
				t.Errorf("ranges %+v versions %v, want %+v %v", ranges, versions, tt.ranges, tt.versions)
			}
			switch {
			case tt.skip == nil && len(skips) != 0:
				t.Errorf("skips %v", skips)
			case tt.skip != nil && (len(skips) != 1 || !errors.Is(skips[0].Err, tt.skip)):
				t.Errorf("skips %v, want one %v", skips, tt.skip)
			}
		})
	}
}

func TestQueriesSplitLongVersionLists(t *testing.T) {
	t.Parallel()
	vs := make([]string, 600)
	for i := range vs {
		vs[i] = `"1.0.` + string(rune('0'+i%10)) + `-` + strings.Repeat("a", 1+i/10) + `"`
	}
	a, err := drift.ParseOSV(record(`{"package":{"ecosystem":"npm","name":"@scope/pkg"},"versions":[` + strings.Join(vs, ",") + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	qs, skips := a.Queries()
	n := 0
	for _, q := range qs {
		if len(q.Ranges)+len(q.Versions) > inventory.MaxQueryTerms || q.Package != "pkg:npm/%40scope/pkg" {
			t.Errorf("query %s with %d terms", q.Package, len(q.Versions))
		}
		n += len(q.Versions)
	}
	if len(qs) != 3 || n != 600 || len(skips) != 0 {
		t.Errorf("%d queries, %d versions, skips %v", len(qs), n, skips)
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	goPkg := `"package":{"ecosystem":"Go","name":"example.com/m"}`
	rng := func(events string) string {
		return `{` + goPkg + `,"ranges":[{"type":"SEMVER","events":[` + events + `]}]}`
	}
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"not an object", `[]`, drift.ErrInvalidRecord},
		{"trailing data", `{"id":"A-1","modified":"2026-01-01T00:00:00Z"} {}`, drift.ErrInvalidRecord},
		{"repeated member", `{"id":"A-1","id":"B-2","modified":"2026-01-01T00:00:00Z"}`, drift.ErrInvalidRecord},
		{"member in another case", `{"id":"A-1","ID":"B-2","modified":"2026-01-01T00:00:00Z"}`, drift.ErrInvalidRecord},
		{"missing id", `{"modified":"2026-01-01T00:00:00Z"}`, drift.ErrInvalidRecord},
		{"null id", `{"id":null,"modified":"2026-01-01T00:00:00Z"}`, drift.ErrInvalidRecord},
		{"id with a space", `{"id":"A 1","modified":"2026-01-01T00:00:00Z"}`, drift.ErrInvalidRecord},
		{"missing modified", `{"id":"A-1"}`, drift.ErrInvalidRecord},
		{"bad timestamp", `{"id":"A-1","modified":"yesterday"}`, drift.ErrInvalidRecord},
		{"zero withdrawn", `{"id":"A-1","modified":"2026-01-01T00:00:00Z","withdrawn":"0001-01-01T00:00:00Z"}`, drift.ErrInvalidRecord},
		{"schema 2", `{"schema_version":"2.0.0","id":"A-1","modified":"2026-01-01T00:00:00Z"}`, drift.ErrUnsupportedSchema},
		{"wrong type", `{"id":"A-1","modified":"2026-01-01T00:00:00Z","aliases":"CVE-1"}`, drift.ErrInvalidRecord},
		{"malformed purl", string(record(`{"package":{"ecosystem":"Go","name":"m","purl":"golang/m"},"versions":["1.0.0"]}`)), inventory.ErrInvalidPURL},
		{"package without name", string(record(`{"package":{"ecosystem":"Go"},"versions":["1.0.0"]}`)), drift.ErrInvalidRecord},
		{"unknown range type", string(record(`{` + goPkg + `,"ranges":[{"type":"VERS","events":[{"introduced":"0"}]}]}`)), drift.ErrInvalidRecord},
		{"GIT without repo", string(record(`{` + goPkg + `,"ranges":[{"type":"GIT","events":[{"introduced":"0"}]}]}`)), drift.ErrInvalidRecord},
		{"two kinds in one event", string(record(rng(`{"introduced":"1.0.0","fixed":"1.0.2"}`))), drift.ErrInvalidRecord},
		{"unknown event", string(record(rng(`{"introduced":"0"},{"patched":"1.0.0"}`))), drift.ErrInvalidRecord},
		{"event in another case", string(record(rng(`{"Introduced":"0"}`))), drift.ErrInvalidRecord},
		{"empty event", string(record(rng(`{"introduced":"0"},{}`))), drift.ErrInvalidRecord},
		{"null event version", string(record(rng(`{"introduced":null}`))), drift.ErrInvalidRecord},
		{"no introduced", string(record(rng(`{"fixed":"1.0.0"}`))), drift.ErrInvalidRecord},
		{"fixed and last_affected", string(record(rng(`{"introduced":"0"},{"fixed":"1.0.0"},{"last_affected":"1.1.0"}`))), drift.ErrInvalidRecord},
		{"version too long", string(record(`{` + goPkg + `,"versions":["` + strings.Repeat("1", inventory.MaxVersionLen+1) + `"]}`)), drift.ErrInvalidRecord},
		{"control character in a version", string(record(`{` + goPkg + `,"versions":["1.0\u0000"]}`)), drift.ErrInvalidRecord},
		{"too large", `{"id":"A-1","modified":"2026-01-01T00:00:00Z","details":"` + strings.Repeat("x", drift.MaxRecordSize) + `"}`, drift.ErrInvalidRecord},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := drift.ParseOSV([]byte(tt.in))
			if !errors.Is(err, tt.want) || !errors.Is(err, drift.ErrInvalidRecord) {
				t.Fatalf("err = %v (advisory %+v), want %v", err, a, tt.want)
			}
			if len(err.Error()) > 400 {
				t.Errorf("error quotes too much input: %d bytes", len(err.Error()))
			}
		})
	}
}

func TestParseIgnoresMembersItDoesNotRead(t *testing.T) {
	t.Parallel()
	// OSV minor versions add members (upstream in 1.7); a record carrying
	// one, and null in a database's own object, still parses.
	a, err := drift.ParseOSV([]byte(`{"schema_version":"1.7.0","id":"A-1","modified":"2026-01-01T00:00:00Z","upstream":["CVE-1"],` +
		`"database_specific":{"nvd_published_at":null,"severity":"LOW"},"affected":[{"package":{"ecosystem":"npm","name":"left-pad"},` +
		`"ecosystem_specific":{"x":1},"versions":["1.0.0"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if a.DatabaseSeverity != "LOW" || a.Affected[0].PURL != "pkg:npm/left-pad" {
		t.Errorf("%+v", a)
	}
}
