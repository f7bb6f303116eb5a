package oci

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/internal/clip"
)

// maxQuote bounds the registry's text an error quotes (a header, a media
// type, a digest string, a parser's message about them): errors reach logs,
// audit events and a gate's answer, a header may be megabytes long and a
// JSON string may hold control characters, and the registry chooses both.
const maxQuote = 128

// maxErrText bounds a transport error's whole text, which quotes what
// go-containerregistry or net/http reported of the registry's answer.
const maxErrText = 4 * maxQuote

// quote returns s, the registry's text, quoted and clipped for an error.
func quote(s string) string { return clip.Quote(s, maxQuote) }

// Sentinel errors. Every error this package returns wraps ErrRegistry (the
// registry misbehaved or could not be read, so nothing can be decided) or
// ErrConfig. Finer sentinels wrap ErrRegistry, so errors.Is works at either
// level. verify/image and attest/attach re-export them (the same values), so
// a caller matches them through whichever package it imports.
var (
	// ErrConfig: an Option or argument is invalid.
	ErrConfig = errors.New("oci: invalid configuration")

	// ErrRegistry: talking to the registry failed. Callers treat it as deny.
	ErrRegistry = errors.New("oci: registry error")
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
	// ErrInternalAddress: a destination the registry chose (a redirect's
	// Location, an unconfigured token realm) is not a public address, or is
	// one of this host's own interface addresses, and no
	// Config.AddInternalRedirects entry allows it; nothing was sent (see
	// *InternalAddressError).
	ErrInternalAddress = fmt.Errorf("%w: internal address refused", ErrRegistry)
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
)

// StatusError is an unexpected HTTP answer. It matches ErrNotFound (404),
// ErrDenied (401, 403), ErrUnavailable (429, 5xx) or ErrStatus.
type StatusError struct {
	Op         string // what was being done, e.g. "get manifest"
	URL        string
	StatusCode int
	// Codes are the distribution error codes of the answer's body (e.g.
	// "MANIFEST_BLOB_UNKNOWN"), for matching with HasCode only: the
	// registry chose them, so they are never part of Error. Only codes
	// made of A-Z and _ are kept, at most maxErrorCodes of them.
	Codes []string
}

// Distribution error codes a writer acts on.
const (
	// CodeManifestBlobUnknown: a manifest PUT referenced a blob (or, for an
	// index, a manifest) the registry does not hold (yet).
	CodeManifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
	// CodeBlobUnknown: the blob is not in the registry.
	CodeBlobUnknown = "BLOB_UNKNOWN"
	// CodeDigestInvalid: an upload's content did not match its digest as
	// the registry read it back, e.g. while a concurrent upload of the same
	// blob was being committed.
	CodeDigestInvalid = "DIGEST_INVALID"
	// CodeBlobUploadUnknown, CodeBlobUploadInvalid: the upload session was
	// lost or refused.
	CodeBlobUploadUnknown = "BLOB_UPLOAD_UNKNOWN"
	CodeBlobUploadInvalid = "BLOB_UPLOAD_INVALID"
)

// maxErrorCodes bounds the codes a StatusError keeps.
const maxErrorCodes = 8

// HasCode reports whether the registry answered with error code code.
func (e *StatusError) HasCode(code string) bool { return slices.Contains(e.Codes, code) }

// errorCodes returns the well-formed codes of a distribution error body
// ({"errors":[{"code":...}]}), at most maxErrorCodes of them.
func errorCodes(body []byte) []string {
	var eb struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &eb) != nil {
		return nil
	}
	var codes []string
	for _, e := range eb.Errors {
		codes = appendCode(codes, e.Code)
	}
	return codes
}

// appendCode appends c to codes when it is a well-formed code and codes
// has room.
func appendCode(codes []string, c string) []string {
	if len(codes) < maxErrorCodes && c != "" && len(c) <= 64 && strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == "" {
		codes = append(codes, c)
	}
	return codes
}

func (e *StatusError) Error() string {
	// A referrers page's URL is the registry's Link header's.
	return fmt.Sprintf("oci: %s %s: HTTP %d", e.Op, clip.String(e.URL, 4*maxQuote), e.StatusCode)
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
		return fmt.Sprintf("oci: %s exceeds the %d-byte limit", e.What, e.Limit)
	}
	return fmt.Sprintf("oci: %s is %d bytes, over the %d-byte limit", e.What, e.Got, e.Limit)
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
	return fmt.Sprintf("oci: %s digest is %s, want %s", e.What, e.Got, e.Want)
}

// Is matches ErrDigestMismatch and ErrRegistry.
func (e *DigestMismatchError) Is(target error) bool {
	return target == ErrDigestMismatch || target == ErrRegistry
}
