package inventorytest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
)

// Digest returns a well-formed artifact digest derived from s.
func Digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(h[:])
}

// T0 is the time of the first admission the suite records.
var T0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

// Admission returns a well-formed admission: decision id, the digest
// derived from artifact, time T0, and the packages purls.
func Admission(id, artifact string, purls ...string) inventory.Admission {
	a := inventory.Admission{DecisionID: id, Digest: Digest(artifact), Time: T0}
	for _, p := range purls {
		a.Packages = append(a.Packages, inventory.Package{PURL: p})
	}
	return a
}

// Run checks a Store against the contract of [inventory.Store]. newStore
// must return an empty store each time it is called; Run closes nothing
// (register cleanups in newStore).
func Run(t *testing.T, newStore func(t *testing.T) inventory.Store) {
	t.Run("RangeQueryFindsAdmissionsWithPackageInRange", func(t *testing.T) {
		s := newStore(t)
		recordFixture(t, s)
		res := query(t, s, inventory.Query{Package: "pkg:golang/golang.org/x/net", Ranges: []inventory.Range{{Fixed: "0.33.0"}}})
		if got := ids(res); !slices.Equal(got, []string{"d-devel", "d-old"}) {
			t.Fatalf("decisions = %v, want [d-devel d-old] (newest first)", got)
		}
		old := res.Admissions[1]
		want := inventory.Admission{DecisionID: "d-old", Digest: Digest("old"), Image: "registry.example/app:v1",
			Builders: []string{"https://ci.example/builder@v1"}, Job: "spiffe://example.org/job/deploy", PolicyRevision: "rev-1",
			Time: T0.Truncate(time.Microsecond), Packages: []inventory.Package{{PURL: "pkg:golang/golang.org/x/net@v0.30.0",
				Spelled: "pkg:golang/golang.org/x/net@v0.30.0", Version: "v0.30.0"}},
			Signers: []inventory.Signer{releaseSigner, {KeyID: "sbom-key-1"}}}
		if !equalAdmission(old, want) {
			t.Fatalf("admission = %+v\nwant %+v", old, want)
		}
		devel := res.Admissions[0].Packages
		if len(devel) != 1 || !devel[0].Unordered || devel[0].Version != "(devel)" {
			t.Fatalf("a version that cannot be ordered must be listed as unordered, got %+v", devel)
		}
	})
	t.Run("RangeBoundsAndExactVersions", func(t *testing.T) {
		s := newStore(t)
		recordFixture(t, s)
		cases := []struct {
			q    inventory.Query
			want []string
		}{
			{inventory.Query{Package: "pkg:golang/golang.org/x/net", Ranges: []inventory.Range{{Introduced: "0.30.0", LastAffected: "0.30.0"}}}, []string{"d-devel", "d-old"}},
			{inventory.Query{Package: "pkg:golang/golang.org/x/net", Ranges: []inventory.Range{{Introduced: "0.33.0"}}}, []string{"d-devel", "d-new"}},
			// An exact version lists a version that does not order
			// ((devel)) too: it may be that version.
			{inventory.Query{Package: "pkg:golang/golang.org/x/net", Versions: []string{"0.35.0"}}, []string{"d-devel", "d-new"}},
			{inventory.Query{Package: "pkg:golang/golang.org/x/net", Versions: []string{"v0.31.0"}}, []string{"d-devel"}},
			{inventory.Query{Package: "pkg:golang/golang.org/x/net"}, []string{"d-devel", "d-new", "d-old"}},
			{inventory.Query{Package: "pkg:golang/Golang.org/X/Net?goos=linux#sub"}, []string{"d-devel", "d-new", "d-old"}},
			{inventory.Query{Package: "pkg:pypi/Django_Rest", Ranges: []inventory.Range{{Introduced: "0", Fixed: "4.2"}}}, []string{"d-old"}},
			{inventory.Query{Package: "pkg:deb/debian/openssl", Ranges: []inventory.Range{{Fixed: "1:3.0.11-1~deb12u2"}}}, []string{"d-new"}},
			{inventory.Query{Package: "pkg:maven/org.apache.logging.log4j/log4j-core", Ranges: []inventory.Range{{Introduced: "2.0-beta9", Fixed: "2.15.0"}}}, []string{"d-old"}},
			// A type without an ordering matches exact versions byte
			// for byte.
			{inventory.Query{Package: "pkg:conan/zlib", Versions: []string{"1.3.1"}}, []string{"d-new"}},
			{inventory.Query{Package: "pkg:conan/zlib", Versions: []string{"1.3.01"}}, nil},
			// RubyGems orders (and equates) as Gem::Version does.
			{inventory.Query{Package: "pkg:gem/rails", Versions: []string{"7.0.01"}}, []string{"d-new"}},
			{inventory.Query{Package: "pkg:gem/rails", Ranges: []inventory.Range{{Introduced: "7.0.0", Fixed: "7.0.1"}}}, nil},
			{inventory.Query{Package: "pkg:gem/rails", Ranges: []inventory.Range{{Introduced: "7.0.1.rc1", Fixed: "7.0.2"}}}, []string{"d-new"}},
			{inventory.Query{Package: "pkg:npm/absent"}, nil},
			{inventory.Query{Digest: Digest("new"), Package: "pkg:golang/golang.org/x/net"}, []string{"d-new"}},
			{inventory.Query{Builder: "https://ci.example/builder@v2", Package: "pkg:golang/golang.org/x/net", Versions: []string{"v0.30.0"}}, []string{"d-devel"}},
		}
		for _, c := range cases {
			if got := ids(query(t, s, c.q)); !slices.Equal(got, c.want) {
				t.Errorf("query %+v = %v, want %v", c.q, got, c.want)
			}
		}
	})
	t.Run("ExactVersionsListUnknownVersions", func(t *testing.T) {
		s := newStore(t)
		if err := s.Record(t.Context(), Admission("d-bare", "bare", "pkg:maven/org.apache.logging.log4j/log4j-core", "pkg:conan/zlib")); err != nil {
			t.Fatal(err)
		}
		if err := s.Record(t.Context(), Admission("d-fixed", "fixed", "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", "pkg:conan/zlib@1.3.2")); err != nil {
			t.Fatal(err)
		}
		// A package listed without a version may be the version asked
		// for: an exposure query lists it, marked Unordered, rather than
		// answering "not deployed"; one at another version is left out.
		for _, q := range []inventory.Query{
			{Package: "pkg:maven/org.apache.logging.log4j/log4j-core", Versions: []string{"2.14.1"}},
			{Package: "pkg:conan/zlib", Versions: []string{"1.3.1"}},
		} {
			res := query(t, s, q)
			if got := ids(res); !slices.Equal(got, []string{"d-bare"}) {
				t.Fatalf("query %+v = %v, want [d-bare]", q, got)
			}
			if p := res.Admissions[0].Packages; len(p) != 1 || !p[0].Unordered || p[0].Version != "" {
				t.Fatalf("query %+v: packages %+v, want one without version, marked unordered", q, p)
			}
		}
	})
	t.Run("PyPINamesMatchAsPyPICompares", func(t *testing.T) {
		s := newStore(t)
		a := Admission("d-py", "py", "pkg:pypi/zope.interface@5.5", "pkg:pypi/Zope_Interface@5.5", "pkg:pypi/ruamel.yaml@0.17.21")
		if err := s.Record(t.Context(), a); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"pkg:pypi/zope-interface", "pkg:pypi/zope.interface", "pkg:pypi/ZOPE__Interface", "pkg:pypi/zope-.interface"} {
			res := query(t, s, inventory.Query{Package: name, Ranges: []inventory.Range{{Fixed: "6.0"}}})
			if got := ids(res); !slices.Equal(got, []string{"d-py"}) {
				t.Fatalf("query %s = %v, want [d-py]", name, got)
			}
			if p := res.Admissions[0].Packages; len(p) != 1 || p[0].PURL != "pkg:pypi/zope-interface@5.5" {
				t.Fatalf("query %s: packages %+v, want one pkg:pypi/zope-interface@5.5 (spellings merged)", name, p)
			}
		}
		if got := ids(query(t, s, inventory.Query{Package: "pkg:pypi/ruamel_yaml", Versions: []string{"0.17.21"}})); !slices.Equal(got, []string{"d-py"}) {
			t.Fatalf("ruamel_yaml = %v, want [d-py]", got)
		}
		if got := ids(query(t, s, inventory.Query{Package: "pkg:pypi/zopeinterface"})); got != nil {
			t.Fatalf("a name without the separator is another project, got %v", got)
		}
	})
	t.Run("NuGetIDsMatchCaseInsensitively", func(t *testing.T) {
		s := newStore(t)
		if err := s.Record(t.Context(), Admission("d-nu", "nu", "pkg:nuget/newtonsoft.json@12.0.1", "pkg:nuget/Newtonsoft.Json@12.0.1")); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"pkg:nuget/Newtonsoft.Json", "pkg:nuget/newtonsoft.json", "pkg:nuget/NEWTONSOFT.JSON"} {
			res := query(t, s, inventory.Query{Package: name, Versions: []string{"12.0.1"}})
			if got := ids(res); !slices.Equal(got, []string{"d-nu"}) {
				t.Fatalf("query %s = %v, want [d-nu]", name, got)
			}
			if p := res.Admissions[0].Packages; len(p) != 1 || p[0].PURL != "pkg:nuget/newtonsoft.json@12.0.1" {
				t.Fatalf("query %s: packages %+v, want one pkg:nuget/newtonsoft.json@12.0.1 (spellings merged)", name, p)
			}
		}
	})
	t.Run("SpellingKeptBesideTheKey", func(t *testing.T) {
		s := newStore(t)
		recordSpellings(t, s)
		// A query matches across case, as the index key folds it.
		for _, name := range []string{"pkg:golang/github.com/foo/bar", "pkg:golang/github.com/FOO/Bar"} {
			res := query(t, s, inventory.Query{Package: name, Versions: []string{"v1.0.0"}})
			if got := ids(res); !slices.Equal(got, []string{"d-upper", "d-lower", "d-both"}) {
				t.Fatalf("query %s = %v, want [d-upper d-lower d-both] (newest first)", name, got)
			}
			for i, want := range []string{"pkg:golang/github.com/Foo/bar@v1.0.0", "pkg:golang/github.com/foo/bar@v1.0.0", ""} {
				p := res.Admissions[i].Packages
				if len(p) != 1 || p[0].PURL != "pkg:golang/github.com/foo/bar@v1.0.0" || p[0].Spelled != want {
					t.Fatalf("query %s, %s: packages %+v, want one pkg:golang/github.com/foo/bar@v1.0.0 spelled %q",
						name, res.Admissions[i].DecisionID, p, want)
				}
			}
		}
		res := query(t, s, inventory.Query{Digest: Digest("upper")})
		want := []inventory.Package{
			{PURL: "pkg:golang/github.com/foo/bar@v1.0.0", Spelled: "pkg:golang/github.com/Foo/bar@v1.0.0", Version: "v1.0.0"},
			{PURL: "pkg:npm/%40scope/left-pad@1.3.0", Spelled: "pkg:npm/%40Scope/Left-Pad@1.3.0", Version: "1.3.0"},
			{PURL: "pkg:pypi/zope-interface@5.4", Spelled: "pkg:pypi/Zope_Interface@5.4", Version: "5.4"}}
		if len(res.Admissions) != 1 || !slices.Equal(res.Admissions[0].Packages, want) {
			t.Fatalf("d-upper by digest: %+v, want packages %+v", res.Admissions, want)
		}
		res = query(t, s, inventory.Query{Package: "pkg:npm/%40SCOPE/left-pad"})
		if got := ids(res); !slices.Equal(got, []string{"d-upper"}) || res.Admissions[0].Packages[0].Spelled != "pkg:npm/%40Scope/Left-Pad@1.3.0" {
			t.Fatalf("npm across case: %+v", res.Admissions)
		}
	})
	t.Run("SourcePackagesFoundByTheirName", func(t *testing.T) {
		s := newStore(t)
		recordSources(t, s)
		deb := inventory.Package{PURL: "pkg:deb/debian/openssl@3.0.11-1~deb12u2", Version: "3.0.11-1~deb12u2", Source: true,
			From: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2"}
		glibc := inventory.Package{PURL: "pkg:deb/debian/glibc@2.36-9", Version: "2.36-9", Source: true, From: "pkg:deb/debian/libc6@2.36-9%2Bb1"}
		ubuntu := inventory.Package{PURL: "pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.15", Version: "3.0.2-0ubuntu1.15", Source: true,
			From: "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15"}
		alpine := inventory.Package{PURL: "pkg:apk/alpine/openssl@3.1.4-r5", Version: "3.1.4-r5", Source: true} // two binaries: From unknown
		rhel := inventory.Package{PURL: "pkg:rpm/redhat/openssl@1%3A3.0.7-24.el9", Version: "1:3.0.7-24.el9", Source: true,
			From: "pkg:rpm/redhat/openssl-libs@1%3A3.0.7-24.el9"}
		libssl3 := func(v string) inventory.Package {
			return inventory.Package{PURL: "pkg:deb/debian/libssl3@" + v, Spelled: "pkg:deb/debian/libssl3@" + v, Version: v}
		}
		cases := []struct {
			q    inventory.Query
			want map[string][]inventory.Package // by decision
		}{
			// An advisory's source package and range find the image
			// that lists only binaries built from it.
			{inventory.Query{Package: "pkg:deb/debian/openssl", Ranges: []inventory.Range{{Fixed: "3.0.13-1~deb12u1"}}},
				map[string][]inventory.Package{"d-debian": {deb}}},
			{inventory.Query{Package: "pkg:deb/debian/openssl", Ranges: []inventory.Range{{Fixed: "3.0.11-1~deb12u2"}}}, nil},
			// binNMU: the source's version, not the binary's.
			{inventory.Query{Package: "pkg:deb/debian/glibc", Ranges: []inventory.Range{{Introduced: "2.36-9", Fixed: "2.36-9+deb12u3"}}},
				map[string][]inventory.Package{"d-debian": {glibc}}},
			{inventory.Query{Package: "pkg:deb/debian/glibc", Versions: []string{"2.36-9+b1"}}, nil},
			{inventory.Query{Package: "pkg:deb/ubuntu/openssl", Ranges: []inventory.Range{{Fixed: "3.0.2-0ubuntu1.16"}}},
				map[string][]inventory.Package{"d-ubuntu": {ubuntu}}},
			{inventory.Query{Package: "pkg:apk/alpine/openssl", Versions: []string{"3.1.4-r5"}},
				map[string][]inventory.Package{"d-alpine": {alpine}}},
			// The source RPM's version-release with the binary's epoch.
			{inventory.Query{Package: "pkg:rpm/redhat/openssl", Ranges: []inventory.Range{{Fixed: "1:3.0.7-25.el9"}}},
				map[string][]inventory.Package{"d-rhel": {rhel}}},
			{inventory.Query{Package: "pkg:rpm/redhat/openssl", Ranges: []inventory.Range{{Fixed: "3.0.7-25.el9"}}}, nil},
			// The binary package is found by its own name as before,
			// also where its source hint is malformed (and ignored).
			{inventory.Query{Package: "pkg:deb/debian/libssl3", Ranges: []inventory.Range{{Fixed: "3.0.13-1~deb12u1"}}},
				map[string][]inventory.Package{"d-debian": {libssl3("3.0.11-1~deb12u2")}, "d-malformed": {libssl3("3.0.11-1~deb12u1")}}},
		}
		for _, c := range cases {
			res := query(t, s, c.q)
			got := map[string][]inventory.Package{}
			for _, a := range res.Admissions {
				got[a.DecisionID] = a.Packages
			}
			if len(got) != len(c.want) {
				t.Errorf("query %+v = %v, want %v", c.q, ids(res), c.want)
				continue
			}
			for id, want := range c.want {
				if !slices.Equal(got[id], want) {
					t.Errorf("query %+v, %s: packages %+v, want %+v", c.q, id, got[id], want)
				}
			}
		}
		res := query(t, s, inventory.Query{Digest: Digest("debian")})
		want := []inventory.Package{libssl3("3.0.11-1~deb12u2"), deb,
			{PURL: "pkg:deb/debian/libc6@2.36-9%2Bb1", Spelled: "pkg:deb/debian/libc6@2.36-9%2Bb1", Version: "2.36-9+b1"}, glibc}
		if len(res.Admissions) != 1 || !slices.Equal(res.Admissions[0].Packages, want) {
			t.Fatalf("d-debian by digest: %+v, want packages %+v", res.Admissions, want)
		}
	})
	t.Run("ByDigestAndBuilderReturnAllPackages", func(t *testing.T) {
		s := newStore(t)
		recordFixture(t, s)
		res := query(t, s, inventory.Query{Digest: Digest("old")})
		if len(res.Admissions) != 1 {
			t.Fatalf("got %d admissions", len(res.Admissions))
		}
		purls := PURLs(res.Admissions[0])
		slices.Sort(purls)
		want := []string{"pkg:golang/golang.org/x/net@v0.30.0", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "pkg:pypi/django-rest@4.1"}
		if !slices.Equal(purls, want) {
			t.Fatalf("packages = %v, want %v (canonical, duplicates merged)", purls, want)
		}
		if got := ids(query(t, s, inventory.Query{Builder: "https://ci.example/builder@v2"})); !slices.Equal(got, []string{"d-devel", "d-new"}) {
			t.Fatalf("by builder = %v", got)
		}
		// A builder id without "@" selects it at every "@<ref>", as the
		// gate's builder revocation matches it; nothing else.
		for _, c := range []struct {
			q    inventory.Query
			want []string
		}{
			{inventory.Query{Builder: "https://ci.example/builder"}, []string{"d-devel", "d-new", "d-old"}},
			{inventory.Query{Builder: "https://ci.example/builder", Digest: Digest("old")}, []string{"d-old"}},
			{inventory.Query{Builder: "https://ci.example/builder", PolicyRevision: "rev-2"}, []string{"d-new"}},
			{inventory.Query{Builder: "https://ci.example/build"}, nil},
			{inventory.Query{Builder: "https://ci.example/builder@v"}, nil},
			{inventory.Query{Builder: "https://ci.example/builder@v2@x"}, nil},
		} {
			if got := ids(query(t, s, c.q)); !slices.Equal(got, c.want) {
				t.Errorf("query %+v = %v, want %v", c.q, got, c.want)
			}
		}
	})
	t.Run("EveryBuilderIsIndexed", func(t *testing.T) {
		s := newStore(t)
		recordBuilders(t, s)
		// An artifact admitted with provenance from two builders is found
		// by either: revoking the second must not miss it.
		for _, c := range []struct {
			q    inventory.Query
			want []string
		}{
			{inventory.Query{Builder: "https://ci.example/builder@v1"}, []string{"d-rebuilt", "d-two"}},
			{inventory.Query{Builder: "https://other.example/builder@v7"}, []string{"d-two"}},
			{inventory.Query{Builder: "https://other.example/builder"}, []string{"d-two"}},
			{inventory.Query{Builder: "https://ci.example/builder@v2"}, []string{"d-rebuilt"}},
			// Two builders of d-rebuilt select it by their id without
			// "@": it is listed once.
			{inventory.Query{Builder: "https://ci.example/builder"}, []string{"d-rebuilt", "d-two"}},
			{inventory.Query{Builder: "https://other.example/builder@v7", Package: "pkg:npm/left-pad"}, []string{"d-two"}},
			{inventory.Query{Builder: "https://other.example/builder@v7", Digest: Digest("rebuilt")}, nil},
		} {
			if got := ids(query(t, s, c.q)); !slices.Equal(got, c.want) {
				t.Errorf("query %+v = %v, want %v", c.q, got, c.want)
			}
		}
		res := query(t, s, inventory.Query{Digest: Digest("two")})
		want := []string{"https://ci.example/builder@v1", "https://other.example/builder@v7"}
		if len(res.Admissions) != 1 || !slices.Equal(res.Admissions[0].Builders, want) {
			t.Fatalf("admission %+v, want builders %v in order, duplicates merged", res.Admissions, want)
		}
		res = query(t, s, inventory.Query{Package: "pkg:npm/left-pad"})
		if got := ids(res); !slices.Equal(got, []string{"d-none", "d-rebuilt", "d-two"}) || res.Admissions[0].Builders != nil ||
			!slices.Equal(res.Admissions[2].Builders, want) {
			t.Fatalf("by package: %+v", res.Admissions)
		}
	})
	t.Run("BySignerKeyAndPolicyRevision", func(t *testing.T) {
		s := newStore(t)
		recordFixture(t, s)
		cases := []struct {
			q    inventory.Query
			want []string
		}{
			// A SAN matches whatever its issuer, as the gate's signer
			// revocation does.
			{inventory.Query{Signer: releaseSigner.SAN}, []string{"d-new", "d-old"}},
			{inventory.Query{Signer: "https://github.com/org/repo/.github/workflows/release.yml"}, nil},
			{inventory.Query{KeyID: "sbom-key-1"}, []string{"d-old"}},
			{inventory.Query{KeyID: releaseSigner.SAN}, nil},
			{inventory.Query{Signer: releaseSigner.SAN, Builder: "https://ci.example/builder@v2"}, []string{"d-new"}},
			{inventory.Query{Signer: releaseSigner.SAN, Package: "pkg:golang/golang.org/x/net", Versions: []string{"v0.30.0"}}, []string{"d-old"}},
			{inventory.Query{KeyID: "sbom-key-1", Digest: Digest("new")}, nil},
			{inventory.Query{PolicyRevision: "rev-2"}, []string{"d-new"}},
			{inventory.Query{PolicyRevision: "rev-2", Package: "pkg:gem/rails"}, []string{"d-new"}},
			{inventory.Query{PolicyRevision: "rev-9"}, nil},
		}
		for _, c := range cases {
			if got := ids(query(t, s, c.q)); !slices.Equal(got, c.want) {
				t.Errorf("query %+v = %v, want %v", c.q, got, c.want)
			}
		}
		res := query(t, s, inventory.Query{Signer: releaseSigner.SAN})
		if got := res.Admissions[0].Signers; !slices.Equal(got, []inventory.Signer{{Issuer: "https://other.example", SAN: releaseSigner.SAN}, releaseSigner}) {
			t.Fatalf("signers of d-new = %+v (first order, duplicates merged)", got)
		}
		if res.Admissions[1].PolicyInput != nil {
			t.Fatal("a query without WithPolicyInput returned a policy input")
		}
		res = query(t, s, inventory.Query{Digest: Digest("old"), WithPolicyInput: true})
		if got := string(res.Admissions[0].PolicyInput); got != fixtureInput {
			t.Fatalf("policy input = %q, want %q byte for byte", got, fixtureInput)
		}
		res = query(t, s, inventory.Query{Package: "pkg:golang/golang.org/x/net", WithPolicyInput: true})
		if got := ids(res); !slices.Equal(got, []string{"d-devel", "d-new", "d-old"}) || res.Admissions[0].PolicyInput != nil ||
			string(res.Admissions[2].PolicyInput) != fixtureInput || len(res.Admissions[0].Signers) != 0 {
			t.Fatalf("by package with inputs: %+v", res.Admissions)
		}
	})
	t.Run("RefusesMalformedAdmissionsWhole", func(t *testing.T) {
		s := newStore(t)
		base := inventory.Admission{DecisionID: "d-x", Digest: Digest("x"), Time: T0}
		bad := map[string]func(*inventory.Admission){
			"no decision id": func(a *inventory.Admission) { a.DecisionID = "" },
			"bad digest":     func(a *inventory.Admission) { a.Digest = "sha256:abc" },
			"no time":        func(a *inventory.Admission) { a.Time = time.Time{} },
			"control in job": func(a *inventory.Admission) { a.Job = "a\nb" },
			"malformed purl": func(a *inventory.Admission) {
				a.Packages = []inventory.Package{{PURL: "pkg:npm/ok@1.0.0"}, {PURL: "npm/left-pad@1.0.0"}}
			},
			"version conflict": func(a *inventory.Admission) {
				a.Packages = []inventory.Package{{PURL: "pkg:npm/a@1.0.0", Version: "2.0.0"}}
			},
			"signer without SAN or key": func(a *inventory.Admission) { a.Signers = []inventory.Signer{{Issuer: "https://issuer.example"}} },
			"control in signer":         func(a *inventory.Admission) { a.Signers = []inventory.Signer{{SAN: "a\x00b"}} },
			"too many signers": func(a *inventory.Admission) {
				for i := range inventory.MaxSigners + 1 {
					a.Signers = append(a.Signers, inventory.Signer{KeyID: fmt.Sprint("k", i)})
				}
			},
			"empty builder":      func(a *inventory.Admission) { a.Builders = []string{"https://ci.example/builder", ""} },
			"spaced builder":     func(a *inventory.Admission) { a.Builders = []string{"https://ci.example/a https://ci.example/b"} },
			"control in builder": func(a *inventory.Admission) { a.Builders = []string{"https://ci.example/b\x00"} },
			"too many builders": func(a *inventory.Admission) {
				for i := range inventory.MaxBuilders + 1 {
					a.Builders = append(a.Builders, fmt.Sprint("b", i))
				}
			},
			"policy input not an object": func(a *inventory.Admission) { a.PolicyInput = []byte(`["deploy"]`) },
			"policy input not JSON":      func(a *inventory.Admission) { a.PolicyInput = []byte(`{"action":`) },
			"policy input too large": func(a *inventory.Admission) {
				a.PolicyInput = []byte(`{"x":"` + strings.Repeat("a", inventory.MaxPolicyInput) + `"}`)
			},
		}
		for name, mutate := range bad {
			a := base
			mutate(&a)
			if err := s.Record(t.Context(), a); !errors.Is(err, inventory.ErrInvalidAdmission) {
				t.Errorf("%s: err = %v, want ErrInvalidAdmission", name, err)
			}
		}
		if res := query(t, s, inventory.Query{Digest: base.Digest}); len(res.Admissions) != 0 {
			t.Fatalf("a refused admission was stored: %+v", res)
		}
		if res := query(t, s, inventory.Query{Package: "pkg:npm/ok"}); len(res.Admissions) != 0 {
			t.Fatalf("part of a refused admission was stored: %+v", res)
		}
	})
	t.Run("DuplicateDecisionIsRefused", func(t *testing.T) {
		s := newStore(t)
		a := inventory.Admission{DecisionID: "d-1", Digest: Digest("a"), Time: T0, Packages: []inventory.Package{{PURL: "pkg:npm/a@1.0.0"}}}
		if err := s.Record(t.Context(), a); err != nil {
			t.Fatal(err)
		}
		a.Digest = Digest("b")
		if err := s.Record(t.Context(), a); !errors.Is(err, inventory.ErrDuplicate) {
			t.Fatalf("err = %v, want ErrDuplicate", err)
		}
		if res := query(t, s, inventory.Query{Digest: Digest("b")}); len(res.Admissions) != 0 {
			t.Fatal("the duplicate was stored")
		}
	})
	t.Run("RefusesBadQueries", func(t *testing.T) {
		s := newStore(t)
		recordFixture(t, s)
		bad := []struct {
			q    inventory.Query
			want error
		}{
			{inventory.Query{}, inventory.ErrInvalidQuery},
			{inventory.Query{Package: "pkg:conan/zlib", Ranges: []inventory.Range{{Fixed: "1.4"}}}, inventory.ErrUnsupportedEcosystem},
			{inventory.Query{Package: "pkg:golang/golang.org/x/net@v0.30.0"}, inventory.ErrInvalidQuery},
			{inventory.Query{Package: "golang/golang.org/x/net"}, inventory.ErrInvalidPURL},
			{inventory.Query{Package: "pkg:golang/golang.org/x/net", Ranges: []inventory.Range{{Fixed: "not-a-version"}}}, inventory.ErrInvalidVersion},
			{inventory.Query{Package: "pkg:golang/golang.org/x/net", Ranges: []inventory.Range{{}}}, inventory.ErrInvalidQuery},
			{inventory.Query{Package: "pkg:golang/golang.org/x/net", Ranges: []inventory.Range{{Fixed: "1.0.0", LastAffected: "1.0.0"}}}, inventory.ErrInvalidQuery},
			{inventory.Query{Package: "pkg:golang/golang.org/x/net", Ranges: []inventory.Range{{Introduced: "2.0.0", Fixed: "1.0.0"}}}, inventory.ErrInvalidQuery},
			{inventory.Query{Digest: "sha256:ABC"}, inventory.ErrInvalidQuery},
			{inventory.Query{Builder: "b", Limit: -1}, inventory.ErrInvalidQuery},
			{inventory.Query{Signer: "a\nb"}, inventory.ErrInvalidQuery},
			{inventory.Query{KeyID: strings.Repeat("k", inventory.MaxFieldLen+1)}, inventory.ErrInvalidQuery},
			{inventory.Query{WithPolicyInput: true}, inventory.ErrInvalidQuery},
		}
		for _, c := range bad {
			if _, err := s.Query(t.Context(), c.q); !errors.Is(err, c.want) {
				t.Errorf("query %+v: err = %v, want %v", c.q, err, c.want)
			}
		}
	})
	t.Run("LimitTruncatesNewestFirst", func(t *testing.T) {
		s := newStore(t)
		for i := range 5 {
			a := inventory.Admission{DecisionID: fmt.Sprintf("d-%d", i), Digest: Digest(fmt.Sprint(i)), Builders: []string{"b"},
				Time: T0.Add(time.Duration(i) * time.Minute), Packages: []inventory.Package{{PURL: "pkg:npm/lodash@4.17." + fmt.Sprint(i)}}}
			if err := s.Record(t.Context(), a); err != nil {
				t.Fatal(err)
			}
		}
		res := query(t, s, inventory.Query{Package: "pkg:npm/lodash", Limit: 2})
		if got := ids(res); !slices.Equal(got, []string{"d-4", "d-3"}) || !res.Truncated {
			t.Fatalf("got %v truncated=%v, want [d-4 d-3] truncated", got, res.Truncated)
		}
		res = query(t, s, inventory.Query{Builder: "b", Limit: 5})
		if len(res.Admissions) != 5 || res.Truncated {
			t.Fatalf("got %d truncated=%v", len(res.Admissions), res.Truncated)
		}
	})
	t.Run("HostileFieldsAgreeWithMemory", func(t *testing.T) { agreesWithMemory(t, newStore(t)) })
	t.Run("ConcurrentRecords", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for w := range 4 {
			wg.Go(func() {
				for i := range 10 {
					a := inventory.Admission{DecisionID: fmt.Sprintf("w%d-%d", w, i), Digest: Digest(fmt.Sprint(w, i)), Time: T0,
						Packages: []inventory.Package{{PURL: "pkg:cargo/serde@1.0." + fmt.Sprint(i)}, {PURL: "pkg:cargo/tokio@1.38.0"}}}
					if err := s.Record(context.Background(), a); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		res := query(t, s, inventory.Query{Package: "pkg:cargo/serde", Ranges: []inventory.Range{{Introduced: "1.0.5"}}})
		if len(res.Admissions) != 20 {
			t.Fatalf("got %d admissions, want 20", len(res.Admissions))
		}
	})
}

// releaseSigner signed attestations of d-old and d-new; d-new has another
// signer with the same SAN from another issuer.
var releaseSigner = inventory.Signer{Issuer: "https://token.actions.githubusercontent.com",
	SAN: "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main"}

// fixtureInput is d-old's policy input, kept byte for byte.
const fixtureInput = `{"action":"deploy", "job":{"id":"spiffe://example.org/job/deploy"}}`

// recordFixture records three admissions of one image: an old build with
// x/net v0.30.0, a new one with v0.35.0, and a development build whose
// x/net version is "(devel)".
func recordFixture(t *testing.T, s inventory.Store) {
	t.Helper()
	adms := []inventory.Admission{
		{DecisionID: "d-old", Digest: Digest("old"), Image: "registry.example/app:v1", Builders: []string{"https://ci.example/builder@v1"},
			Job: "spiffe://example.org/job/deploy", PolicyRevision: "rev-1", Time: T0,
			Signers:     []inventory.Signer{releaseSigner, {KeyID: "sbom-key-1"}},
			PolicyInput: []byte(fixtureInput), Packages: []inventory.Package{
				{PURL: "pkg:golang/golang.org/x/net@v0.30.0"}, {PURL: "pkg:golang/golang.org/x/net@v0.30.0?type=module"},
				{PURL: "pkg:pypi/Django_Rest", Version: "4.1"},
				{PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}}},
		{DecisionID: "d-new", Digest: Digest("new"), Image: "registry.example/app:v2", Builders: []string{"https://ci.example/builder@v2"},
			Job: "spiffe://example.org/job/deploy", PolicyRevision: "rev-2", Time: T0.Add(time.Hour),
			Signers: []inventory.Signer{{Issuer: "https://other.example", SAN: releaseSigner.SAN}, releaseSigner, releaseSigner},
			Packages: []inventory.Package{
				{PURL: "pkg:golang/golang.org/x/net@v0.35.0"}, {PURL: "pkg:deb/debian/openssl@3.0.11-1~deb12u1?epoch=1&arch=amd64"},
				{PURL: "pkg:gem/rails@7.0.1"}, {PURL: "pkg:conan/zlib@1.3.1"}}},
		{DecisionID: "d-devel", Digest: Digest("devel"), Image: "registry.example/app:dev", Builders: []string{"https://ci.example/builder@v2"},
			Time: T0.Add(2 * time.Hour), Packages: []inventory.Package{{PURL: "pkg:golang/golang.org/x/net@%28devel%29"}}},
	}
	for _, a := range adms {
		if err := s.Record(t.Context(), a); err != nil {
			t.Fatalf("Record(%s): %v", a.DecisionID, err)
		}
	}
}

// recordBuilders records d-two, built by two builders (one listed twice),
// d-rebuilt, built by one builder at two refs, and d-none, without
// builder.
func recordBuilders(t *testing.T, s inventory.Store) {
	t.Helper()
	two := Admission("d-two", "two", "pkg:npm/left-pad@1.3.0")
	two.Builders = []string{"https://ci.example/builder@v1", "https://other.example/builder@v7", "https://ci.example/builder@v1"}
	rebuilt := Admission("d-rebuilt", "rebuilt", "pkg:npm/left-pad@1.3.0")
	rebuilt.Builders = []string{"https://ci.example/builder@v2", "https://ci.example/builder@v1"}
	rebuilt.Time = T0.Add(time.Minute)
	none := Admission("d-none", "none", "pkg:npm/left-pad@1.3.0")
	none.Time = T0.Add(2 * time.Minute)
	for _, a := range []inventory.Admission{two, rebuilt, none} {
		if err := s.Record(t.Context(), a); err != nil {
			t.Fatalf("Record(%s): %v", a.DecisionID, err)
		}
	}
}

// recordSpellings records one Go module (and an npm and a pypi package)
// in the spellings of three admissions: d-upper as github.com/Foo/bar, a
// Go module other than d-lower's github.com/foo/bar though the index keys
// them alike, and d-both in both spellings at one version (its spelling
// is then unknown).
func recordSpellings(t *testing.T, s inventory.Store) {
	t.Helper()
	adms := []inventory.Admission{
		Admission("d-upper", "upper", "pkg:golang/github.com/Foo/bar@v1.0.0", "pkg:npm/%40Scope/Left-Pad@1.3.0?arch=x",
			"pkg:pypi/Zope_Interface@5.4"),
		Admission("d-lower", "lower", "pkg:golang/github.com/foo/bar@v1.0.0?type=module", "pkg:golang/github.com/foo/bar@v1.0.0"),
		Admission("d-both", "both", "pkg:golang/github.com/Foo/bar@v1.0.0", "pkg:golang/github.com/foo/bar@v1.0.0"),
	}
	for i, a := range adms {
		a.Time = T0.Add(time.Duration(-i) * time.Minute)
		if err := s.Record(t.Context(), a); err != nil {
			t.Fatalf("Record(%s): %v", a.DecisionID, err)
		}
	}
}

// recordSources records images of Debian (libssl3 of openssl; libc6 of
// glibc, a binNMU), Ubuntu, Alpine (libcrypto3 and libssl3 of openssl) and
// RHEL (openssl-libs of the openssl source RPM, epoch 1), their package
// URLs as syft writes them, and one whose libssl3 has a malformed source
// hint.
func recordSources(t *testing.T, s inventory.Store) {
	t.Helper()
	adms := []inventory.Admission{
		Admission("d-debian", "debian", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12",
			"pkg:deb/debian/libc6@2.36-9%2Bb1?arch=amd64&upstream=glibc%402.36-9&distro=debian-12"),
		Admission("d-ubuntu", "ubuntu", "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15?arch=amd64&upstream=openssl&distro=ubuntu-22.04"),
		Admission("d-alpine", "alpine", "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&upstream=openssl&distro=alpine-3.19.1",
			"pkg:apk/alpine/libssl3@3.1.4-r5?arch=x86_64&upstream=openssl&distro=alpine-3.19.1"),
		Admission("d-rhel", "rhel", "pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm&distro=rhel-9.3"),
		Admission("d-malformed", "malformed", "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&upstream=%40"),
	}
	for i, a := range adms {
		a.Time = T0.Add(time.Duration(i) * time.Minute)
		if err := s.Record(t.Context(), a); err != nil {
			t.Fatalf("Record(%s): %v", a.DecisionID, err)
		}
	}
}

func query(t *testing.T, s inventory.Store, q inventory.Query) inventory.Result {
	t.Helper()
	res, err := s.Query(t.Context(), q)
	if err != nil {
		t.Fatalf("Query(%+v): %v", q, err)
	}
	if res.Admissions == nil {
		t.Fatalf("Query(%+v): nil Admissions, want an empty list", q)
	}
	return res
}

// PURLs returns the package URLs of a's packages, in order.
func PURLs(a inventory.Admission) []string {
	var out []string
	for _, p := range a.Packages {
		out = append(out, p.PURL)
	}
	return out
}

func ids(r inventory.Result) []string {
	var out []string
	for _, a := range r.Admissions {
		out = append(out, a.DecisionID)
	}
	return out
}

func equalAdmission(a, b inventory.Admission) bool {
	return a.DecisionID == b.DecisionID && a.Digest == b.Digest && a.Image == b.Image && slices.Equal(a.Builders, b.Builders) &&
		a.Job == b.Job && a.PolicyRevision == b.PolicyRevision && a.Time.Equal(b.Time) && a.Time.Location() == time.UTC &&
		slices.Equal(a.Packages, b.Packages) && slices.Equal(a.Signers, b.Signers) && bytes.Equal(a.PolicyInput, b.PolicyInput)
}
