package inventory_test

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
)

func FuzzParsePURL(f *testing.F) {
	for _, s := range []string{"pkg:golang/golang.org/x/net@v0.33.0", "pkg:npm/@angular/core@16.2.0", "pkg:npm/%40a/b%2Fc",
		"pkg:pypi/Django_REST@4.1?x=1#a/b", "pkg:deb/debian/openssl@3.0.11-1?epoch=1", "pkg://maven/org.a/b@1", "pkg:npm/a%zz", "pkg:a/b@c@d",
		"pkg:pypi/Zope._-Interface@5.5", "pkg:pypi/...", "pkg:pypi/a%2E%5F-b", "pkg:PyPI/ns.x/A__b", "pkg:npm/a..b",
		"pkg:golang/github.com/Foo/Bar@v1.0.0", "pkg:npm/%40Scope/%E2%84%AA", "pkg:maven/Org.A/B@1?type=jar", "pkg:nuget/%C4%B0",
		// Source packages (upstream qualifiers as syft writes them), and
		// hints that name none.
		"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12",
		"pkg:deb/debian/libc6@2.36-9%2Bb1?arch=amd64&upstream=glibc%402.36-9", "pkg:deb/debian/bsdutils@1:2.38.1-5+b1?upstream=util-linux%402.38.1-5",
		"pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&upstream=openssl", "pkg:alpm/arch/gcc-libs@13.2.1-5?upstream=gcc",
		"pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm",
		"pkg:rpm/redhat/libgcc@11.4.1-2.1.el9?upstream=gcc-11.4.1-3.el9.nosrc.rpm", "pkg:rpm/redhat/x@1-1?upstream=%28none%29",
		"pkg:rpm/redhat/x@1-1?upstream=x--1.src.rpm", "pkg:deb/debian/x@1?upstream=%40", "pkg:deb/debian/x?upstream=Y%401%3A",
		"pkg:deb/debian/OpenSSL@1?upstream=openSSL", "pkg:apk/a/x@1?upstream=y%40%25", "pkg:deb/debian/x@1?upstream=y%40%3A1",
		// Epochs in the qualifier and the version (review 23).
		"pkg:rpm/redhat/openssl?epoch=1", "pkg:rpm/redhat/openssl@0:2.1-1?epoch=1", "pkg:rpm/redhat/openssl@1:2.1-1?epoch=01",
		"pkg:alpm/arch/x?epoch=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := inventory.ParsePURL(s)
		if err != nil {
			return
		}
		if p.Type == "" || p.Name == "" {
			t.Fatalf("%q parsed without a type or name: %+v", s, p)
		}
		again, err := inventory.ParsePURL(p.String())
		if err != nil || again != p {
			t.Fatalf("canonical %q of %q reads back as %+v, %v; want %+v", p.String(), s, again, err, p)
		}
		if p.Type == "pypi" && (strings.ContainsAny(p.Name, "._") || strings.Contains(p.Name, "--") || p.Name != strings.ToLower(p.Name)) {
			t.Fatalf("pypi name %q of %q is not PEP 503 normalized", p.Name, s)
		}
		if k, err := inventory.CanonicalKey(p.Key()); err != nil || k != p.Key() {
			t.Fatalf("CanonicalKey(%q) = %q, %v: a current key must be its own canonical key", p.Key(), k, err)
		}
		checkSpelling(t, s, p)
	})
}

// checkSpelling checks the spelling Normalize keeps of package URL s, p
// parsed: it parses again to the same package, and where the type's keys
// keep case it is the key itself (drift relies on that for packages whose
// spelling is unknown). A source package it derives from s is of p's type
// and namespace, under a key that is its own canonical key, names s as
// spelled in From, and no other entry.
func checkSpelling(t *testing.T, s string, p inventory.PURL) {
	_, es, err := inventory.Normalize(inventory.Admission{DecisionID: "d", Digest: "sha256:" + strings.Repeat("0", 64),
		Time: time.Unix(1, 0), Packages: []inventory.Package{{PURL: s}}})
	if err != nil {
		return // the version is out of bounds
	}
	spelled := es[0].Package().Spelled
	again, err := inventory.ParsePURL(spelled)
	if err != nil || again != p {
		t.Fatalf("spelling %q of %q reads back as %+v, %v; want %+v", spelled, s, again, err, p)
	}
	if !inventory.FoldsCase(p.Type) && es[0].Spelled != es[0].Key {
		t.Fatalf("%q: spelling %q differs from key %q, of a type whose keys keep case", s, es[0].Spelled, es[0].Key)
	}
	if es[0].Package().Source || len(es) > 2 {
		t.Fatalf("%q: entries %+v", s, es)
	}
	if len(es) == 1 {
		return
	}
	src := es[1].Package()
	u, err := inventory.ParsePURL(src.PURL)
	if err != nil || !src.Source || src.Spelled != "" || u.Type != p.Type || u.Namespace != p.Namespace || u.Version != es[1].Version ||
		(u.Key() == p.Key() && u.Version == p.Version) {
		t.Fatalf("%q: source package %+v (%+v, %v) of %+v", s, src, u, err, p)
	}
	if k, err := inventory.CanonicalKey(es[1].Key); err != nil || k != es[1].Key || k != u.Key() {
		t.Fatalf("%q: source key %q is not canonical: %q, %v", s, es[1].Key, k, err)
	}
	if from, err := inventory.ParsePURL(src.From); err != nil || from != again {
		t.Fatalf("%q: source package from %q (%+v, %v), want the package as spelled, %+v", s, src.From, from, err, again)
	}
}

