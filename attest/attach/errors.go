package attach

import (
	"fmt"

	"github.com/ztci/ztci/internal/oci"
)

// Sentinel errors. Every error Bundle returns (and Attest, but for the
// signing errors it passes on from attest) wraps ErrRegistry (the
// registry failed, refused or misbehaved; the attestation may not be
// listed), ErrConfig (the options or the bundle are unusable) or
// ErrUnaudited (WithAudit's sink refused the event; audit.go). Finer
// sentinels wrap ErrRegistry, so errors.Is works at either level. They are
// the values verify/image returns too (both use one registry client).
var (
	// ErrConfig: an Option is invalid, or the bundle is not a Sigstore bundle.
	ErrConfig = oci.ErrConfig

	// ErrRegistry: talking to the registry failed.
	ErrRegistry = oci.ErrRegistry
	// ErrNotFound: the registry answered 404 for the image.
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
	// ErrTooLarge: the bundle or a manifest read back exceeds its limit
	// (see *TooLargeError).
	ErrTooLarge = oci.ErrTooLarge
	// ErrDigestMismatch: content read back does not hash to its digest
	// (see *DigestMismatchError).
	ErrDigestMismatch = oci.ErrDigestMismatch
	// ErrMalformed: a manifest or index read back is not the JSON shape the
	// OCI specs define, or the referrers tag holds something other than an
	// OCI index (it is then left alone).
	ErrMalformed = oci.ErrMalformed
	// ErrReferrersAPI: the referrers API answered with something other than
	// an image index or a 404, so Bundle cannot tell whether the artifact is
	// listed.
	ErrReferrersAPI = oci.ErrReferrersAPI
	// ErrTooManyReferrers: the referrers tag index is full.
	ErrTooManyReferrers = oci.ErrTooManyReferrers
	// ErrNotListed: the artifact was pushed, but the registry's referrers
	// API did not list it within a bounded number of reads, so verifiers
	// would not find it.
	ErrNotListed = fmt.Errorf("%w: artifact not listed", ErrRegistry)
	// ErrTagSchemaConflict: the referrers tag could not be updated without
	// losing a concurrent writer's entry within the attempt limit.
	ErrTagSchemaConflict = fmt.Errorf("%w: referrers tag update conflict", ErrRegistry)
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
