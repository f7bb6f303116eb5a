package attest_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest"
)

// The SPDX predicate type is built from the document's spdxVersion, which
// the job writes: "SPDX-2.3 x" or "SPDX-2.3/../../other" gave a predicate
// type of the job's choosing that a verifier keyed on the SPDX types does
// not recognise, while the deploy gate's index (any "…/v2." prefix) still
// read it as an SBOM.
func TestReview28SPDXVersionNamesThePredicateType(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, version, wantType string
		ok                      bool
	}{
		{name: "2.3", version: "SPDX-2.3", wantType: attest.PredicateSPDX + "/v2.3", ok: true},
		{name: "2.10", version: "SPDX-2.10", wantType: attest.PredicateSPDX + "/v2.10", ok: true},
		{name: "trailing text", version: "SPDX-2.3 x"},
		{name: "path", version: "SPDX-2.3/../../evil"},
		{name: "no minor", version: "SPDX-2."},
		{name: "leading zero", version: "SPDX-2.03"},
		{name: "long minor", version: "SPDX-2.99999999"},
		{name: "escaped control", version: `SPDX-2.3\n`},
		{name: "unicode digit", version: "SPDX-2.٣"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := []byte(`{"spdxVersion":"` + tc.version + `","SPDXID":"SPDXRef-DOCUMENT","packages":[]}`)
			p := attest.SPDX(doc)
			_, err := p.PredicateJSON()
			if !tc.ok {
				if !errors.Is(err, attest.ErrSBOMFormat) || !errors.Is(err, attest.ErrInvalidPredicate) {
					t.Fatalf("spdxVersion %q: %v, want ErrSBOMFormat", tc.version, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.PredicateType(); got != tc.wantType {
				t.Fatalf("predicate type %q, want %q", got, tc.wantType)
			}
		})
	}
}
