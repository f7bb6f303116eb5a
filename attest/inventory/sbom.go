package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/strictjson"
)

// SBOM predicate types, as attest declares them (attest.PredicateSPDX, also
// with a "/v2.x" suffix, and attest.PredicateCycloneDX); a test keeps them
// equal. They are repeated here so that the index links no Sigstore code.
const (
	PredicateSPDX      = "https://spdx.dev/Document"
	PredicateCycloneDX = "https://cyclonedx.org/bom"
)

// Bounds of SBOM extraction.
const (
	// MaxSBOMSize is the largest SBOM read, in bytes.
	MaxSBOMSize = 64 << 20
	// MaxComponentDepth bounds the nesting of CycloneDX components.
	MaxComponentDepth = 32
)

// IsSBOM reports whether predicateType is one [Packages] reads.
func IsSBOM(predicateType string) bool {
	return predicateType == PredicateCycloneDX || predicateType == PredicateSPDX ||
		strings.HasPrefix(predicateType, PredicateSPDX+"/v2.")
}

// Packages returns the packages an SBOM predicate lists, dispatching on its
// predicate type (see [IsSBOM]) to [SPDXPackages] or [CycloneDXPackages].
func Packages(predicateType string, predicate []byte) ([]Package, error) {
	switch {
	case predicateType == PredicateCycloneDX:
		return CycloneDXPackages(predicate)
	case IsSBOM(predicateType):
		return SPDXPackages(predicate)
	}
	return nil, fmt.Errorf("%w: predicate type %q is not an SBOM this index reads", ErrInvalidSBOM, clip.String(predicateType, 200))
}

type spdxDoc struct {
	SPDXVersion string `json:"spdxVersion"`
	SPDXID      string `json:"SPDXID"`
	Packages    []struct {
		Name         string `json:"name"`
		VersionInfo  string `json:"versionInfo"`
		ExternalRefs []struct {
			Category string `json:"referenceCategory"`
			Type     string `json:"referenceType"`
			Locator  string `json:"referenceLocator"`
		} `json:"externalRefs"`
	} `json:"packages"`
}

// SPDXPackages returns the packages of an SPDX 2.x JSON document: every
// external reference of type "purl" (category PACKAGE-MANAGER, or
// PACKAGE_MANAGER as SPDX 2.3 spells it), with the package's versionInfo
// when the package URL has no version. Packages without a package URL are
// not indexed. A package URL whose version differs from versionInfo (other
// than NOASSERTION or NONE) refuses the document ([ErrSBOMVersionConflict]):
// Trivy matches the package URL's version, syft and Grype versionInfo, so
// one signed SBOM would show a vulnerable version to one scanner and a
// fixed one to the index. Versions equal in the type's ordering
// ([CompareVersions]: v1.2.3 and 1.2.3 for golang; the epoch qualifier is
// folded in for deb and rpm, as Trivy writes it) are one version. The
// document must be one JSON object with spdxVersion "SPDX-2.x" and SPDXID
// "SPDXRef-DOCUMENT", at most [MaxSBOMSize] bytes, [MaxPackages]
// package URLs and the array elements its size allows (see decodeSBOM); a
// malformed package URL refuses the whole document (the
// error wraps [ErrInvalidSBOM] and a [*PURLError]).
func SPDXPackages(doc []byte) ([]Package, error) {
	var d spdxDoc
	if err := decodeSBOM(doc, spdxSchema, &d); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(d.SPDXVersion, "SPDX-2.") || d.SPDXID != "SPDXRef-DOCUMENT" {
		return nil, fmt.Errorf("%w: not SPDX 2.x JSON (spdxVersion %q)", ErrInvalidSBOM, clip.String(d.SPDXVersion, 200))
	}
	var out []Package
	for _, p := range d.Packages {
		for _, r := range p.ExternalRefs {
			if r.Type != "purl" {
				continue
			}
			if r.Category != "PACKAGE-MANAGER" && r.Category != "PACKAGE_MANAGER" {
				return nil, fmt.Errorf("%w: package %q: a purl reference in category %q", ErrInvalidSBOM, clip.String(p.Name, 200), clip.String(r.Category, 200))
			}
			pk, err := sbomPackage(r.Locator, p.VersionInfo, nil)
			if err != nil {
				return nil, fmt.Errorf("%w: package %q: %w", ErrInvalidSBOM, clip.String(p.Name, 200), err)
			}
			if out = append(out, pk); len(out) > MaxPackages {
				return nil, fmt.Errorf("%w: more than %d package URLs", ErrInvalidSBOM, MaxPackages)
			}
		}
	}
	return out, nil
}

type cdxComponent struct {
	Name       string         `json:"name"`
	Version    string         `json:"version"`
	PURL       string         `json:"purl"`
	Properties []cdxProperty  `json:"properties"`
	Components []cdxComponent `json:"components"`
}

type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type cdxDoc struct {
	BOMFormat   string `json:"bomFormat"`
	SpecVersion string `json:"specVersion"`
	Metadata    struct {
		Component *cdxComponent `json:"component"`
	} `json:"metadata"`
	Components []cdxComponent `json:"components"`
}

// The schemas of what the index reads. SBOM formats name members
// case-sensitively and their tools read them so; encoding/json keeps the
// last of "components" and "Components", or of a repeated "purl", and
// reads "PURL" as purl. Such a document lists other packages to the index
// than to every other reader of the signed SBOM (a vulnerable package could
// hide from an incident query), so it is refused.
var (
	spdxSchema = strictjson.SchemaOf(reflect.TypeFor[spdxDoc]())
	cdxSchema  = strictjson.SchemaOf(reflect.TypeFor[cdxDoc]())
)

