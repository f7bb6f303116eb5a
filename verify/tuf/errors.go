package tuf

import (
	"context"
	"errors"
	"fmt"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/ztci/ztci/internal/clip"
)

// ErrConfig reports a misuse of Open, NewLive or an Option: the caller must
// fix the arguments. It is not an ErrTUF.
var ErrConfig = errors.New("tuf: invalid configuration")

// ErrTUF is the category of every error that means "no trusted root could be
// established or kept": treat it as deny. Each such error also matches one
// of the sentinels below, which say what failed.
var ErrTUF = errors.New("tuf: no trusted root")

var (
	// ErrExpired: a piece of top-level metadata (root, timestamp, snapshot or
	// targets) is past its expiry. The TUF specification allows no grace, so
	// neither a refresh nor the cached root is accepted past that instant.
	// A server that keeps serving old metadata (a freeze attack) ends here.
	ErrExpired = fmt.Errorf("%w: metadata expired", ErrTUF)
	// ErrRollback: the repository offered a version older than one already
	// trusted (timestamp, snapshot, targets), or a root whose version does
	// not follow the trusted one, or metadata older than another client
	// sharing the cache directory has saved there since (the cache keeps
	// the newer; the next refresh starts from it).
	ErrRollback = fmt.Errorf("%w: metadata version rolled back", ErrTUF)
	// ErrSignature: metadata is not signed by the threshold of keys its
	// delegating role (or, for a new root, both the old and the new root)
	// requires.
	ErrSignature = fmt.Errorf("%w: metadata signature threshold not met", ErrTUF)
	// ErrHashMismatch: a file (the trusted root target, or metadata listed
	// in the timestamp or snapshot) differs in length or hash from what the
	// signed metadata says.
	ErrHashMismatch = fmt.Errorf("%w: length or hash differs from signed metadata", ErrTUF)
	// ErrFetch: the repository could not be read: a transport error, a
	// status other than 200, a response larger than allowed, a redirect to
	// another origin, or the context ended (waiting for the cache's lock,
	// which another client holds while it updates, included).
	ErrFetch = fmt.Errorf("%w: repository fetch failed", ErrTUF)
	// ErrOffline: the cached metadata could not establish a root and the
	// network was not to be used (a step that works from the cache only).
	ErrOffline = fmt.Errorf("%w: cache incomplete or invalid", ErrTUF)
	// ErrUnsafeCache: the cache directory, a directory or symbolic link on
	// the path to it, or a file in it could be changed by a user other than
	// root and this process's (OpenSSH's rule for ~/.ssh: see the package
	// documentation), or a cached file is a symbolic link or not a regular
	// file. Whoever can write the cache can choose the trusted root, so
	// none of it is read.
	ErrUnsafeCache = fmt.Errorf("%w: cache directory unsafe", ErrTUF)
	// ErrTrustedRoot: the target was verified by TUF but is not a trusted
	// root that verify.ParseTrustedRoot accepts (it also matches
	// verify.ErrTrustMaterial), or is larger than allowed.
	ErrTrustedRoot = fmt.Errorf("%w: trusted root target unusable", ErrTUF)
)

// classify maps go-tuf's error types onto this package's sentinels, keeping
// the original error in the chain for its message.
func classify(stage string, err error) error {
	var sentinel error
	switch {
	case errors.Is(err, ErrTUF):
		return fmt.Errorf("tuf: %s: %w", stage, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		sentinel = ErrFetch
	case errors.Is(err, &metadata.ErrExpiredMetadata{}):
		sentinel = ErrExpired
	case errors.Is(err, &metadata.ErrBadVersionNumber{}):
		sentinel = ErrRollback
	case errors.Is(err, &metadata.ErrUnsignedMetadata{}):
		sentinel = ErrSignature
	case errors.Is(err, &metadata.ErrLengthOrHashMismatch{}):
		sentinel = ErrHashMismatch
	case errors.Is(err, &metadata.ErrDownload{}), errors.Is(err, &metadata.ErrDownloadHTTP{}), errors.Is(err, &metadata.ErrDownloadLengthMismatch{}):
		sentinel = ErrFetch
	default:
		// Malformed metadata, wrong types, missing roles: the repository
		// cannot be trusted, whichever check caught it.
		sentinel = ErrTUF
	}
	return fmt.Errorf("%w: %s: %w", sentinel, stage, clip.Error(err, maxReason))
}

// maxReason bounds the text of an error that may repeat the repository's.
const maxReason = 200
