package inventory_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
)

// packagesOf returns the packages Record indexes for purls, as a query by
// digest lists them.
func packagesOf(purls ...string) ([]inventory.Package, error) {
	return indexed(inventorytest.Admission("d", "a", purls...))
}

func indexed(a inventory.Admission) ([]inventory.Package, error) {
	_, es, err := inventory.Normalize(a)
	if err != nil {
		return nil, err
	}
	return inventory.WithEntries(inventory.Admission{}, es).Packages, nil
}

// listed is a package the SBOM listed, as results return it.
func listed(purl, version string) inventory.Package {
	return inventory.Package{PURL: purl, Spelled: purl, Version: version}
}

// source is a source package derived from from.
func source(purl, version, from string) inventory.Package {
	return inventory.Package{PURL: purl, Version: version, Source: true, From: from}
}

// TestSourcePackages: an OS package whose package URL names its source
// package in an upstream qualifier (as syft writes it for Debian, Ubuntu,
// Alpine, RHEL and Arch) is indexed under the source package too, in the
// binary's type and namespace, at the source's version (the qualifier's,
// or the binary's when it gives none; a source RPM's version-release with
// the binary's epoch), marked Source, From naming the binary. A source
// that is the package itself adds nothing; other package types' upstream
// qualifiers are not read.
func TestSourcePackages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		purls   []string
		version string // of the first package, as the SBOM gives it
		want    []inventory.Package
	}{
		{name: "Debian", purls: []string{"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12"}, want: []inventory.Package{
			listed("pkg:deb/debian/libssl3@3.0.11-1~deb12u2", "3.0.11-1~deb12u2"),
			source("pkg:deb/debian/openssl@3.0.11-1~deb12u2", "3.0.11-1~deb12u2", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2")}},
		{name: "Debian binNMU", purls: []string{"pkg:deb/debian/libc6@2.36-9%2Bb1?arch=amd64&upstream=glibc%402.36-9&distro=debian-12"}, want: []inventory.Package{
			listed("pkg:deb/debian/libc6@2.36-9%2Bb1", "2.36-9+b1"),
			source("pkg:deb/debian/glibc@2.36-9", "2.36-9", "pkg:deb/debian/libc6@2.36-9%2Bb1")}},
		{name: "Debian binNMU of the source's name", purls: []string{"pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&upstream=bash%405.2.15-2"}, want: []inventory.Package{
			listed("pkg:deb/debian/bash@5.2.15-2%2Bb2", "5.2.15-2+b2"),
			source("pkg:deb/debian/bash@5.2.15-2", "5.2.15-2", "pkg:deb/debian/bash@5.2.15-2%2Bb2")}},
		{name: "Debian epoch of the binary only", purls: []string{"pkg:deb/debian/bsdutils@1:2.38.1-5+b1?arch=amd64&upstream=util-linux%402.38.1-5&distro=debian-12"}, want: []inventory.Package{
			listed("pkg:deb/debian/bsdutils@1%3A2.38.1-5%2Bb1", "1:2.38.1-5+b1"),
			source("pkg:deb/debian/util-linux@2.38.1-5", "2.38.1-5", "pkg:deb/debian/bsdutils@1%3A2.38.1-5%2Bb1")}},
		{name: "Debian epoch qualifier, source of the binary's version", purls: []string{"pkg:deb/debian/libpam0g@1.5.2-6?arch=amd64&epoch=2&upstream=pam"}, want: []inventory.Package{
			listed("pkg:deb/debian/libpam0g@2%3A1.5.2-6", "2:1.5.2-6"),
			source("pkg:deb/debian/pam@2%3A1.5.2-6", "2:1.5.2-6", "pkg:deb/debian/libpam0g@2%3A1.5.2-6")}},
		{name: "Ubuntu", purls: []string{"pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15?arch=amd64&upstream=openssl&distro=ubuntu-22.04"}, want: []inventory.Package{
			listed("pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15", "3.0.2-0ubuntu1.15"),
			source("pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.15", "3.0.2-0ubuntu1.15", "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15")}},
		{name: "Alpine, two binaries of one origin merged", purls: []string{
			"pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&upstream=openssl&distro=alpine-3.19.1",
			"pkg:apk/alpine/libssl3@3.1.4-r5?arch=x86_64&upstream=openssl&distro=alpine-3.19.1"}, want: []inventory.Package{
			listed("pkg:apk/alpine/libcrypto3@3.1.4-r5", "3.1.4-r5"),
			source("pkg:apk/alpine/openssl@3.1.4-r5", "3.1.4-r5", ""),
			listed("pkg:apk/alpine/libssl3@3.1.4-r5", "3.1.4-r5")}},
		{name: "Alpine, a binary listed twice", purls: []string{
			"pkg:apk/alpine/libssl3@3.1.4-r5?arch=x86_64&upstream=openssl", "pkg:apk/alpine/libssl3@3.1.4-r5?upstream=openssl&arch=x86_64"}, want: []inventory.Package{
			listed("pkg:apk/alpine/libssl3@3.1.4-r5", "3.1.4-r5"),
			source("pkg:apk/alpine/openssl@3.1.4-r5", "3.1.4-r5", "pkg:apk/alpine/libssl3@3.1.4-r5")}},
		{name: "Debian, the source's name also listed", purls: []string{
			"pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64",
			"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl"}, want: []inventory.Package{
			source("pkg:deb/debian/openssl@3.0.11-1~deb12u2", "3.0.11-1~deb12u2", ""),
			listed("pkg:deb/debian/libssl3@3.0.11-1~deb12u2", "3.0.11-1~deb12u2")}},
		{name: "RHEL", purls: []string{"pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm&distro=rhel-9.3"}, want: []inventory.Package{
			listed("pkg:rpm/redhat/openssl-libs@1%3A3.0.7-24.el9", "1:3.0.7-24.el9"),
			source("pkg:rpm/redhat/openssl@1%3A3.0.7-24.el9", "1:3.0.7-24.el9", "pkg:rpm/redhat/openssl-libs@1%3A3.0.7-24.el9")}},
		{name: "RHEL, a name with dashes and a release with an underscore", purls: []string{
			"pkg:rpm/redhat/python3-libs@3.9.18-1.el9_3?arch=x86_64&upstream=python3.9-3.9.18-1.el9_3.src.rpm&distro=rhel-9.3"}, want: []inventory.Package{
			listed("pkg:rpm/redhat/python3-libs@3.9.18-1.el9_3", "3.9.18-1.el9_3"),
			source("pkg:rpm/redhat/python3.9@3.9.18-1.el9_3", "3.9.18-1.el9_3", "pkg:rpm/redhat/python3-libs@3.9.18-1.el9_3")}},
		{name: "RHEL, source of another version", purls: []string{"pkg:rpm/redhat/libgcc@11.4.1-2.1.el9?arch=x86_64&upstream=gcc-11.4.1-3.el9.nosrc.rpm"}, want: []inventory.Package{
			listed("pkg:rpm/redhat/libgcc@11.4.1-2.1.el9", "11.4.1-2.1.el9"),
			source("pkg:rpm/redhat/gcc@11.4.1-3.el9", "11.4.1-3.el9", "pkg:rpm/redhat/libgcc@11.4.1-2.1.el9")}},
		{name: "RHEL, its own source", purls: []string{"pkg:rpm/redhat/openssl@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm"}, want: []inventory.Package{
			listed("pkg:rpm/redhat/openssl@1%3A3.0.7-24.el9", "1:3.0.7-24.el9")}},
		{name: "Arch", purls: []string{"pkg:alpm/arch/gcc-libs@13.2.1-5?arch=x86_64&upstream=gcc&distro=arch"}, want: []inventory.Package{
			listed("pkg:alpm/arch/gcc-libs@13.2.1-5", "13.2.1-5"),
			source("pkg:alpm/arch/gcc@13.2.1-5", "13.2.1-5", "pkg:alpm/arch/gcc-libs@13.2.1-5")}},
		{name: "Arch, its own base", purls: []string{"pkg:alpm/arch/libxml2@2.12.6-1?arch=x86_64&upstream=libxml2&distro=arch"}, want: []inventory.Package{
			listed("pkg:alpm/arch/libxml2@2.12.6-1", "2.12.6-1")}},
		{name: "a source name in another case is the same deb package", purls: []string{"pkg:deb/debian/openssl@3.0.11-1?upstream=OpenSSL"}, want: []inventory.Package{
			listed("pkg:deb/debian/openssl@3.0.11-1", "3.0.11-1")}},
		{name: "version from the SBOM", purls: []string{"pkg:deb/debian/libssl3?upstream=openssl"}, version: "3.0.11-1", want: []inventory.Package{
			{PURL: "pkg:deb/debian/libssl3@3.0.11-1", Spelled: "pkg:deb/debian/libssl3@3.0.11-1", Version: "3.0.11-1"},
			source("pkg:deb/debian/openssl@3.0.11-1", "3.0.11-1", "pkg:deb/debian/libssl3@3.0.11-1")}},
		{name: "not an OS package type", purls: []string{"pkg:npm/left-pad@1.3.0?upstream=pad"}, want: []inventory.Package{
			listed("pkg:npm/left-pad@1.3.0", "1.3.0")}},
		// A source version that does not order in the type's ordering is
		// indexed all the same: a range query lists it as unordered.
		{name: "source version that dpkg does not order", purls: []string{"pkg:deb/debian/libssl3@3.0.11-1?upstream=openssl%40%3A1"}, want: []inventory.Package{
			listed("pkg:deb/debian/libssl3@3.0.11-1", "3.0.11-1"),
			source("pkg:deb/debian/openssl@%3A1", ":1", "pkg:deb/debian/libssl3@3.0.11-1")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := inventorytest.Admission("d", "a", tc.purls...)
			a.Packages[0].Version = tc.version
			got, err := indexed(a)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("packages = %+v, %v\nwant %+v", got, err, tc.want)
			}
		})
	}
}

// TestSourcePackageMalformedHints: an upstream qualifier that names no
// source package is ignored, and the package itself is indexed, as is the
// source package another package of the admission names well (a refusal
// would deny the deployment over a hint; see sourceOf). A control
// character or a bad escape makes the package URL itself malformed: that
// still refuses the admission whole.
func TestSourcePackageMalformedHints(t *testing.T) {
	t.Parallel()
	check := func(purl, typ, self string) {
		t.Helper()
		control := "pkg:" + typ + "/libcrypto3@3.0.11-1?upstream=openssl"
		got, err := packagesOf(purl, control)
		want := []inventory.Package{listed(self, strings.SplitN(self, "@", 2)[1]), listed("pkg:"+typ+"/libcrypto3@3.0.11-1", "3.0.11-1"),
			source("pkg:"+typ+"/openssl@3.0.11-1", "3.0.11-1", "pkg:"+typ+"/libcrypto3@3.0.11-1")}
		want[0].Version = strings.ReplaceAll(want[0].Version, "%3A", ":")
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: packages = %+v, %v\nwant the package itself and the other's source %+v", purl, got, err, want)
		}
	}
	for _, hint := range []string{
		"", "%40", "openssl%40", "%40%3A1", "a%2Fb", "open%20ssl", "-openssl", ".openssl", "%C3%A9ssl",
		"openssl%40" + strings.Repeat("1", inventory.MaxVersionLen+1),
	} {
		for _, typ := range []string{"deb/debian", "apk/alpine", "alpm/arch", "rpm/redhat"} {
			check("pkg:"+typ+"/libssl3@3.0.11-1?arch=amd64&upstream="+hint, typ, "pkg:"+typ+"/libssl3@3.0.11-1")
		}
	}
	for _, srpm := range []string{"%28none%29", "openssl.src.rpm", "openssl-3.0.7.src.rpm", "-3.0.7-24.el9.src.rpm",
		"openssl--24.el9.src.rpm", "openssl-3.0.7-.src.rpm", "1:openssl-3.0.7-24.el9.src.rpm", ".src.rpm"} {
		check("pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream="+srpm, "rpm/redhat", "pkg:rpm/redhat/openssl-libs@1%3A3.0.7-24.el9")
	}
	for _, hint := range []string{"openssl%0A", "openssl%40%7F", "open%ZZssl", "openssl%40%E2%80"} {
		purl := "pkg:deb/debian/libssl3@3.0.11-1?upstream=" + hint
		_, err := packagesOf("pkg:deb/debian/ok@1", purl)
		var pe *inventory.PURLError
		if !errors.Is(err, inventory.ErrInvalidAdmission) || !errors.As(err, &pe) {
			t.Errorf("%s: err = %v, want the admission refused for a malformed package URL", purl, err)
		}
	}
}

