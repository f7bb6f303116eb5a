package inventory_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest/inventory"
)

// TestReview6SBOMAmbiguousMembers: the index answers "where is this
// vulnerable package deployed?" from the SBOM. encoding/json keeps the
// last of two members equal under case folding, and reads a name spelt in
// another case as the field, where SBOM tools read names exactly: a
// component list "components" beside an empty "Components", or a purl
// given twice, hid the vulnerable package from the index while every
// other reader of the signed SBOM lists it. Text that is not Unicode is
// refused too (encoding/json reads it as U+FFFD).
func TestReview6SBOMAmbiguousMembers(t *testing.T) {
	t.Parallel()
	const cdx = `{"bomFormat":"CycloneDX","specVersion":"1.5",`
	const spdx = `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT",`
	for _, tt := range []struct{ name, pt, doc string }{
		{"components beside Components", inventory.PredicateCycloneDX,
			cdx + `"components":[{"name":"x","purl":"pkg:golang/golang.org/x/net@v0.1.0"}],"Components":[]}`},
		{"purl repeated", inventory.PredicateCycloneDX,
			cdx + `"components":[{"name":"x","purl":"pkg:golang/golang.org/x/net@v0.1.0","purl":"pkg:golang/example.com/ok@v1.0.0"}]}`},
		{"lone PURL", inventory.PredicateCycloneDX,
			cdx + `"components":[{"name":"x","PURL":"pkg:golang/golang.org/x/net@v0.1.0"}]}`},
		{"bomformat in another case", inventory.PredicateCycloneDX,
			`{"BOMFormat":"CycloneDX","specVersion":"1.5","components":[]}`},
		{"packages beside Packages", inventory.PredicateSPDX,
			spdx + `"packages":[{"name":"x","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:pypi/requests@2.0.0"}]}],"Packages":[]}`},
		{"referenceLocator repeated", inventory.PredicateSPDX,
			spdx + `"packages":[{"name":"x","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:pypi/requests@2.0.0","referenceLocator":"pkg:pypi/ok@1.0.0"}]}]}`},
		{"invalid UTF-8", inventory.PredicateCycloneDX,
			cdx + "\"components\":[{\"name\":\"x\xff\",\"purl\":\"pkg:golang/golang.org/x/net@v0.1.0\"}]}"},
		{"lone surrogate", inventory.PredicateCycloneDX,
			cdx + `"components":[{"name":"x\udc00","purl":"pkg:golang/golang.org/x/net@v0.1.0"}]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := inventory.Packages(tt.pt, []byte(tt.doc))
			if !errors.Is(err, inventory.ErrInvalidSBOM) {
				t.Fatalf("Packages = %v, %v; want ErrInvalidSBOM", got, err)
			}
		})
	}
}
