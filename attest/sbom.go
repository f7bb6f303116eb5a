package attest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/internal/clip"
)

// ErrSBOMFormat: the document is JSON but not an SBOM of the format it is
// passed as that ztci's SBOM reader (attest/inventory, which the deploy
// gate indexes every verified SBOM with) reads. The reader's error is
// wrapped too: errors.Is(err, inventory.ErrSBOMVersionConflict) holds for a
// package whose package URL and version field disagree.
var ErrSBOMFormat = fmt.Errorf("%w: not the claimed SBOM format", ErrInvalidPredicate)

// SPDX returns a Predicate carrying an SPDX 2.x JSON document unchanged, with
// predicate type https://spdx.dev/Document/v<major.minor> taken from its
// spdxVersion. The document must be one JSON object (ErrPredicateNotJSON)
// that inventory.SPDXPackages reads (ErrSBOMFormat): spdxVersion
// "SPDX-2.x", SPDXID "SPDXRef-DOCUMENT", well-formed package URLs, each
// with the version of its package's versionInfo.
func SPDX(doc []byte) Predicate { return &sbom{doc: doc, spdx: true} }

// CycloneDX returns a Predicate carrying a CycloneDX JSON BOM unchanged, with
// predicate type PredicateCycloneDX. The document must be one JSON object
// (ErrPredicateNotJSON) that inventory.CycloneDXPackages reads
// (ErrSBOMFormat): bomFormat "CycloneDX", specVersion 1.4, 1.5 or 1.6,
// well-formed package URLs, each with the version of its component's
// version, those nested in metadata.component included.
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

// PredicateJSON runs the index's reader on the document rather than a
// check of its own: the gate records every verified SBOM in the index and
// denies a deploy whose SBOM does not read, so an SBOM signed here that
// the index refuses (a version conflict, an unread specVersion) would deny
// every deploy of its artifact.
func (s *sbom) PredicateJSON() (json.RawMessage, error) {
	if err := checkObject(s.doc); err != nil {
		return nil, err
	}
	if s.spdx {
		// The predicate type is built from the document's spdxVersion:
		// only a version spelt as SPDX spells them ("SPDX-2.3") names
		// it, so a document cannot choose a predicate type of its own
		// ("…/v2.3 x", "…/v2.3/../other") that a verifier keyed on the
		// SPDX types would not recognise while the index still reads it.
		var h struct {
			SPDXVersion string `json:"spdxVersion"`
		}
		if err := json.Unmarshal(s.doc, &h); err != nil || !spdxVersion(h.SPDXVersion) {
			return nil, fmt.Errorf("%w: spdxVersion %q is not SPDX-2.<minor>", ErrSBOMFormat, clip.String(h.SPDXVersion, 64))
		}
	}
	if _, err := inventory.Packages(s.PredicateType(), s.doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSBOMFormat, err)
	}
	return append(json.RawMessage(nil), s.doc...), nil
}

// spdxVersion reports whether v is "SPDX-2." followed by one to three
// decimal digits, without a leading zero unless it is "0".
func spdxVersion(v string) bool {
	minor, ok := strings.CutPrefix(v, "SPDX-2.")
	if !ok || minor == "" || len(minor) > 3 || (len(minor) > 1 && minor[0] == '0') {
		return false
	}
	for _, r := range minor {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
