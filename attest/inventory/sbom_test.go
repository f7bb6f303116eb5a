package inventory_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/inventory"
)

func TestPredicateTypesMatchAttest(t *testing.T) {
	t.Parallel()
	if inventory.PredicateSPDX != attest.PredicateSPDX || inventory.PredicateCycloneDX != attest.PredicateCycloneDX {
		t.Fatal("the SBOM predicate types drifted from attest's")
	}
	spdx := attest.SPDX([]byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT"}`)).PredicateType()
	for _, pt := range []string{spdx, attest.PredicateSPDX, attest.PredicateCycloneDX} {
		if !inventory.IsSBOM(pt) {
			t.Errorf("IsSBOM(%q) = false", pt)
		}
	}
	if inventory.IsSBOM(attest.PredicateSLSAProvenanceV1) {
		t.Error("provenance is not an SBOM")
	}
}

func TestPackages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, predicateType string
		want                []inventory.Package
	}{
		{file: "spdx-2.3-syft.json", predicateType: inventory.PredicateSPDX + "/v2.3", want: []inventory.Package{
			{PURL: "pkg:golang/golang.org/x/net@v0.30.0"},
			{PURL: "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"},
			{PURL: "pkg:pypi/requests", Version: "2.31.0"}}},
		{file: "cyclonedx-1.5-nested.json", predicateType: inventory.PredicateCycloneDX, want: []inventory.Package{
			{PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
			{PURL: "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1"},
			{PURL: "pkg:npm/lodash", Version: "4.17.21"}}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			doc, err := os.ReadFile("testdata/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := inventory.Packages(tc.predicateType, doc)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("Packages = %+v, %v\nwant %+v", got, err, tc.want)
			}
		})
	}
}

func TestPackagesRefuses(t *testing.T) {
	t.Parallel()
	read := func(f string) []byte {
		b, err := os.ReadFile("testdata/" + f)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	deep := `{"bomFormat":"CycloneDX","specVersion":"1.6","components":` + strings.Repeat(`[{"name":"a","components":`, 40) + `[]` + strings.Repeat(`}]`, 40) + `}`
	tests := []struct {
		name, predicateType string
		doc                 []byte
		wantPURLError       bool
	}{
		{name: "malformed purl", predicateType: inventory.PredicateCycloneDX, doc: read("cyclonedx-malformed-purl.json"), wantPURLError: true},
		{name: "CycloneDX 1.7", predicateType: inventory.PredicateCycloneDX, doc: read("cyclonedx-1.7-unsupported.json")},
		{name: "SPDX 3 passed as SPDX 2", predicateType: inventory.PredicateSPDX, doc: read("spdx-3-unsupported.json")},
		{name: "SPDX passed as CycloneDX", predicateType: inventory.PredicateCycloneDX, doc: read("spdx-2.3-syft.json")},
		{name: "not an SBOM type", predicateType: "https://slsa.dev/provenance/v1", doc: read("spdx-2.3-syft.json")},
		{name: "trailing data", predicateType: inventory.PredicateCycloneDX, doc: []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6"} {}`)},
		{name: "not an object", predicateType: inventory.PredicateCycloneDX, doc: []byte(`[]`)},
		{name: "wrong member type", predicateType: inventory.PredicateCycloneDX, doc: []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"purl":7}]}`)},
		{name: "nested too deep", predicateType: inventory.PredicateCycloneDX, doc: []byte(deep)},
		{name: "purl reference in another category", predicateType: inventory.PredicateSPDX, doc: []byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"name":"a","externalRefs":[{"referenceCategory":"OTHER","referenceType":"purl","referenceLocator":"pkg:npm/a@1.0.0"}]}]}`)},
		{name: "too large", predicateType: inventory.PredicateCycloneDX, doc: make([]byte, inventory.MaxSBOMSize+1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := inventory.Packages(tc.predicateType, tc.doc)
			if !errors.Is(err, inventory.ErrInvalidSBOM) {
				t.Fatalf("err = %v, want ErrInvalidSBOM", err)
			}
			var pe *inventory.PURLError
			if errors.As(err, &pe) != tc.wantPURLError {
				t.Fatalf("err = %v, PURLError expected: %v", err, tc.wantPURLError)
			}
		})
	}
}
