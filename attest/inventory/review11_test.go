package inventory_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/ztci/ztci/attest/inventory"
)

// A CycloneDX BOM may nest its packages in metadata.component (the
// artifact as an assembly of parts). Readers such as osv-scanner match
// them; the index skipped them, so a vulnerable part was not found by an
// incident query. They are indexed; metadata.component itself (the
// artifact) still is not.
func TestReview11MetadataComponentParts(t *testing.T) {
	t.Parallel()
	doc := `{"bomFormat":"CycloneDX","specVersion":"1.5",` +
		`"metadata":{"component":{"type":"application","name":"app","purl":"pkg:oci/app@sha256%3A00","components":[` +
		`{"type":"library","name":"log4j-core","purl":"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",` +
		`"components":[{"type":"library","name":"log4j-api","purl":"pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1"}]}]}},` +
		`"components":[{"type":"library","name":"lodash","purl":"pkg:npm/lodash@4.17.21"}]}`
	pkgs, err := inventory.CycloneDXPackages([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, p.PURL)
	}
	want := []string{"pkg:npm/lodash@4.17.21", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1"}
	if !slices.Equal(got, want) {
		t.Errorf("packages = %q, want %q", got, want)
	}
}

// A package URL and its package's own version field can name two versions.
// Trivy matches the package URL's, syft and Grype the field's (SPDX
// versionInfo, CycloneDX version): one signed SBOM then shows a vulnerable
// version to one scanner and a fixed one to the index. The index took the
// package URL's silently; such an SBOM is refused. Fields naming the same
// version in the type's ordering, as syft and Trivy write them, still read.
func TestReview11VersionConflict(t *testing.T) {
	t.Parallel()
	spdx := func(purl, version string) string {
		return `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"name":"p","versionInfo":"` + version +
			`","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"` + purl + `"}]}]}`
	}
	cdx := func(purl, version string) string {
		return `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"p","version":"` + version + `","purl":"` + purl + `"}]}`
	}
	cdxMeta := func(purl, version string) string {
		return `{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"component":{"name":"app","components":[{"name":"p","version":"` + version + `","purl":"` + purl + `"}]}}}`
	}
	for _, c := range []struct {
		purl, version string
		conflict      bool
	}{
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", "2.14.1", true},
		{"pkg:npm/lodash@4.17.21", "4.17.20", true},
		{"pkg:deb/debian/bsdutils@2.38.1-5%2Bb1?epoch=1", "2.38.1-5+b1", true}, // the epoch is part of the version
		{"pkg:generic/tool@1.0", "2.0", true},                                  // no ordering: only equal strings agree
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", "2.17.1", false},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", "NOASSERTION", false},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", "", false},
		{"pkg:deb/debian/bsdutils@2.38.1-5%2Bb1?epoch=1", "1:2.38.1-5+b1", false}, // Trivy
		{"pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?epoch=1", "1:3.0.7-24.el9", false},
		{"pkg:golang/golang.org/x/net@v0.33.0", "0.33.0", false},
		{"pkg:npm/lodash", "4.17.21", false},
	} {
		for name, doc := range map[string]string{"spdx": spdx(c.purl, c.version), "cdx": cdx(c.purl, c.version), "cdx metadata": cdxMeta(c.purl, c.version)} {
			pt := inventory.PredicateCycloneDX
			if name == "spdx" {
				pt = inventory.PredicateSPDX
			}
			_, err := inventory.Packages(pt, []byte(doc))
			if c.conflict != errors.Is(err, inventory.ErrSBOMVersionConflict) || (!c.conflict && err != nil) {
				t.Errorf("%s: %s and %q: err %v, conflict expected %v", name, c.purl, c.version, err, c.conflict)
			}
			if c.conflict && !errors.Is(err, inventory.ErrInvalidSBOM) {
				t.Errorf("%s: %v does not wrap ErrInvalidSBOM", name, err)
			}
		}
	}
}