// TestSourcePackagesQueried: a query by the source package's URL and a
// version range (an advisory's) finds the admission through the binary
// package it lists, at the source's version, in the ordering of the type;
// a query by the binary package still finds it; and a package whose hint
// is malformed is found by its own name only.
func TestSourcePackagesQueried(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	for _, a := range []inventory.Admission{
		inventorytest.Admission("d-deb", "deb", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12",
			"pkg:deb/debian/libc6@2.36-9%2Bb1?arch=amd64&upstream=glibc%402.36-9&distro=debian-12"),
		inventorytest.Admission("d-rhel", "rhel", "pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm&distro=rhel-9.3"),
		inventorytest.Admission("d-bad", "bad", "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&upstream=%40"),
	} {
		if err := s.Record(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		q    inventory.Query
		want string
	}{
		{inventory.Query{Package: "pkg:deb/debian/openssl", Ranges: []inventory.Range{{Fixed: "3.0.13-1~deb12u1"}}}, "[d-deb]"},
		{inventory.Query{Package: "pkg:deb/debian/openssl", Ranges: []inventory.Range{{Fixed: "3.0.11-1~deb12u2"}}}, "[]"},
		{inventory.Query{Package: "pkg:deb/debian/glibc", Ranges: []inventory.Range{{Introduced: "2.36-9", Fixed: "2.36-9+deb12u3"}}}, "[d-deb]"},
		{inventory.Query{Package: "pkg:deb/debian/glibc", Versions: []string{"2.36-9+b1"}}, "[]"},
		{inventory.Query{Package: "pkg:rpm/redhat/openssl", Ranges: []inventory.Range{{Fixed: "1:3.0.7-25.el9"}}}, "[d-rhel]"},
		{inventory.Query{Package: "pkg:rpm/redhat/openssl", Ranges: []inventory.Range{{Fixed: "3.0.7-25.el9"}}}, "[]"},
		{inventory.Query{Package: "pkg:deb/debian/libssl3", Ranges: []inventory.Range{{Fixed: "3.0.13-1~deb12u1"}}}, "[d-bad d-deb]"},
		{inventory.Query{Package: "pkg:deb/debian/openssl"}, "[d-deb]"},
	} {
		res, err := s.Query(t.Context(), c.q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range res.Admissions {
			got = append(got, a.DecisionID)
		}
		slices.Sort(got)
		if g := "[" + strings.Join(got, " ") + "]"; g != c.want {
			t.Errorf("query %+v = %s, want %s", c.q, g, c.want)
		}
	}
}

// TestCycloneDXTrivySourceProperties: Trivy writes an OS package's source
// in component properties; CycloneDXPackages turns them into the upstream
// qualifier syft writes, so that Record indexes the source package. A
// package URL's own qualifier is kept; properties naming the package
// itself, given twice, or of another package type add nothing.
func TestCycloneDXTrivySourceProperties(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("testdata/cyclonedx-1.5-trivy.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := inventory.CycloneDXPackages(doc)
	want := []inventory.Package{
		{PURL: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.4&upstream=openssl%403.0.11-1~deb12u2"},
		{PURL: "pkg:deb/debian/bsdutils@2.38.1-5%2Bb1?arch=amd64&distro=debian-12.4&epoch=1&upstream=util-linux%402.38.1-5"},
		{PURL: "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12.4"},
		{PURL: "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=3.19.1&upstream=openssl%403.1.4-r5"},
		{PURL: "pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=redhat-9.3&epoch=1&upstream=openssl%401%3A3.0.7-24.el9"},
		{PURL: "pkg:rpm/redhat/libgcc@11.4.1-2.1.el9?arch=x86_64&distro=redhat-9.3&upstream=gcc-11.4.1-2.1.el9.src.rpm"},
		{PURL: "pkg:deb/debian/libgnutls30@3.7.9-2%2Bdeb12u1?arch=amd64&distro=debian-12.4"},
		{PURL: "pkg:deb/debian/libzstd1?arch=amd64&distro=debian-12.4&upstream=libzstd", Version: "1.5.4+dfsg2-5"},
		{PURL: "pkg:npm/lodash@4.17.21"},
	}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("packages = %+v, %v\nwant %+v", got, err, want)
	}
	s := inventory.NewMemory()
	a := inventorytest.Admission("d-trivy", "trivy")
	a.Packages = got
	if err := s.Record(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    inventory.Query
		want inventory.Package
	}{
		{inventory.Query{Package: "pkg:deb/debian/openssl", Ranges: []inventory.Range{{Fixed: "3.0.13-1~deb12u1"}}},
			source("pkg:deb/debian/openssl@3.0.11-1~deb12u2", "3.0.11-1~deb12u2", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2")},
		{inventory.Query{Package: "pkg:deb/debian/util-linux", Ranges: []inventory.Range{{Fixed: "2.38.1-5+deb12u1"}}},
			source("pkg:deb/debian/util-linux@2.38.1-5", "2.38.1-5", "pkg:deb/debian/bsdutils@1%3A2.38.1-5%2Bb1")},
		{inventory.Query{Package: "pkg:apk/alpine/openssl", Versions: []string{"3.1.4-r5"}},
			source("pkg:apk/alpine/openssl@3.1.4-r5", "3.1.4-r5", "pkg:apk/alpine/libcrypto3@3.1.4-r5")},
		{inventory.Query{Package: "pkg:rpm/redhat/openssl", Ranges: []inventory.Range{{Fixed: "1:3.0.7-25.el9"}}},
			source("pkg:rpm/redhat/openssl@1%3A3.0.7-24.el9", "1:3.0.7-24.el9", "pkg:rpm/redhat/openssl-libs@1%3A3.0.7-24.el9")},
		{inventory.Query{Package: "pkg:deb/debian/libzstd", Versions: []string{"1.5.4+dfsg2-5"}},
			source("pkg:deb/debian/libzstd@1.5.4%2Bdfsg2-5", "1.5.4+dfsg2-5", "pkg:deb/debian/libzstd1@1.5.4%2Bdfsg2-5")},
	} {
		res, err := s.Query(t.Context(), c.q)
		if err != nil || len(res.Admissions) != 1 || !slices.Equal(res.Admissions[0].Packages, []inventory.Package{c.want}) {
			t.Errorf("query %+v = %+v, %v; want one admission with %+v", c.q, res, err, c.want)
		}
	}
	for _, q := range []string{"pkg:deb/debian/gnutls28", "pkg:npm/lodash-es"} {
		if res, err := s.Query(t.Context(), inventory.Query{Package: q}); err != nil || len(res.Admissions) != 0 {
			t.Errorf("query %s = %+v, %v; want none", q, res, err)
		}
	}
}