// CycloneDXPackages returns the packages of a CycloneDX 1.4, 1.5 or 1.6
// JSON BOM: the purl of every component, nested components included (at
// most [MaxComponentDepth] deep), with the component's version when the
// package URL has none. metadata.component (the artifact itself) is not a
// package of it and is not indexed, but the components nested in it are
// its parts and are: readers such as osv-scanner match them, and an SBOM
// may list its packages there only, so an index that skipped them would
// not find a vulnerable package a scanner of the same SBOM reports.
// Components without a package URL are not indexed. Bounds and refusals,
// a version conflict included, are those of [SPDXPackages]; bomFormat must
// be "CycloneDX".
//
// An OS package (deb, apk, rpm, alpm) whose component carries Trivy's
// source properties (aquasecurity:trivy:SrcName, SrcVersion, SrcRelease,
// SrcEpoch) naming a source package other than itself, and whose package
// URL has no "upstream" qualifier, is returned with one added as syft
// writes it (upstream=openssl%401%3A3.0.7-24.el9: name@version), so that
// Record indexes its source package as for syft's SBOMs
// ([Package.Source]). A package URL's own qualifier is kept as it is.
// Source properties that name no source package (one given twice, a
// release without a version, …) are ignored, as a malformed upstream
// qualifier is.
func CycloneDXPackages(doc []byte) ([]Package, error) {
	var d cdxDoc
	if err := decodeSBOM(doc, cdxSchema, &d); err != nil {
		return nil, err
	}
	if d.BOMFormat != "CycloneDX" {
		return nil, fmt.Errorf("%w: bomFormat %q is not CycloneDX", ErrInvalidSBOM, clip.String(d.BOMFormat, 200))
	}
	switch d.SpecVersion {
	case "1.4", "1.5", "1.6":
	default:
		return nil, fmt.Errorf("%w: CycloneDX specVersion %q (1.4, 1.5 or 1.6 are read)", ErrInvalidSBOM, clip.String(d.SpecVersion, 200))
	}
	var out []Package
	var walk func([]cdxComponent, int) error
	walk = func(cs []cdxComponent, depth int) error {
		if depth > MaxComponentDepth {
			return fmt.Errorf("%w: components nested deeper than %d", ErrInvalidSBOM, MaxComponentDepth)
		}
		for _, c := range cs {
			if c.PURL != "" {
				pk, err := sbomPackage(c.PURL, c.Version, c.Properties)
				if err != nil {
					return fmt.Errorf("%w: component %q: %w", ErrInvalidSBOM, clip.String(c.Name, 200), err)
				}
				if out = append(out, pk); len(out) > MaxPackages {
					return fmt.Errorf("%w: more than %d package URLs", ErrInvalidSBOM, MaxPackages)
				}
			}
			if err := walk(c.Components, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(d.Components, 1); err != nil {
		return nil, err
	}
	// metadata.component is the artifact; its components are parts of it,
	// nested one level in.
	if mc := d.Metadata.Component; mc != nil {
		if err := walk(mc.Components, 2); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// decodeSBOM decodes doc into v after schema's check: one JSON value,
// Unicode text, no two members of an object equal under case folding, none
// of v's member names in another case, and no more array elements than
// its size allows (strictjson.ErrTooManyElements): `"components":[{},…]`
// cost encoding/json 180 bytes per byte of a signed SBOM.
func decodeSBOM(doc []byte, schema *strictjson.Schema, v any) error {
	if len(doc) > MaxSBOMSize {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidSBOM, len(doc), MaxSBOMSize)
	}
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 || doc[0] != '{' {
		return fmt.Errorf("%w: not a JSON object", ErrInvalidSBOM)
	}
	if err := schema.CheckBounded(doc); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSBOM, err)
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSBOM, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing data after the document", ErrInvalidSBOM)
	}
	return nil
}

// sbomPackage checks a package URL and takes the SBOM's own version when
// the URL has none, and adds the upstream qualifier that Trivy's source
// properties props name (see [CycloneDXPackages]).
func sbomPackage(purl, version string, props []cdxProperty) (Package, error) {
	u, _, q, err := parse(purl)
	if err != nil {
		return Package{}, err
	}
	pk := Package{PURL: purl}
	if version == "NOASSERTION" || version == "NONE" {
		version = ""
	}
	if u.Version == "" {
		// The epoch qualifier is the version field's epoch too
		// (withEpoch); a field naming another epoch is a conflict.
		v, reason := withEpoch(u.Type, version, q.epoch)
		if reason != "" {
			return Package{}, fmt.Errorf("%w: %q: %s", ErrSBOMVersionConflict, clip.String(version, 100), reason)
		}
		pk.Version, u.Version = v, v
	} else if !sameVersion(u.Type, u.Version, version) {
		return Package{}, fmt.Errorf("%w: %q and %q", ErrSBOMVersionConflict, clip.String(u.Version, 100), clip.String(version, 100))
	}
	if !q.hasUpstream && sourceTypes[u.Type] {
		if hint, ok := trivySource(props); ok {
			if _, ok := sourceOf(u, u.Version, qualifiers{upstream: hint, hasUpstream: true}); ok {
				// Escaping only lengthens it: a package URL too long then
				// keeps no hint, like a malformed one.
				if s := withUpstream(purl, hint); len(s) <= MaxPURLLen {
					if _, _, _, err := parse(s); err == nil {
						pk.PURL = s
					}
				}
			}
		}
	}
	return pk, nil
}

// sameVersion reports whether an SBOM's version field names the version
// of its package URL, purlVersion: absent, equal, or equal in the type's
// ordering.
func sameVersion(typ, purlVersion, field string) bool {
	if field == "" || field == purlVersion {
		return true
	}
	c, err := CompareVersions(typ, purlVersion, field)
	return err == nil && c == 0
}
