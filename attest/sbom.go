package attest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ztci/ztci/internal/clip"
)

// ErrSBOMFormat: the document is JSON but not the SBOM format it is passed as.
var ErrSBOMFormat = fmt.Errorf("%w: not the claimed SBOM format", ErrInvalidPredicate)

// SPDX returns a Predicate carrying an SPDX 2.x JSON document unchanged, with
// predicate type https://spdx.dev/Document/v<major.minor> taken from its
// spdxVersion. The document must be one JSON object (ErrPredicateNotJSON)
// with spdxVersion "SPDX-2.x" and SPDXID "SPDXRef-DOCUMENT" (ErrSBOMFormat).
func SPDX(doc []byte) Predicate { return &sbom{doc: doc, spdx: true} }

// CycloneDX returns a Predicate carrying a CycloneDX JSON BOM unchanged, with
// predicate type PredicateCycloneDX. The document must be one JSON object
// (ErrPredicateNotJSON) with bomFormat "CycloneDX" and a specVersion
// (ErrSBOMFormat).
func CycloneDX(doc []byte) Predicate { return &sbom{doc: doc} }

type sbom struct {
	doc  []byte
	spdx bool
}

func (s *sbom) PredicateType() string {
	if !s.spdx {
		return PredicateCycloneDX
	}
	var h struct {
		SPDXVersion string `json:"spdxVersion"`
	}
	if json.Unmarshal(s.doc, &h) == nil {
		if v, ok := strings.CutPrefix(h.SPDXVersion, "SPDX-"); ok && v != "" {
			return PredicateSPDX + "/v" + v
		}
	}
	return PredicateSPDX
}

func (s *sbom) PredicateJSON() (json.RawMessage, error) {
	if err := checkObject(s.doc); err != nil {
		return nil, err
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(s.doc, &h); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPredicateNotJSON, err)
	}
	str := func(k string) string {
		var v string
		_ = json.Unmarshal(h[k], &v) // absent or non-string stays ""
		return v
	}
	if s.spdx {
		v := str("spdxVersion")
		if !strings.HasPrefix(v, "SPDX-2.") || str("SPDXID") != "SPDXRef-DOCUMENT" {
			return nil, fmt.Errorf("%w: SPDX needs spdxVersion \"SPDX-2.x\" and SPDXID \"SPDXRef-DOCUMENT\", got spdxVersion %q", ErrSBOMFormat, clip.String(v, 80))
		}
	} else if str("bomFormat") != "CycloneDX" || str("specVersion") == "" {
		return nil, fmt.Errorf("%w: CycloneDX needs bomFormat \"CycloneDX\" and a specVersion, got bomFormat %q", ErrSBOMFormat, clip.String(str("bomFormat"), 80))
	}
	return append(json.RawMessage(nil), s.doc...), nil
}
