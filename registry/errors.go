package registry

import (
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Sentinel errors. Every error this package returns wraps ErrRegistry (the
// registry misbehaved or could not be read, so nothing can be decided) or
// ErrAttestation (one attestation failed; the image may still pass on the
// others), or is a configuration error wrapping ErrConfig. Finer sentinels
// wrap these, so errors.Is works at either level.
var (
	// ErrConfig: an Option or argument is invalid.
	ErrConfig = errors.New("registry: invalid configuration")

	// ErrRegistry: talking to the registry failed. Callers treat it as deny.
	ErrRegistry = errors.New("registry: registry error")
	// ErrNotFound: the registry answered 404 for a manifest or blob that must exist.
	ErrNotFound = fmt.Errorf("%w: not found", ErrRegistry)
	// ErrDenied: the registry answered 401 or 403.
	ErrDenied = fmt.Errorf("%w: access denied", ErrRegistry)
	// ErrUnavailable: the registry kept answering 429 or 5xx after bounded retries.
	ErrUnavailable = fmt.Errorf("%w: unavailable", ErrRegistry)
	// ErrStatus: any other unexpected HTTP status (see *StatusError).
	ErrStatus = fmt.Errorf("%w: unexpected HTTP status", ErrRegistry)
	// ErrTooManyRedirects: the registry redirected more than maxRedirects times.
	ErrTooManyRedirects = fmt.Errorf("%w: too many redirects", ErrRegistry)
	// ErrTooLarge: a manifest, index or blob exceeds its limit (see *TooLargeError).
	ErrTooLarge = fmt.Errorf("%w: content too large", ErrRegistry)
	// ErrDigestMismatch: content does not hash to the digest it was fetched
	// by, or a registry header names another digest (see *DigestMismatchError).
	ErrDigestMismatch = fmt.Errorf("%w: digest mismatch", ErrRegistry)
	// ErrMalformed: a manifest or index is not the JSON shape the OCI specs define.
	ErrMalformed = fmt.Errorf("%w: malformed content", ErrRegistry)
	// ErrReferrersAPI: the referrers API answered with something other than
	// an image index or a 404. It is never read as "no attestations", and the
	// tag schema is not consulted instead.
	ErrReferrersAPI = fmt.Errorf("%w: referrers API failed", ErrRegistry)
	// ErrTooManyReferrers: the listing holds more candidates than the limit.
	ErrTooManyReferrers = fmt.Errorf("%w: too many referrers", ErrRegistry)
	// ErrPlatformNotFound: the index has no manifest for the requested platform.
	ErrPlatformNotFound = fmt.Errorf("%w: platform not found in index", ErrRegistry)
	// ErrPlatformAmbiguous: several manifests in the index satisfy the
	// requested platform; name it more precisely (e.g. with a variant).
	ErrPlatformAmbiguous = fmt.Errorf("%w: platform matches several manifests in index", ErrRegistry)
	// ErrTagSchemaConflict: the referrers tag could not be updated without
	// losing a concurrent writer's entry within the attempt limit.
	ErrTagSchemaConflict = fmt.Errorf("%w: referrers tag update conflict", ErrRegistry)

	// ErrAttestation: one candidate attestation was rejected.
	ErrAttestation = errors.New("registry: attestation rejected")
	// ErrSubjectMismatch: the artifact's subject is not the image it was
	// listed for (see *SubjectMismatchError).
	ErrSubjectMismatch = fmt.Errorf("%w: subject mismatch", ErrAttestation)
	// ErrNoBundle: the artifact holds no single Sigstore bundle layer.
	ErrNoBundle = fmt.Errorf("%w: no Sigstore bundle", ErrAttestation)
	// ErrLegacyFormat: a cosign legacy .sig/.att layer that is not a Sigstore
	// bundle; it is reported but never counts towards the verdict.
	ErrLegacyFormat = fmt.Errorf("%w: cosign legacy format not verifiable", ErrAttestation)
	// ErrBundleRejected: the BundleVerifier rejected the bundle.
	ErrBundleRejected = fmt.Errorf("%w: bundle verification failed", ErrAttestation)
	// ErrArtifactFetch: the artifact or its bundle could not be fetched intact.
	ErrArtifactFetch = fmt.Errorf("%w: artifact fetch failed", ErrAttestation)

	// ErrNotVerified: the image did not meet the threshold (see *ThresholdError).
	ErrNotVerified = errors.New("registry: image not verified")
)

// StatusError is an unexpected HTTP answer. It matches ErrNotFound (404),
// ErrDenied (401, 403), ErrUnavailable (429, 5xx) or ErrStatus.
type StatusError struct {
	Op         string // what was being done, e.g. "get manifest"
	URL        string
	StatusCode int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("registry: %s %s: HTTP %d", e.Op, e.URL, e.StatusCode)
}

// Is maps the status code to a sentinel.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrRegistry:
		return true
	case ErrNotFound:
		return e.StatusCode == 404
	case ErrDenied:
		return e.StatusCode == 401 || e.StatusCode == 403
	case ErrUnavailable:
		return e.StatusCode == 429 || e.StatusCode >= 500
	case ErrStatus:
		return e.StatusCode != 404 && e.StatusCode != 401 && e.StatusCode != 403 && e.StatusCode != 429 && e.StatusCode < 500
	}
	return false
}

// TooLargeError reports content over its limit. It matches ErrTooLarge.
type TooLargeError struct {
	What  string // "manifest", "referrers index", "bundle blob", ...
	Limit int64
	Got   int64 // -1 when only "more than Limit" is known
}

func (e *TooLargeError) Error() string {
	if e.Got < 0 {
		return fmt.Sprintf("registry: %s exceeds the %d-byte limit", e.What, e.Limit)
	}
	return fmt.Sprintf("registry: %s is %d bytes, over the %d-byte limit", e.What, e.Got, e.Limit)
}

// Is matches ErrTooLarge and ErrRegistry.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge || target == ErrRegistry }

// DigestMismatchError reports content whose digest is not the one asked for.
// It matches ErrDigestMismatch.
type DigestMismatchError struct {
	What string
	Want v1.Hash
	Got  v1.Hash
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("registry: %s digest is %s, want %s", e.What, e.Got, e.Want)
}

// Is matches ErrDigestMismatch and ErrRegistry.
func (e *DigestMismatchError) Is(target error) bool {
	return target == ErrDigestMismatch || target == ErrRegistry
}

// SubjectMismatchError reports an artifact listed for one image whose subject
// names another. It matches ErrSubjectMismatch.
type SubjectMismatchError struct {
	Want v1.Hash
	Got  v1.Hash
}

func (e *SubjectMismatchError) Error() string {
	return fmt.Sprintf("registry: artifact subject is %s, want %s", e.Got, e.Want)
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
	return fmt.Sprintf("registry: %s has %d distinct verified signer(s), want at least %d", e.Digest, e.Got, e.Want)
}

// Is matches ErrNotVerified.
func (e *ThresholdError) Is(target error) bool { return target == ErrNotVerified }
