package inventory_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/internal/strictjson"
	"github.com/ztci/ztci/internal/strictjson/strictjsontest"
)

// review24Flood is an SBOM of n tiny elements at the array its shape
// names, each of which encoding/json decodes into a Go value many times
// its three bytes.
func review24Flood(shape string, n int) []byte {
	elems := strings.TrimSuffix(strings.Repeat("{},", n), ",")
	switch shape {
	case "components":
		return []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[` + elems + `]}`)
	case "properties":
		return []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"properties":[` + elems + `]}]}`)
	case "packages":
		return []byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[` + elems + `]}`)
	case "externalRefs":
		return []byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"externalRefs":[` + elems + `]}]}`)
	}
	panic(shape)
}

func review24Parse(shape string, doc []byte) ([]inventory.Package, error) {
	if shape == "packages" || shape == "externalRefs" {
		return inventory.SPDXPackages(doc)
	}
	return inventory.CycloneDXPackages(doc)
}

// TestReview24SBOMElementBudget: an SBOM is read from an attestation any
// job can sign. `"components":[{},{},…]` of 48 MiB made encoding/json
// allocate 8.7 GB (about 180 bytes per input byte) and was accepted with
// no packages; the same held for properties, SPDX packages and their
// external references. Such a document is refused, wrapping
// ErrInvalidSBOM and strictjson.ErrTooManyElements, before it is decoded,
// and what is allocated on the way stays a small multiple of its size.
func TestReview24SBOMElementBudget(t *testing.T) {
	for _, shape := range []string{"components", "properties", "packages", "externalRefs"} {
		t.Run(shape, func(t *testing.T) {
			doc := review24Flood(shape, 1<<20) // 3 MiB
			var err error
			allocs := strictjsontest.Allocated(func() { _, err = review24Parse(shape, doc) })
			if !errors.Is(err, inventory.ErrInvalidSBOM) || !errors.Is(err, strictjson.ErrTooManyElements) {
				t.Fatalf("err = %v, want ErrInvalidSBOM and ErrTooManyElements", err)
			}
			if allocs > 4*uint64(len(doc)) {
				t.Errorf("allocated %d bytes for a %d-byte document", allocs, len(doc))
			}
		})
	}
}

// TestReview24SBOMRealisticAccepted: the budget refuses no real SBOM, nor
// a dense one of minimal components (a purl, a name and a version each,
// about 90 bytes).
func TestReview24SBOMRealisticAccepted(t *testing.T) {
	for _, f := range []string{"testdata/cyclonedx-1.5-trivy.json", "testdata/spdx-2.3-syft.json", "testdata/cyclonedx-1.5-nested.json"} {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pt := inventory.PredicateCycloneDX
		if strings.Contains(f, "spdx") {
			pt = inventory.PredicateSPDX
		}
		if _, err := inventory.Packages(pt, doc); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := inventory.CycloneDXPackages(review24Dense(inventory.MaxPackages)); err != nil {
		t.Errorf("dense SBOM of %d components: %v", inventory.MaxPackages, err)
	}
}

// review24Dense is a CycloneDX BOM of n components as terse as a tool
// writes them.
func review24Dense(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"name":"p`)
		b.WriteString(strings.Repeat("x", 4))
		b.WriteString(`","version":"1.0.0","purl":"pkg:npm/px`)
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(`@1.0.0"}`)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// review24Padded is the worst an attacker can do within the budget: as
// many empty components as it allows, the rest of the document a string
// member the index does not read.
func review24Padded(n int) []byte {
	elems := strings.TrimSuffix(strings.Repeat("{},", n), ",")
	pad := n*96/2 - len(elems) - 200
	return []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","x":"` + strings.Repeat("a", pad) + `","components":[` + elems + `]}`)
}

// BenchmarkReview24SBOM measures memory on the adversarial shapes and on
// the Trivy SBOM of testdata: go test -run '^$' -bench Review24 -benchmem.
func BenchmarkReview24SBOM(b *testing.B) {
	real, err := os.ReadFile("testdata/cyclonedx-1.5-trivy.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("trivy-testdata", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(real)))
		for b.Loop() {
			if _, err := inventory.CycloneDXPackages(real); err != nil {
				b.Fatal(err)
			}
		}
	})
	dense := review24Dense(inventory.MaxPackages)
	b.Run("dense-100k-components", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(dense)))
		for b.Loop() {
			if _, err := inventory.CycloneDXPackages(dense); err != nil {
				b.Fatal(err)
			}
		}
	})
	padded := review24Padded(1 << 17)
	b.Run("padded-components-within-budget", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(padded)))
		for b.Loop() {
			if _, err := inventory.CycloneDXPackages(padded); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, shape := range []string{"components", "properties", "packages", "externalRefs"} {
		doc := review24Flood(shape, 4<<20) // 12 MiB
		b.Run("flood-"+shape, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				_, _ = review24Parse(shape, doc)
			}
		})
	}
}