func fuzzSBOM(f *testing.F, predicateType string, seeds ...string) {
	for _, s := range seeds {
		b, err := os.ReadFile("testdata/" + s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		pkgs, err := inventory.Packages(predicateType, doc)
		if err != nil {
			return
		}
		for _, p := range pkgs {
			if _, err := inventory.ParsePURL(p.PURL); err != nil {
				t.Fatalf("extracted a package URL that does not parse: %v", err)
			}
		}
		// What an SBOM lists, Record takes: a source hint read from it
		// never makes the admission fail.
		a := inventory.Admission{DecisionID: "d", Digest: "sha256:" + strings.Repeat("0", 64), Time: time.Unix(1, 0), Packages: pkgs}
		if _, _, err := inventory.Normalize(a); err != nil && !strings.Contains(err.Error(), "version") {
			t.Fatalf("packages of an SBOM do not record: %v", err)
		}
	})
}

func FuzzSPDXPackages(f *testing.F) {
	f.Add([]byte(`{"spdxVersion":"SPDX-2.2","SPDXID":"SPDXRef-DOCUMENT","packages":[{"externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:npm/a@1"}]}]}`))
	f.Add([]byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"versionInfo":"2.14.1","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:maven/a/b@2.17.1"}]}]}`))
	f.Add([]byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"versionInfo":"1:2-1","externalRefs":[{"referenceCategory":"PACKAGE_MANAGER","referenceType":"purl","referenceLocator":"pkg:deb/debian/a@2-1?epoch=1"}]}]}`))
	f.Add([]byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"versionInfo":"2-1","externalRefs":[{"referenceCategory":"PACKAGE_MANAGER","referenceType":"purl","referenceLocator":"pkg:rpm/redhat/a?epoch=1"}]}]}`))
	// Element floods (strictjson.ErrTooManyElements).
	f.Add([]byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[` + strings.Repeat("{},", 2000) + `{}]}`))
	f.Add([]byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"externalRefs":[` + strings.Repeat("{},", 2000) + `{}]}]}`))
	fuzzSBOM(f, inventory.PredicateSPDX, "spdx-2.3-syft.json", "spdx-3-unsupported.json")
}

func FuzzCycloneDXPackages(f *testing.F) {
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.4","components":[{"purl":"pkg:cargo/serde","version":"1.0.0","components":[{"purl":"pkg:npm/x@1"}]}]}`))
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"purl":"pkg:deb/debian/libssl3@1?upstream=x#s","properties":[{"name":"aquasecurity:trivy:SrcName","value":"openssl"}]},` +
		`{"purl":"pkg:rpm/r/a?","version":"1-1","properties":[{"name":"aquasecurity:trivy:SrcName","value":"b"},{"name":"aquasecurity:trivy:SrcEpoch","value":"07"},{"name":"aquasecurity:trivy:SrcVersion","value":"2"}]}]}`))
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"component":{"purl":"pkg:oci/a@sha256%3A00","components":[{"purl":"pkg:golang/a/b@v1.0.0","version":"1.0.0","components":[{"purl":"pkg:npm/x@1","version":"2"}]}]}}}`))
	// Element floods (strictjson.ErrTooManyElements).
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[` + strings.Repeat("{},", 1000) + `{}]}`))
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"properties":[` + strings.Repeat("{},", 3000) + `{}]}]}`))
	fuzzSBOM(f, inventory.PredicateCycloneDX, "cyclonedx-1.5-nested.json", "cyclonedx-malformed-purl.json", "cyclonedx-1.7-unsupported.json",
		"cyclonedx-1.5-trivy.json")
}

