package inventory_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest/inventory"
)

// TestCompareVersions checks each ordering on ascending chains (every pair
// in a chain is compared both ways) and on equal spellings.
func TestCompareVersions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		typ   string
		chain []string // strictly ascending
		equal [][2]string
	}{
		{name: "golang semver with pseudo-versions and prereleases", typ: "golang",
			chain: []string{"v0.0.0-20190101000000-abcdefabcdef", "v0.1.0", "v0.9.0", "v0.10.0", "v0.33.0-rc.1", "v0.33.0", "v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-beta.2", "v1.0.0-beta.11", "v1.0.0", "v2.0.0+incompatible"},
			equal: [][2]string{{"v1.2.3", "1.2.3"}, {"v2.0.0+incompatible", "v2.0.0"}}},
		{name: "npm semver, v tolerated", typ: "npm",
			chain: []string{"1.0.0-0", "1.0.0-alpha", "1.0.0-alpha.beta", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0", "10.0.0"},
			equal: [][2]string{{"v4.17.21", "4.17.21"}}},
		{name: "cargo semver", typ: "cargo", chain: []string{"0.2.9", "0.2.10", "1.0.0"}},
		{name: "pypi PEP 440", typ: "pypi",
			chain: []string{"1.0.dev0", "1.0a0", "1.0a1.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0+local.1", "1.0+local.2", "1.0.post1.dev0", "1.0.post1", "1.1", "1.10", "1!0.1"},
			equal: [][2]string{{"1.0", "1.0.0"}, {"1.0", "v1.0"}, {"1.0alpha1", "1.0a1"}, {"1.0-1", "1.0.post1"}, {"1.0c1", "1.0rc1"}, {"1.0.preview2", "1.0rc2"}, {"0!1.0", "1.0"}, {"1.0RC1", "1.0rc1"}}},
		{name: "maven qualifiers", typ: "maven",
			chain: []string{"1-alpha-1", "1-alpha2", "1-beta-2", "1-milestone-1", "1-rc", "1-snapshot", "1", "1-sp", "1-sp2", "1-abc", "1-def", "1-1", "1-2", "1.1"},
			equal: [][2]string{{"1", "1.0"}, {"1", "1.0.0"}, {"1", "1-ga"}, {"1", "1-final"}, {"1", "1-release"}, {"1-cr", "1-rc"}, {"1a1", "1-alpha-1"}, {"1b2", "1-beta-2"}, {"1m3", "1-milestone-3"}, {"1X", "1x"}, {"1-SNAPSHOT", "1-snapshot"}}},
		{name: "maven numbers", typ: "maven",
			chain: []string{"2.0", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-1", "2.1.0.1", "2.2", "2.123", "11"}},
		{name: "deb epochs, tilde and revisions", typ: "deb",
			chain: []string{"1.0~rc1", "1.0", "1.0-1", "1.0-1ubuntu1", "1.0-2", "1.0a", "1.0+b1", "1.1~~", "1.1~", "1.1", "2:0.1", "2:0.1-1~bpo1", "2:0.1-1"},
			equal: [][2]string{{"0:1.0", "1.0"}, {"1.0-0", "1.0"}, {"1.01", "1.1"}}},
		{name: "rpm", typ: "rpm",
			chain: []string{"1.0~rc1", "1.0", "1.0-1", "1.0-2", "1.0^git1", "1.0a", "1.0.1", "1:0.9"},
			equal: [][2]string{{"0:1.0-1", "1.0-1"}, {"1.0_1", "1.0.1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for i, a := range tc.chain {
				for j, b := range tc.chain {
					want := 0
					switch {
					case i < j:
						want = -1
					case i > j:
						want = 1
					}
					got, err := inventory.CompareVersions(tc.typ, a, b)
					if err != nil || got != want {
						t.Errorf("CompareVersions(%s, %q, %q) = %d, %v; want %d", tc.typ, a, b, got, err, want)
					}
				}
			}
			for _, e := range tc.equal {
				if got, err := inventory.CompareVersions(tc.typ, e[0], e[1]); err != nil || got != 0 {
					t.Errorf("CompareVersions(%s, %q, %q) = %d, %v; want 0", tc.typ, e[0], e[1], got, err)
				}
			}
		})
	}
}

func TestCompareVersionsRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		typ     string
		a, b    string
		wantErr error
	}{
		{name: "unknown ecosystem", typ: "gem", a: "1.0", b: "1.0", wantErr: inventory.ErrUnsupportedEcosystem},
		{name: "golang devel build", typ: "golang", a: "(devel)", b: "v1.0.0", wantErr: inventory.ErrInvalidVersion},
		{name: "golang shorthand", typ: "golang", a: "v1.2", b: "v1.2.0", wantErr: inventory.ErrInvalidVersion},
		{name: "npm leading zero", typ: "npm", a: "01.0.0", b: "1.0.0", wantErr: inventory.ErrInvalidVersion},
		{name: "pypi not PEP 440", typ: "pypi", a: "1.0-beta-banana", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "deb upstream without digit", typ: "deb", a: "abc", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "deb bad epoch", typ: "deb", a: "x:1.0", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "empty", typ: "maven", a: "", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "maven control character", typ: "maven", a: "1.0\n", b: "1.0", wantErr: inventory.ErrInvalidVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := inventory.CompareVersions(tc.typ, tc.a, tc.b)
			if !errors.Is(err, tc.wantErr) || !errors.Is(err, inventory.ErrInvalid) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}
