package oci

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/mediatype"
	"github.com/ztci/ztci/internal/strictjson"
)

// Media types this package reads and writes.
const (
	// EmptyMediaType is the OCI empty descriptor's media type (config "{}").
	EmptyMediaType = "application/vnd.oci.empty.v1+json"

	// MediaTypeOCIManifest is the OCI image manifest, which artifacts use.
	MediaTypeOCIManifest = "application/vnd.oci.image.manifest.v1+json"
	// MediaTypeOCIIndex is the OCI image index, which referrers listings use.
	MediaTypeOCIIndex = "application/vnd.oci.image.index.v1+json"

	mtDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"

	// Annotations on the artifact manifest (cosign v3 / GitHub layout).
	AnnotationContent       = "dev.sigstore.bundle.content"
	AnnotationPredicateType = "dev.sigstore.bundle.predicateType"
	AnnotationCreated       = "org.opencontainers.image.created"
	AnnotationTitle         = "org.opencontainers.image.title"
)

// IsIndex reports whether mt is an OCI image index or Docker manifest list.
func IsIndex(mt string) bool { return mt == MediaTypeOCIIndex || mt == mtDockerList }

// IsManifest reports whether mt is an OCI or Docker image manifest.
func IsManifest(mt string) bool { return mt == MediaTypeOCIManifest || mt == mtDockerManifest }

// IsBundleType reports whether mt, parameters ignored, is a Sigstore bundle
// media type of any version.
func IsBundleType(mt string) bool {
	return strings.HasPrefix(baseMediaType(mt), mediatype.SigstoreBundlePrefix)
}

// manifestShape is what manifestMediaType reads of a fetched manifest: its
// media type and the members that make it an index or an image manifest.
type manifestShape struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType"`
	Config        json.RawMessage `json:"config"`
	Layers        json.RawMessage `json:"layers"`
	Manifests     json.RawMessage `json:"manifests"`
}

// shapeSchema refuses a manifest whose kind encoding/json and a reader
// matching names exactly would read differently: "MediaType" for
// "mediaType", or a repeated member, of which encoding/json keeps the last.
var shapeSchema = strictjson.SchemaOf(reflect.TypeFor[manifestShape]())

// manifestMediaType returns the media type of a fetched manifest: the
// "mediaType" in the body (which the digest covers) and the Content-Type
// header must agree when both are present, and the body must have the
// members of that type only. Without the last check a body holding both
// "manifests" and "layers", or neither mediaType, is an index or an image
// manifest as the header says, and the header is not covered by the
// digest: a registry could show the same digest to this client as an image
// manifest (verified as itself) and to a node as an index (whose manifests
// it runs). containerd refuses such a body for the same reason
// (CVE-2021-41190).
func manifestMediaType(body []byte, contentType string) (string, error) {
	if err := shapeSchema.CheckRepeats(body); err != nil {
		return "", fmt.Errorf("%w: manifest: %v", ErrMalformed, clip.Error(err, maxQuote))
	}
	var probe manifestShape
	if err := json.Unmarshal(body, &probe); err != nil {
		return "", fmt.Errorf("%w: manifest is not JSON: %v", ErrMalformed, clip.Error(err, maxQuote))
	}
	if probe.SchemaVersion != 2 {
		return "", fmt.Errorf("%w: schemaVersion %d, want 2", ErrMalformed, probe.SchemaVersion)
	}
	hdr := baseMediaType(contentType)
	mt := probe.MediaType
	switch {
	case mt == "" && hdr == "":
		return "", fmt.Errorf("%w: manifest has no media type", ErrMalformed)
	case mt == "":
		mt = hdr
	case hdr != "" && hdr != mt && hdr != "application/octet-stream" && hdr != "application/json":
		return "", fmt.Errorf("%w: Content-Type %s disagrees with mediaType %s", ErrMalformed, quote(hdr), quote(mt))
	}
	switch {
	case IsIndex(mt):
		if probe.Config != nil || probe.Layers != nil {
			return "", fmt.Errorf("%w: index %s has the config or layers of an image manifest", ErrMalformed, quote(mt))
		}
	case IsManifest(mt):
		if probe.Manifests != nil {
			return "", fmt.Errorf("%w: image manifest %s has the manifests of an index", ErrMalformed, quote(mt))
		}
	default:
		return "", fmt.Errorf("%w: unsupported manifest media type %s", ErrMalformed, quote(mt))
	}
	return mt, nil
}

// Descriptor is the subset of an OCI descriptor this package reads.
type Descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Platform     *v1.Platform      `json:"platform,omitempty"`
}

