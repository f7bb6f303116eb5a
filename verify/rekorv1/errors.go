package rekorv1

import (
	"fmt"

	"github.com/ztci/ztci/internal/clip"
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

// Bounds on the log's text an error repeats: the log is not trusted (a
// UUID, an answer's member name, a redirect's URL, a transport error that
// quotes a malformed answer are its choice, megabytes long and with
// terminal escapes), and FindEntry's errors reach logs and audit events.
const (
	maxQuote  = 128
	maxReason = 200
)

// logText is text the log chose, as an error may repeat it: quoted (no
// control character survives) and clipped.
func logText(s string) string { return clip.Quote(s, maxQuote) }
