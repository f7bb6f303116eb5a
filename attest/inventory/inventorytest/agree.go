package inventorytest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/ztci/ztci/attest/inventory"
)

// agreesWithMemory records admissions whose fields an attacker's job
// chooses (SQL and LIKE metacharacters, separators, percent-escapes,
// Unicode, the longest fields, a builder id that is a prefix of another,
// one package at many versions) in the store and in an [inventory.Memory],
// and checks that every query answers the same in both: the same
// admissions in the same order, the same truncation, and the same
// packages (compared as sets: stores list the packages of one admission
// that a package query selects in their own order).
func agreesWithMemory(t *testing.T, s inventory.Store) {
	t.Helper()
	mem := inventory.NewMemory()
	long := strings.Repeat("é", inventory.MaxFieldLen/2-16) // 2 bytes each; room for the suffixes
	names := []string{"%", "_", "'", `\`, "a\tb", "' OR '1'='1", "x\u2028y", "\uFFFD", "\U0010FFFF", long, "@", "@@x", "a/b?c#d"}
	var adms []inventory.Admission
	for i, n := range names {
		if strings.ContainsFunc(n, func(r rune) bool { return r < ' ' }) {
			continue // refused by Normalize, as every store must
		}
		a := inventory.Admission{
			DecisionID: fmt.Sprintf("%s-%d", n, i), Digest: Digest(n), Image: n, Job: n, PolicyRevision: n,
			Time:     T0.Add(time.Duration(i%3) * time.Second),
			Builders: []string{"https://b.example/x@" + strings.Map(noSpace, n), "https://b.example/x2"},
			Signers:  []inventory.Signer{{Issuer: n, SAN: n}, {KeyID: n}},
			Packages: []inventory.Package{
				{PURL: "pkg:generic/" + pct(short(n)) + "@" + pct("1."+short(n))},
				{PURL: "pkg:npm/%40scope%2Fname@" + fmt.Sprint(i) + ".0.0"},
				{PURL: "pkg:golang/github.com/Foo/Bar@v1.0.0"}, {PURL: "pkg:golang/github.com/foo/bar@v1.0.0"},
				{PURL: "pkg:deb/debian/bin@1.0-1?upstream=" + pct("src@2.0-1")},
				{PURL: "pkg:npm/lodash", Version: ""},
			},
		}
		for v := range 40 {
			a.Packages = append(a.Packages, inventory.Package{PURL: fmt.Sprintf("pkg:npm/lodash@4.%d.%d", i, v)})
		}
		adms = append(adms, a)
	}
	for _, a := range adms {
		for _, st := range []inventory.Store{s, mem} {
			if err := st.Record(t.Context(), a); err != nil {
				t.Fatalf("record %q: %v", a.DecisionID, err)
			}
		}
	}
	queries := []inventory.Query{
		{Builder: "https://b.example/x"}, {Builder: "https://b.example/x2"}, {Builder: "https://b.example/x@%"},
		{Builder: "https://b.example/x@_"}, {Builder: "https://b.example/"}, {Builder: "https://b.example/x@"},
		{Package: "pkg:npm/lodash", Ranges: []inventory.Range{{Introduced: "4.3.0", Fixed: "4.5.7"}}, WithPolicyInput: true},
		{Package: "pkg:npm/lodash", Versions: []string{"4.1.1", "4.01.1"}, Limit: 3},
		{Package: "pkg:npm/lodash", Limit: 1},
		{Package: "pkg:npm/%40scope/name"}, {Package: "pkg:golang/github.com/foo/bar"},
		{Package: "pkg:deb/debian/src"}, {Package: "pkg:deb/debian/src", Versions: []string{"2.0-1"}},
	}
	for _, n := range names {
		queries = append(queries, inventory.Query{Digest: Digest(n)}, inventory.Query{Signer: n}, inventory.Query{KeyID: n},
			inventory.Query{PolicyRevision: n, Limit: 1}, inventory.Query{Package: "pkg:generic/" + pct(short(n))},
			inventory.Query{Package: "pkg:generic/" + pct(short(n)), Versions: []string{"1." + short(n)}})
	}
	for _, q := range queries {
		got, err := s.Query(t.Context(), q)
		want, werr := mem.Query(t.Context(), q)
		if (err == nil) != (werr == nil) {
			t.Errorf("query %+v: err = %v, memory's %v", q, err, werr)
			continue
		}
		if err != nil {
			continue
		}
		if !slices.EqualFunc(got.Admissions, want.Admissions, samePackagesAnyOrder) || got.Truncated != want.Truncated {
			t.Errorf("query %+v:\ngot    %v truncated=%v\nmemory %v truncated=%v", q, ids(got), got.Truncated, ids(want), want.Truncated)
		}
	}
}

func samePackagesAnyOrder(a, b inventory.Admission) bool {
	sorted := func(ps []inventory.Package) []inventory.Package {
		ps = slices.Clone(ps)
		slices.SortFunc(ps, func(x, y inventory.Package) int {
			return cmp.Or(cmp.Compare(x.PURL, y.PURL), cmp.Compare(x.Spelled, y.Spelled), cmp.Compare(x.From, y.From))
		})
		return ps
	}
	a.Packages, b.Packages = sorted(a.Packages), sorted(b.Packages)
	return equalAdmission(a, b)
}

// short is s cut to 60 bytes (whole runes of the names here), so that a
// package URL of it percent-encoded stays within MaxPURLLen.
func short(s string) string {
	if len(s) > 60 {
		return s[:60]
	}
	return s
}

// noSpace drops white space, which builder ids hold none of.
func noSpace(r rune) rune {
	if unicode.IsSpace(r) {
		return -1
	}
	return r
}

// pct percent-encodes every byte of s but ASCII letters and digits.
func pct(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