func (d Descriptor) toV1(what string) (v1.Descriptor, error) {
	h, err := v1.NewHash(d.Digest)
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("%w: %s digest %s: %v", ErrMalformed, what, quote(d.Digest), clip.Error(err, maxQuote))
	}
	if h.Algorithm != "sha256" {
		return v1.Descriptor{}, fmt.Errorf("%w: %s digest algorithm %s is not sha256", ErrMalformed, what, quote(h.Algorithm))
	}
	if d.Size < 0 {
		return v1.Descriptor{}, fmt.Errorf("%w: %s size %d is negative", ErrMalformed, what, d.Size)
	}
	return v1.Descriptor{
		MediaType:    types.MediaType(d.MediaType),
		Digest:       h,
		Size:         d.Size,
		ArtifactType: d.ArtifactType,
		Annotations:  d.Annotations,
		Platform:     d.Platform,
	}, nil
}

// indexSchema and artifactSchema know the member names of an index and of
// an artifact manifest: one that repeats a member, or spells one in
// another case, is refused. encoding/json reads the last "subject" of two
// and "Subject" for "subject", where other registry clients read the
// first or neither, so the manifest would name one subject (or one list
// of layers) to this client and another to them. The decoder after the
// walk refuses what is not JSON, so the walk need not validate.
var (
	indexSchema    = strictjson.SchemaOf(reflect.TypeFor[index]())
	artifactSchema = strictjson.SchemaOf(reflect.TypeFor[ArtifactManifest]())
)

// CheckArtifactJSON refuses an artifact manifest that repeats a member,
// spells one in another case or holds text that is not Unicode
// (strictjson.Check with the manifest's member names), for a caller that
// decodes an [ArtifactManifest] itself.
func CheckArtifactJSON(b []byte) error { return artifactSchema.Check(b) }

// index is an OCI image index or Docker manifest list.
type index struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Manifests     []Descriptor `json:"manifests"`
}

// ParseIndex parses an image index from an untrusted registry. It never
// returns more than maxEntries descriptors.
func ParseIndex(b []byte, maxEntries int) ([]v1.Descriptor, error) {
	if err := indexSchema.CheckUnvalidated(b); err != nil {
		return nil, fmt.Errorf("%w: index: %v", ErrMalformed, clip.Error(err, maxQuote))
	}
	var ix index
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("%w: index: %v", ErrMalformed, clip.Error(err, maxQuote))
	}
	if ix.SchemaVersion != 2 {
		return nil, fmt.Errorf("%w: index schemaVersion %d, want 2", ErrMalformed, ix.SchemaVersion)
	}
	if ix.MediaType != "" && !IsIndex(ix.MediaType) {
		return nil, fmt.Errorf("%w: index mediaType %s", ErrMalformed, quote(ix.MediaType))
	}
	if len(ix.Manifests) > maxEntries {
		return nil, fmt.Errorf("%w: %d entries, limit %d", ErrTooManyReferrers, len(ix.Manifests), maxEntries)
	}
	out := make([]v1.Descriptor, 0, len(ix.Manifests))
	for i, d := range ix.Manifests {
		vd, err := d.toV1(fmt.Sprintf("index entry %d", i))
		if err != nil {
			return nil, err
		}
		out = append(out, vd)
	}
	return out, nil
}

// ArtifactManifest is an OCI image manifest used as an artifact.
type ArtifactManifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType,omitempty"`
	Config        Descriptor        `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Subject       *Descriptor       `json:"subject,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// ParsedArtifact is what this package needs from an attestation artifact.
type ParsedArtifact struct {
	ArtifactType string
	Subject      *v1.Hash
	Layers       []v1.Descriptor
	Annotations  map[string]string
}

// ParseArtifact parses an image manifest from an untrusted registry.
func ParseArtifact(b []byte) (*ParsedArtifact, error) {
	if err := artifactSchema.CheckUnvalidated(b); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrMalformed, clip.Error(err, maxQuote))
	}
	var m ArtifactManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrMalformed, clip.Error(err, maxQuote))
	}
	if m.SchemaVersion != 2 {
		return nil, fmt.Errorf("%w: manifest schemaVersion %d, want 2", ErrMalformed, m.SchemaVersion)
	}
	if m.MediaType != "" && !IsManifest(m.MediaType) {
		return nil, fmt.Errorf("%w: manifest mediaType %s", ErrMalformed, quote(m.MediaType))
	}
	if len(m.Layers) > 64 {
		return nil, fmt.Errorf("%w: %d layers in an attestation artifact", ErrMalformed, len(m.Layers))
	}
	p := &ParsedArtifact{ArtifactType: m.ArtifactType, Annotations: m.Annotations}
	if p.ArtifactType == "" {
		p.ArtifactType = m.Config.MediaType
	}
	if m.Subject != nil {
		sd, err := m.Subject.toV1("subject")
		if err != nil {
			return nil, err
		}
		p.Subject = &sd.Digest
	}
	for i, l := range m.Layers {
		ld, err := l.toV1(fmt.Sprintf("layer %d", i))
		if err != nil {
			return nil, err
		}
		p.Layers = append(p.Layers, ld)
	}
	return p, nil
}
