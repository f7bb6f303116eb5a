package inventory_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
)

// apk had no ordering: a range asked of an Alpine package was an
// EcosystemError, so every Alpine advisory range was skipped. Versions are
// now ordered as apk-tools orders them.
func TestReview10APKOrdering(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a    string
		want int
		b    string
	}{
		{"3.1.4-r5", -1, "3.1.4-r6"},
		{"3.1.4-r10", 1, "3.1.4-r9"},
		{"3.1.4-r0", -1, "3.1.5-r0"},
		{"3.1.10-r0", 1, "3.1.9-r0"},
		{"3.1.4_rc1-r0", -1, "3.1.4-r0"},     // a pre-release suffix is older than none
		{"3.1.4_alpha-r0", -1, "3.1.4_beta"}, // alpha < beta < pre < rc
		{"3.1.4_pre2", -1, "3.1.4_rc1"},
		{"9.4_p1-r0", 1, "9.4-r5"},    // a post-release suffix is newer
		{"9.4_p1-r0", -1, "9.4.1-r0"}, // but older than the next number
		{"9.4_p10", 1, "9.4_p9"},
		{"1.2.3_git20240101-r0", 1, "1.2.3_cvs20250101-r0"}, // cvs < svn < git < hg < p
		{"0.9.8c-r1", -1, "0.9.8d"},
		{"2.5.1-r8", -1, "2.5.1a-r1"},
		{"1.0a", -1, "1.0.1"},
		{"1.0", -1, "1.0.1"},
		{"1.0", -1, "1.0-r0"},
		{"1.02", -1, "1.1"}, // a leading zero compares as a string
		{"4.5.14", 1, "4.09-r1"},
		{"006", 1, "1.0.0"}, // the first number is a number
		{"0.1.0_alpha_pre2", -1, "0.1.0_alpha"},
		{"1.36.1-r15", 0, "1.36.1-r15"},
	} {
		got, err := inventory.CompareVersions("apk", c.a, c.b)
		if err != nil || got != c.want {
			t.Errorf("apk %s vs %s = %d, %v; want %d", c.a, c.b, got, err, c.want)
		}
		if back, _ := inventory.CompareVersions("apk", c.b, c.a); back != -c.want {
			t.Errorf("apk %s vs %s = %d, reversed %d", c.a, c.b, got, back)
		}
	}
	// Not Alpine versions: unordered (a range lists them, marked), never
	// guessed.
	for _, v := range []string{"", "v1.0", "1.0-1", "1.0_foo", "1.0-r", "1.0.", "1..0", "1.0A", "1.0~abc-r0", "1.0ab", "1.0-r1-r2"} {
		var ve *inventory.VersionError
		if _, err := inventory.CompareVersions("apk", v, "1.0"); !errors.As(err, &ve) {
			t.Errorf("apk %q: err %v, want a VersionError", v, err)
		}
	}
}

func TestReview10APKRangeQuery(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	for _, a := range []inventory.Admission{
		inventorytest.Admission("d-old", "old", "pkg:apk/alpine/libssl3@3.1.4-r5?upstream=openssl"),
		inventorytest.Admission("d-new", "new", "pkg:apk/alpine/libssl3@3.1.4-r6?upstream=openssl"),
		inventorytest.Admission("d-odd", "odd", "pkg:apk/alpine/libssl3@3.1.4~1234abcd-r0?upstream=openssl"),
	} {
		if err := s.Record(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.Query(t.Context(), inventory.Query{Package: "pkg:apk/alpine/openssl", Ranges: []inventory.Range{{Introduced: "0", Fixed: "3.1.4-r6"}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range res.Admissions {
		got = append(got, a.DecisionID)
		if p := a.Packages[0]; !p.Source || p.Unordered != (a.DecisionID == "d-odd") {
			t.Errorf("%s: %+v", a.DecisionID, p)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"d-odd", "d-old"}) {
		t.Fatalf("range query found %v, want d-odd (unordered) and d-old", got)
	}
}

// A query by a builder id without "@" selects it at any "@<ref>", as
// policy/gate's builder revocation matches a mark; with "@", that id only.
func TestReview10BuilderSelects(t *testing.T) {
	t.Parallel()
	const gen = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml"
	for _, c := range []struct {
		q, builder string
		want       bool
	}{
		{gen, gen, true},
		{gen, gen + "@refs/tags/v2.0.0", true},
		{gen, gen + "@", true},
		{gen, gen + "@refs/tags/v2.0.0@x", true},
		{gen, gen + ".evil@refs/tags/v2.0.0", false},
		{gen, gen + "/x@refs/tags/v2.0.0", false},
		{gen + "@refs/tags/v2.0.0", gen + "@refs/tags/v2.0.0", true},
		{gen + "@refs/tags/v2.0.0", gen, false},
		{gen + "@refs/tags/v2", gen + "@refs/tags/v2.0.0", false},
		{gen + "@refs/tags/v2.0.0", gen + "@refs/tags/v2.0.0@x", false},
		{gen, "", false},
	} {
		if got := inventory.BuilderSelects(c.q, c.builder); got != c.want {
			t.Errorf("BuilderSelects(%q, %q) = %v, want %v", c.q, c.builder, got, c.want)
		}
	}
}