var fuzzTypes = []string{"golang", "npm", "cargo", "pypi", "maven", "deb", "rpm", "apk", "gem", "nuget", "composer", "hex", "pub", "swift"}

// FuzzCompareVersions checks that every ordering is reflexive and
// antisymmetric on whatever parses, and never panics.
func FuzzCompareVersions(f *testing.F) {
	seeds := [][2]string{{"v1.0.0", "v1.0.0-rc.1"}, {"1.0.dev0", "1!0.1+local.7"}, {"1-alpha-1", "1.0-SP2.x"}, {"2:1.0~rc1-1", "1.0+b1"},
		{"1.0^git1", "1.0~rc1-3.el9"}, {"1..0--", "-.1"}, {"0a", "0.a1-"}}
	for i, s := range seeds {
		f.Add(uint8(i), s[0], s[1])
	}
	for _, s := range [][2]string{{"3.1.4-r5", "3.1.4_rc1-r0"}, {"1.02.07b_p1_alpha2-r3", "1.2.7"}, {"0.1.0_alpha_pre2", "0.1.0_alpha"},
		{"1.0-r0", "1.0.0_p1"}, {"2_git20240101-r1", "2~abc-r1"}} {
		f.Add(uint8(slices.Index(fuzzTypes, "apk")), s[0], s[1])
	}
	for typ, pairs := range map[string][][2]string{
		"gem": {{"1.0.0.a", "1.0"}, {"0.0.beta", "0.beta.1"}, {"1.0.0-rc.1", "1.0.0.pre.rc1.0"}, {"5.a", "5.x"},
			{"2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.", "1..2"}, {"1.0.a0.0", "1.0.0.a.1.0"}},
		"nuget": {{"1.0.0.1-1.2.A", "1.0.0.1-1.2.a+A"}, {"1.0.0-beta.x.y.5.2147483648", "1.0.0--1"}, {"1.2.3.4.5", "01.0"}, {"1.0.0-", "1.0.0+"}},
		"composer": {{"1.0.0RC1dev", "1.0.0.0-RC1-dev"}, {"v1.13.11-beta.0", "20100102-203040-p1"}, {"1.0.0-STABLE", "1.0.0-dev"},
			{"dev-main", "1.x-dev"}, {"2010-01-02-10-20-30.0.3", "1.0.0+foo"}, {"99999", "100000"}},
		"hex":   {{"1.0.0-rc.1+build.1", "1.0.0"}, {"1.0", "01.0.0"}},
		"pub":   {{"1.0.0-rc.1+build.1", "1.0.0+0.3.7"}, {"01.2.3-01", "1.2.3+1"}, {"1.0.0-0x1f", "1.0.0+-1"}, {"1.0.0-99999999999999999999", "1.0.0"}},
		"swift": {{"1.0.0--1", "1.0.0-alpha.1"}, {"v5.4.3+meta", "5.4.3"}},
	} {
		for _, s := range pairs {
			f.Add(uint8(slices.Index(fuzzTypes, typ)), s[0], s[1])
		}
	}
	f.Fuzz(func(t *testing.T, ti uint8, a, b string) {
		typ := fuzzTypes[int(ti)%len(fuzzTypes)]
		ab, errA := inventory.CompareVersions(typ, a, b)
		ba, errB := inventory.CompareVersions(typ, b, a)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("%s: compare(%q, %q) err %v but reversed err %v", typ, a, b, errA, errB)
		}
		if errA != nil {
			return
		}
		if ab != -ba || ab < -1 || ab > 1 {
			t.Fatalf("%s: compare(%q, %q) = %d but compare(%q, %q) = %d", typ, a, b, ab, b, a, ba)
		}
		for _, v := range []string{a, b} {
			if c, err := inventory.CompareVersions(typ, v, v); err != nil || c != 0 {
				t.Fatalf("%s: compare(%q, itself) = %d, %v", typ, v, c, err)
			}
		}
		// Review 32: SortVersions orders and ranks as CompareVersions.
		vs := []string{a, b}
		ranks, err := inventory.SortVersions(typ, vs)
		if err != nil {
			t.Fatalf("%s: SortVersions(%q, %q): %v", typ, a, b, err)
		}
		if c, _ := inventory.CompareVersions(typ, vs[0], vs[1]); c != -(ranks[1]-ranks[0]) || ab == 0 && vs[0] != a {
			t.Fatalf("%s: SortVersions(%q, %q) = %q, ranks %v; compare %d", typ, a, b, vs, ranks, c)
		}
	})
}
