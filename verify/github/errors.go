package github

import (
	"fmt"
	"strings"

	"github.com/ztci/ztci/verify"
)

// ErrUnknownInstance: the bundle's signing certificate was issued by a CA
// of neither trusted instance (or of both, which a correct configuration
// never allows). It wraps verify.ErrUntrustedChain.
var ErrUnknownInstance = fmt.Errorf("%w: signing certificate issued by no trusted GitHub or public-good Fulcio CA", verify.ErrUntrustedChain)

// ErrNoAttestations: VerifyAll was given no bundle, or none of them
// verified (see *NoneVerifiedError). It wraps verify.ErrVerification.
var ErrNoAttestations = fmt.Errorf("%w: no attestation satisfies the policy", verify.ErrVerification)

// NoneVerifiedError is VerifyAll's error when no bundle verified: Errs[i]
// is why bundle i was refused (the message names the first few only).
// errors.Is matches ErrNoAttestations and whatever any of Errs matches (for
// example verify.ErrIdentityMismatch), and errors.As finds the first
// *verify.IdentityMismatchError among them.
type NoneVerifiedError struct {
	Errs []error
}

// Error names the first maxNamedErrs bundles' errors and counts the rest:
// the bundles are the submitter's (up to MaxAttestations of them), and the
// message reaches logs and audit events. Errs holds every one.
func (e *NoneVerifiedError) Error() string {
	if len(e.Errs) == 0 {
		return ErrNoAttestations.Error() + ": no bundle given"
	}
	n := min(len(e.Errs), maxNamedErrs)
	msgs := make([]string, n, n+1)
	for i, err := range e.Errs[:n] {
		msgs[i] = fmt.Sprintf("bundle %d: %v", i, err)
	}
	if more := len(e.Errs) - n; more > 0 {
		msgs = append(msgs, fmt.Sprintf("and %d more refused", more))
	}
	return ErrNoAttestations.Error() + ": " + strings.Join(msgs, "; ")
}

// maxNamedErrs is how many bundles' errors a NoneVerifiedError's message
// names.
const maxNamedErrs = 5

// Unwrap returns ErrNoAttestations and every bundle's error.
func (e *NoneVerifiedError) Unwrap() []error {
	return append([]error{ErrNoAttestations}, e.Errs...)
}

// Bounds on the untrusted text an error repeats: a bundle (its media type,
// what crypto/x509 quotes of its certificate) is the submitter's until
// verified, and a trust domain comes from a tenant's API. Errors reach logs
// and audit events, so such text is quoted and clipped (internal/clip).
const (
	maxQuote  = 128
	maxReason = 200
)
