package blob

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/verify"
)

// Sentinels. Every error of this package matches verify.ErrVerification:
// whatever went wrong, the caller must deny.
var (
	// ErrMalformed: a ".sig", ".cert" or cosign bundle file does not parse
	// (see *ParseError). It is a verify.ErrMalformedBundle.
	ErrMalformed = fmt.Errorf("%w: detached signature", verify.ErrMalformedBundle)
	// ErrEntryMismatch: the Rekor entry that travels with the signature
	// does not log this signature, this certificate (or key) and this
	// artifact's hash (see *EntryMismatchError). It is a verify.ErrTlog.
	ErrEntryMismatch = fmt.Errorf("%w: the Rekor entry does not bind this signature", verify.ErrTlog)
	// ErrInvalidInput: the caller passed an unusable argument (nil
	// verifier, an artifact without a digest, an unsupported digest
	// algorithm). It is a verify.ErrInvalidExpectation.
	ErrInvalidInput = fmt.Errorf("%w: blob", verify.ErrInvalidExpectation)
)

// ParseError says which input did not parse and why. Input is "signature",
// "certificate", "bundle" or "artifact digest". It matches ErrMalformed.
type ParseError struct {
	Input  string
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("blob: %s: %s", e.Input, e.Reason)
}

// Unwrap makes errors.Is(err, ErrMalformed) hold.
func (e *ParseError) Unwrap() error { return ErrMalformed }

// EntryMismatchError says which part of the Rekor entry's body differs from
// the detached signature being verified. Field is "kind" (not a
// hashedrekord 0.0.1 entry), "data.hash" (another artifact: the error also
// matches verify.ErrArtifactMismatch), "signature.content" (another
// signature) or "signature.publicKey" (another certificate or key). Want is
// what the detached signature holds, Got what the entry logs (a value that
// is not a short token only by its length; a signature in base64, or by its
// SHA-256 and length when longer than any genuine one).
type EntryMismatchError struct {
	Field string
	Want  string
	Got   string
}

func (e *EntryMismatchError) Error() string {
	return fmt.Sprintf("blob: Rekor entry %s: want %s, entry logs %s", e.Field, e.Want, e.Got)
}

// Unwrap makes errors.Is(err, ErrEntryMismatch) hold, and
// errors.Is(err, verify.ErrArtifactMismatch) for Field "data.hash".
func (e *EntryMismatchError) Unwrap() []error {
	if e.Field == "data.hash" {
		return []error{ErrEntryMismatch, verify.ErrArtifactMismatch}
	}
	return []error{ErrEntryMismatch}
}

// maxQuote bounds the input's text an error repeats, quoted; maxReason
// the text of a parser's refusal: the files and the log entry are the
// submitter's until verified, as long as they like, and errors reach logs
// and audit events.
const (
	maxQuote  = 128
	maxReason = 200
)

// entryText is a value a log entry's body or a PEM block states (a kind,
// an apiVersion, a hash algorithm or value, a block type) as an error may
// repeat it: as written when it is a short token of letters, digits and
// ".", "-", "_", "+", ":" or " " (what a genuine one is), else only its
// length. Anything else could be terminal escapes, forged log lines or
// megabytes.
func entryText(s string) string {
	if len(s) > 0 && len(s) <= maxQuote && !strings.ContainsFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune(".-_+: ", r))
	}) {
		return s
	}
	return fmt.Sprintf("(another value of %d bytes)", len(s))
}

// reason is a parser's refusal as a *ParseError says it: cosignfmt's and
// encoding/json's messages quote the input (an unknown member's name, a
// PEM block's type), escaped but as long as it was; clipped here, and
// quoted again when not printable ASCII.
func reason(err error) string {
	msg := err.Error()
	if len(msg) <= maxReason && !strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		return msg
	}
	return strconv.Quote(clip.String(msg, maxReason))
}
