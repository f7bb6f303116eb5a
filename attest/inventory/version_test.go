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
		// rubygems/rubygems test/rubygems/test_gem_version.rb (MIT):
		// test_spaceship, test_semver, test_canonical_segments.
		{name: "gem prereleases, trailing zeros", typ: "gem",
			chain: []string{"0.0.beta", "0.beta.1", "0.0.0", "1.0.0.a", "1.0.0.b1", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-beta.11",
				"1.0.0-rc.1", "1.0.0-1", "1.0", "1.8.2.a", "1.8.2.a9", "1.8.2.a10", "1.8.2.b", "1.8.2", "1.9.2.99", "1.9.3", "1.9.3.1",
				"5.a", "5.0.0.rc2", "5.x", "5", "10.0"},
			equal: [][2]string{{"1.0", "1.0.0"}, {"0.beta.1", "0.0.beta.1"}, {"1.2.b1", "1.2.b.1"}, {"1.2.pre.1", "1.2.0.pre.1.0"}, {"1.0.0-rc.1", "1.0.0-rc1"},
				{"1.0.0.a.1.0", "1.a.1"}, {"1.2.3-1", "1.2.3.pre.1"}, {"01.2", "1.2"}}},
		// NuGet/NuGet.Client test/NuGet.Core.Tests/NuGet.Versioning.Test/
		// VersionComparerTests.cs (Apache-2.0).
		{name: "nuget four parts, labels without case, metadata ignored", typ: "nuget",
			chain: []string{"0.0.0", "1.0.0-1", "1.0.0-BETA", "1.0.0-beta.1+AA", "1.0.0-beta.x.y.5.77.0+aa", "1.0.0-BETA.X.y.5.79.0+AA",
				"1.0.0-beta.x.y.5.790.0+abc", "1.0.0-beta.x.y.5.2147483648", "1.0.0-beta-", "1.0.0-beta2", "1.0.0", "1.0.0.1-1.2.A",
				"1.0.0.1-1.2.a.A+A", "1.0.0.1", "1.0.1", "1.0.1.2", "1.1.0", "1.999.9999", "2.1.1"},
			equal: [][2]string{{"1.0.0-BETA", "1.0.0-beta"}, {"1.0.0-BETA+AA", "1.0.0-beta+aa"}, {"1.0.0", "1.0.0+beta"},
				{"1.0", "1.0.0.0"}, {"1.0+test", "1.0.0.0"}, {"1.0.0.1-1.2.A", "1.0.0.1-1.2.a+A"}, {"1.0.01", "1.0.1.0"}, {"1", "1.0"}}},
		// composer/semver tests/VersionParserTest.php successfulNormalizedVersions,
		// tests/SemverTest.php sortProvider, tests/ComparatorTest.php (MIT).
		{name: "composer stabilities and normalization", typ: "composer",
			chain: []string{"0.1", "1.0.0.0-dev", "1.0.0-alpha", "1.0.0-alpha2", "1.0.0-alpha2.1", "1.0.0-beta", "1.0.0-b5",
				"1.0.0-RC1-dev", "1.0.0-RC1", "1.0.0", "1.0.0-p1", "1.0.0-patch2", "1.0.0.1", "1.2-dev", "1.24.0", "1.25.0", "2.4.0-alpha",
				"2.4.0", "3.2.1", "50.2", "99999", "100000", "20100102", "20100102.0.3", "20100102203040-10"},
			equal: [][2]string{{"1.0.0", "1.0.0.0"}, {"1.0.0RC1dev", "1.0.0.0-RC1-dev"}, {"1.0.0-rC15-dev", "1.0.0.0-RC15-dev"},
				{"1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"}, {"1.0.0.pl3-dev", "1.0.0.0-patch3-dev"}, {"10.4.13beta.2", "10.4.13.0-beta2"},
				{"v1.13.11-beta.0", "1.13.11.0-beta0"}, {"10.4.13-b5", "10.4.13.0-beta5"}, {"v1.0.0", "1.0.0.0"}, {"1.0", "1.0.0.0"}, {"2010-01-02-10-20-30.5", "2010.01.02.10.20.30.5"},
				{"1.0.0-beta.5+foo", "1.0.0.0-beta5"}, {"1.0.0+foo", "1.0.0.0"}, {"00.01.03.04", "0.1.3.4"}, {"1.0.0-stable", "1.0.0"},
				{"20100102-203040-p1", "20100102.203040-patch1"}}},
		{name: "hex semver", typ: "hex",
			chain: []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0"},
			equal: [][2]string{{"1.0.0+build.1", "1.0.0"}}},
		// dart-lang/pub_semver test/version_test.dart (BSD-3-Clause):
		// the "comparison" group.
		{name: "pub orders build metadata", typ: "pub",
			chain: []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0-rc.1+build.1", "1.0.0",
				"1.0.0+0.3.7", "1.3.7+build", "1.3.7+build.2.b8f12d7", "1.3.7+build.11.e0f985a", "2.0.0", "2.1.0", "2.2.0", "2.11.0", "2.11.1"},
			equal: [][2]string{{"01.2.3", "1.2.3"}, {"1.02.3", "1.2.3"}, {"1.2.03", "1.2.3"}, {"1.2.3-01", "1.2.3-1"}, {"1.2.3+01", "1.2.3+1"}}},
		{name: "swift semver", typ: "swift",
			chain: []string{"1.0.0-1", "1.0.0-alpha", "1.0.0-alpha.beta", "1.0.0", "5.4.3", "5.10.0"},
			equal: [][2]string{{"5.4.3+meta", "5.4.3"}}},
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
		{name: "unknown ecosystem", typ: "conan", a: "1.0", b: "1.0", wantErr: inventory.ErrUnsupportedEcosystem},
		// rubygems test_initialize_invalid, CVE-2013-4287's string included.
		{name: "gem junk", typ: "gem", a: "junk", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "gem empty segment", typ: "gem", a: "1..2", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "gem space", typ: "gem", a: "1.2 3.4", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "gem CVE-2013-4287", typ: "gem", a: "2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "nuget five parts", typ: "nuget", a: "1.2.3.4.5", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "nuget leading zero label", typ: "nuget", a: "1.0.0-01", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "nuget part beyond int32", typ: "nuget", a: "2147483648.0.0", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "nuget empty label", typ: "nuget", a: "1.0.0-beta..1", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "nuget trailing dot", typ: "nuget", a: "1.0.", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "composer branch", typ: "composer", a: "dev-main", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "composer branch alias", typ: "composer", a: "1.x-dev", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "composer five parts", typ: "composer", a: "1.0.0.0.0", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "composer unknown stability", typ: "composer", a: "1.0.0-gamma", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "composer empty metadata", typ: "composer", a: "1.0.0+", b: "1.0", wantErr: inventory.ErrInvalidVersion},
		{name: "hex shorthand", typ: "hex", a: "1.0", b: "1.0.0", wantErr: inventory.ErrInvalidVersion},
		{name: "pub two parts", typ: "pub", a: "1.0", b: "1.0.0", wantErr: inventory.ErrInvalidVersion},
		{name: "pub v prefix", typ: "pub", a: "v1.0.0", b: "1.0.0", wantErr: inventory.ErrInvalidVersion},
		{name: "pub hexadecimal identifier", typ: "pub", a: "1.0.0-0x1f", b: "1.0.0", wantErr: inventory.ErrInvalidVersion},
		{name: "pub signed identifier", typ: "pub", a: "1.0.0+-1", b: "1.0.0", wantErr: inventory.ErrInvalidVersion},
		{name: "pub beyond 64 bits", typ: "pub", a: "1.0.0-99999999999999999999", b: "1.0.0", wantErr: inventory.ErrInvalidVersion},
		{name: "swift signed identifier", typ: "swift", a: "1.0.0--1", b: "1.0.0", wantErr: inventory.ErrInvalidVersion},
		{name: "swift leading zero", typ: "swift", a: "1.0.0-01", b: "1.0.0", wantErr: inventory.ErrInvalidVersion},
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
