// Package mediatype declares the Sigstore bundle media type once. attest
// (which writes bundles and must not link go-containerregistry) and
// internal/oci (which attaches and discovers them and must not link
// sigstore-go) cannot import each other, so the one declaration sits in
// this leaf both import. The public name is attest.BundleMediaType.
package mediatype

const (
	// SigstoreBundle is the media type of a Sigstore bundle v0.3, the
	// version ztci writes: the bundle's "mediaType" and, when attached to an
	// image, the artifactType and layer media type of its manifest.
	SigstoreBundle = "application/vnd.dev.sigstore.bundle.v0.3+json"

	// SigstoreBundlePrefix starts every Sigstore bundle media type, of any
	// version ("application/vnd.dev.sigstore.bundle+json;version=0.1",
	// "….v0.3+json"), which readers accept.
	SigstoreBundlePrefix = "application/vnd.dev.sigstore.bundle"
)
