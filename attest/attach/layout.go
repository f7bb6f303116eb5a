package attach

import "github.com/ztci/ztci/internal/oci"

// The layout Bundle writes (cosign v3 and GitHub's): media types of the
// artifact and annotations on its manifest.
const (
	// EmptyMediaType is the OCI empty descriptor's media type (config "{}").
	EmptyMediaType = oci.EmptyMediaType
	// AnnotationContent says what the bundle holds: "dsse-envelope" or
	// "message-signature".
	AnnotationContent = oci.AnnotationContent
	// AnnotationPredicateType is the in-toto predicate type the bundle's
	// statement claims. Descriptive only: verification never trusts it.
	AnnotationPredicateType = oci.AnnotationPredicateType
)

// Path says how the attestation is listed for its image.
type Path = oci.Path

// The listing paths.
const (
	// PathReferrersAPI: the registry serves the referrers API and indexes
	// the artifact by its subject.
	PathReferrersAPI = oci.PathReferrersAPI
	// PathReferrersTag: the registry has no referrers API, and Bundle added
	// the artifact to the "sha256-<hex>" tag schema index.
	PathReferrersTag = oci.PathReferrersTag
)
