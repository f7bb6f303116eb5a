package inventory_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
)

// TestReview23EpochOfVersionField: a package URL without a version but with
// an epoch qualifier (pkg:rpm/redhat/openssl?epoch=1, versionInfo
// "2.1-1") was indexed at 2.1-1, epoch dropped: older than every version
// of epoch 1, so an advisory range [1:2.0, 1:2.5) did not find the image.
// The qualifier's epoch applies to the SBOM's version field as to the
// package URL's own version; an epoch that is not a number, or a version
// naming another epoch than the qualifier, is refused.
func TestReview23EpochOfVersionField(t *testing.T) {
	t.Parallel()
	spdx := func(purl, version string) []byte {
		return []byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"name":"p","versionInfo":"` + version +
			`","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"` + purl + `"}]}]}`)
	}
	cdx := func(purl, version string) []byte {
		return []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"p","version":"` + version + `","purl":"` + purl + `"}]}`)
	}
	for _, c := range []struct{ typ, purl, version string }{
		{"rpm", "pkg:rpm/redhat/openssl?arch=x86_64&epoch=1", "2.1-1"},
		{"deb", "pkg:deb/debian/openssl?epoch=1", "2.1-1"},
		{"rpm", "pkg:rpm/redhat/openssl?epoch=1", "1:2.1-1"}, // the same epoch twice
	} {
		for name, doc := range map[string][]byte{inventory.PredicateSPDX: spdx(c.purl, c.version), inventory.PredicateCycloneDX: cdx(c.purl, c.version)} {
			pkgs, err := inventory.Packages(name, doc)
			if err != nil {
				t.Fatalf("%s %s: %v", c.purl, name, err)
			}
			s := inventory.NewMemory()
			a := inventorytest.Admission("d", "epoch")
			a.Packages = pkgs
			if err := s.Record(t.Context(), a); err != nil {
				t.Fatal(err)
			}
			res, err := s.Query(t.Context(), inventory.Query{Package: "pkg:" + c.typ + "/" + map[string]string{"rpm": "redhat", "deb": "debian"}[c.typ] + "/openssl",
				Ranges: []inventory.Range{{Introduced: "1:2.0", Fixed: "1:2.5"}}})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Admissions) != 1 || res.Admissions[0].Packages[0].Version != "1:2.1-1" {
				t.Errorf("%s with version %q (%s): range [1:2.0, 1:2.5) found %+v, want the package at 1:2.1-1", c.purl, c.version, name, res.Admissions)
			}
		}
	}
	// Recorded directly, the version beside the package URL is read so too.
	s := inventory.NewMemory()
	a := inventorytest.Admission("d", "epoch")
	a.Packages = []inventory.Package{{PURL: "pkg:rpm/redhat/openssl?epoch=1", Version: "2.1-1"}}
	if err := s.Record(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if res, err := s.Query(t.Context(), inventory.Query{Package: "pkg:rpm/redhat/openssl", Versions: []string{"1:2.1-1"}}); err != nil || len(res.Admissions) != 1 {
		t.Errorf("exact 1:2.1-1: %+v, %v", res, err)
	}

	for _, c := range []struct{ purl, version string }{
		{"pkg:rpm/redhat/openssl?epoch=1", "0:2.1-1"},
		{"pkg:rpm/redhat/openssl?epoch=x", "2.1-1"},
		{"pkg:deb/debian/openssl?epoch=2", "1:2.1-1"},
	} {
		if _, err := inventory.Packages(inventory.PredicateSPDX, spdx(c.purl, c.version)); !errors.Is(err, inventory.ErrInvalidSBOM) {
			t.Errorf("%s with version %q: %v, want ErrInvalidSBOM", c.purl, c.version, err)
		}
		a := inventorytest.Admission("d2", "epoch")
		a.Packages = []inventory.Package{{PURL: c.purl, Version: c.version}}
		if err := inventory.NewMemory().Record(t.Context(), a); !errors.Is(err, inventory.ErrInvalid) {
			t.Errorf("Record %s with version %q: %v, want ErrInvalid", c.purl, c.version, err)
		}
	}
	for _, p := range []string{"pkg:rpm/redhat/openssl@0:2.1-1?epoch=1", "pkg:deb/debian/openssl?epoch=x"} {
		if _, err := inventory.ParsePURL(p); !errors.Is(err, inventory.ErrInvalidPURL) {
			t.Errorf("ParsePURL(%s): %v, want ErrInvalidPURL", p, err)
		}
	}
	if u, err := inventory.ParsePURL("pkg:rpm/redhat/openssl@1:2.1-1?epoch=01"); err != nil || u.Version != "1:2.1-1" {
		t.Errorf("one epoch in both places: %+v, %v", u, err)
	}
}
