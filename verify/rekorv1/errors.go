package rekorv1

import (
	"fmt"

	"github.com/ztci/ztci/verify"
)

// Sentinels. Every error of FindEntry matches ErrLookup, which is a
// verify.ErrTlog: without a log entry, the signature cannot verify, so the
// caller must deny.
var (
	// ErrLookup is the root of every lookup error.
	ErrLookup = fmt.Errorf("%w: rekor v1 lookup", verify.ErrTlog)
	// ErrNotFound: the log holds no entry logging this signature,
	// certificate and artifact hash.
	ErrNotFound = fmt.Errorf("%w: no entry for this signature", ErrLookup)
	// ErrUnavailable: the log could not be reached or answered with an
	// error status (the request may be retried later).
	ErrUnavailable = fmt.Errorf("%w: log unavailable", ErrLookup)
	// ErrResponse: the log's answer is malformed, too large, or does not
	// match the question (another entry than the one asked for).
	ErrResponse = fmt.Errorf("%w: malformed answer", ErrLookup)
	// ErrConfig: New was given an unusable URL or option.
	ErrConfig = fmt.Errorf("%w: invalid configuration", ErrLookup)
)
