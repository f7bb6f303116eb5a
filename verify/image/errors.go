package image

import (
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/internal/oci"
)

// Sentinel errors. Every error this package returns wraps ErrRegistry (the
// registry misbehaved or could not be read, so nothing can be decided) or
// ErrAttestation (one attestation failed; the image may still pass on the
// others), or is a configuration error wrapping ErrConfig, or wraps
// ErrUnaudited (the verdict could not be audited). Finer sentinels
// wrap these, so errors.Is works at either level.
//
// The registry errors are the values attest/attach returns too (both use
// one client), so errors.Is(err, image.ErrNotFound) matches an error from
// attach.Bundle as well.
var (
	// ErrConfig: an Option or argument is invalid.
	ErrConfig = oci.ErrConfig

	// ErrRegistry: talking to the registry failed. Callers treat it as deny.
	ErrRegistry = oci.ErrRegistry
	// ErrNotFound: the registry answered 404 for a manifest or blob that must exist.
	ErrNotFound = oci.ErrNotFound
	// ErrDenied: the registry answered 401 or 403.
	ErrDenied = oci.ErrDenied
	// ErrUnavailable: the registry kept answering 429 or 5xx after bounded retries.
	ErrUnavailable = oci.ErrUnavailable
	// ErrStatus: any other unexpected HTTP status (see *StatusError).
	ErrStatus = oci.ErrStatus
	// ErrTooManyRedirects: the registry redirected too many times.
	ErrTooManyRedirects = oci.ErrTooManyRedirects
	// ErrInternalAddress: a destination the registry chose (a redirect to
	// blob storage) is not a public address and WithInternalRedirects does
	// not allow it; nothing was sent (see *InternalAddressError).
	ErrInternalAddress = oci.ErrInternalAddress
	// ErrTooLarge: a manifest, index or blob exceeds its limit (see *TooLargeError).
	ErrTooLarge = oci.ErrTooLarge
	// ErrDigestMismatch: content does not hash to the digest it was fetched
	// by, or a registry header names another digest (see *DigestMismatchError).
	ErrDigestMismatch = oci.ErrDigestMismatch
	// ErrMalformed: a manifest or index is not the JSON shape the OCI specs define.
	ErrMalformed = oci.ErrMalformed
	// ErrReferrersAPI: the referrers API answered with something other than
	// an image index or a 404. It is never read as "no attestations", and the
	// tag schema is not consulted instead.
	ErrReferrersAPI = oci.ErrReferrersAPI
	// ErrTooManyReferrers: the listing holds more candidates than MaxReferrers.
	ErrTooManyReferrers = oci.ErrTooManyReferrers
	// ErrPlatformNotFound: the index has no manifest for the requested platform.
	ErrPlatformNotFound = fmt.Errorf("%w: platform not found in index", ErrRegistry)
	// ErrPlatformAmbiguous: the index does not say which manifest a
	// runtime runs for the requested platform: several satisfy it (name it
	// more precisely, e.g. with a variant), one names no platform, or the
	// index lists another index, which a runtime descends into (see
	// [WithPlatform], [WithAllPlatforms]).
	ErrPlatformAmbiguous = fmt.Errorf("%w: index does not say which manifest runs for the platform", ErrRegistry)

	// ErrAttestation: one candidate attestation was rejected.
	ErrAttestation = errors.New("image: attestation rejected")
	// ErrSubjectMismatch: the artifact's subject is not the image it was
	// listed for (see *SubjectMismatchError).
	ErrSubjectMismatch = fmt.Errorf("%w: subject mismatch", ErrAttestation)
	// ErrNoBundle: the artifact holds no single Sigstore bundle layer.
	ErrNoBundle = fmt.Errorf("%w: no Sigstore bundle", ErrAttestation)
	// ErrLegacyFormat: a layer of a cosign legacy .sig/.att tag that is
	// neither a Sigstore bundle, a simple-signing payload nor a DSSE
	// envelope; it is reported but never counts towards the verdict.
	ErrLegacyFormat = fmt.Errorf("%w: cosign legacy format not verifiable", ErrAttestation)
	// ErrLegacyPayload: a cosign legacy payload names another image, is not
	// cosign's simple-signing type, or is not strictly the format it claims
	// (see *LegacyPayloadError, which names the failed check).
	ErrLegacyPayload = fmt.Errorf("%w: cosign legacy payload rejected", ErrAttestation)
	// ErrLegacyAnnotation: a cosign legacy layer annotation (signature,
	// certificate, chain, Rekor bundle, timestamp) is missing or malformed
	// (see *LegacyAnnotationError, which names it).
	ErrLegacyAnnotation = fmt.Errorf("%w: cosign legacy annotation rejected", ErrAttestation)
	// ErrBundleRejected: the BundleVerifier rejected the bundle.
	ErrBundleRejected = fmt.Errorf("%w: bundle verification failed", ErrAttestation)
	// ErrArtifactFetch: the artifact or its bundle could not be fetched intact.
	ErrArtifactFetch = fmt.Errorf("%w: artifact fetch failed", ErrAttestation)

	// ErrNotVerified: the image did not meet the threshold (see *ThresholdError).
	ErrNotVerified = errors.New("image: not verified")
)

// StatusError is an unexpected HTTP answer. It matches ErrNotFound (404),
// ErrDenied (401, 403), ErrUnavailable (429, 5xx) or ErrStatus.
type StatusError = oci.StatusError

// InternalAddressError is the refusal of a request to a destination the
// registry chose whose address is not public. It matches ErrInternalAddress.
type InternalAddressError = oci.InternalAddressError

// TooLargeError reports content over its limit. It matches ErrTooLarge.
type TooLargeError = oci.TooLargeError

// DigestMismatchError reports content whose digest is not the one asked for.
// It matches ErrDigestMismatch.
type DigestMismatchError = oci.DigestMismatchError

// SubjectMismatchError reports an artifact listed for one image whose subject
// names another. It matches ErrSubjectMismatch.
type SubjectMismatchError struct {
	Want v1.Hash
	Got  v1.Hash
}

func (e *SubjectMismatchError) Error() string {
	return fmt.Sprintf("image: artifact subject is %s, want %s", e.Got, e.Want)
}

// Is matches ErrSubjectMismatch and ErrAttestation.
func (e *SubjectMismatchError) Is(target error) bool {
	return target == ErrSubjectMismatch || target == ErrAttestation
}

// ThresholdError reports too few distinct trusted signers. It matches ErrNotVerified.
type ThresholdError struct {
	Digest v1.Hash // the image (or platform manifest) that fell short
	Want   int     // distinct signers required
	Got    int     // distinct signers that verified
}

func (e *ThresholdError) Error() string {
	return fmt.Sprintf("image: %s has %d distinct verified signer(s), want at least %d", e.Digest, e.Got, e.Want)
}

// Is matches ErrNotVerified.
func (e *ThresholdError) Is(target error) bool { return target == ErrNotVerified }
