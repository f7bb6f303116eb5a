package ocibundle

import (
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ztci/ztci/internal/oci"
)

// The layout OPA reads and writes for bundles in OCI registries
// (open-policy-agent/opa v1/download/oci_download.go): an OCI image
// manifest whose layer is the bundle tarball.
const (
	// MediaTypeManifest is the manifest media type of a bundle artifact.
	MediaTypeManifest = string(types.OCIManifestSchema1)
	// MediaTypeLayer is the media type of the layer holding the bundle's
	// .tar.gz, as `opa build` writes it.
	MediaTypeLayer = string(types.OCILayer)
	// MediaTypeConfig is the config media type OPA's pushers write; the
	// OCI empty descriptor (application/vnd.oci.empty.v1+json, which oras
	// writes for artifacts) is accepted too. The config is never fetched.
	MediaTypeConfig = string(types.OCIConfigJSON)
)

// parseManifest returns the bundle layer of a manifest read from an
// untrusted registry. It is stricter than OPA, which takes the first
// tar+gzip layer of any manifest and descends into indexes: exactly one
// layer, of MediaTypeLayer, in an OCI image manifest, so that what is
// loaded is never a choice among several candidates.
//
// The same holds within the manifest's JSON: one that repeats a member or
// spells one in another case ("layers" twice, "Layers", "Digest"), or
// holds text that is not Unicode, is refused before it is decoded.
// encoding/json would read the last "layers" (or "Layers" for "layers"),
// where the publisher's and a reviewer's tools read the first or only the
// exact name: the signed manifest would name one bundle to them and
// another to this Source.
func parseManifest(body []byte) (v1.Descriptor, error) {
	if err := oci.CheckArtifactJSON(body); err != nil {
		return v1.Descriptor{}, fmt.Errorf("%w: manifest: %v", ErrFormat, err)
	}
	var m oci.ArtifactManifest
	if err := json.Unmarshal(body, &m); err != nil {
		return v1.Descriptor{}, fmt.Errorf("%w: manifest is not JSON: %v", ErrFormat, err)
	}
	switch {
	case m.SchemaVersion != 2:
		return v1.Descriptor{}, fmt.Errorf("%w: schemaVersion %d, want 2", ErrFormat, m.SchemaVersion)
	case m.MediaType != MediaTypeManifest:
		return v1.Descriptor{}, fmt.Errorf("%w: manifest mediaType %q, want %s", ErrFormat, m.MediaType, MediaTypeManifest)
	case m.Config.MediaType != MediaTypeConfig && m.Config.MediaType != oci.EmptyMediaType:
		return v1.Descriptor{}, fmt.Errorf("%w: config mediaType %q, want %s or %s", ErrFormat, m.Config.MediaType, MediaTypeConfig, oci.EmptyMediaType)
	case len(m.Layers) != 1:
		return v1.Descriptor{}, fmt.Errorf("%w: %d layers, want 1", ErrFormat, len(m.Layers))
	}
	l := m.Layers[0]
	if l.MediaType != MediaTypeLayer {
		return v1.Descriptor{}, fmt.Errorf("%w: layer mediaType %q, want %s", ErrFormat, l.MediaType, MediaTypeLayer)
	}
	h, err := v1.NewHash(l.Digest)
	if err != nil || h.Algorithm != "sha256" {
		return v1.Descriptor{}, fmt.Errorf("%w: layer digest %q is not a sha256 digest", ErrFormat, l.Digest)
	}
	if l.Size < 0 {
		return v1.Descriptor{}, fmt.Errorf("%w: layer size %d", ErrFormat, l.Size)
	}
	return v1.Descriptor{MediaType: types.MediaType(l.MediaType), Digest: h, Size: l.Size}, nil
}
