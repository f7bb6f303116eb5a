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
// is why bundle i was refused. errors.Is matches ErrNoAttestations and
// whatever any of Errs matches (for example verify.ErrIdentityMismatch),
// and errors.As finds the first *verify.IdentityMismatchError among them.
type NoneVerifiedError struct {
	Errs []error
}

func (e *NoneVerifiedError) Error() string {
	if len(e.Errs) == 0 {
		return ErrNoAttestations.Error() + ": no bundle given"
	}
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = fmt.Sprintf("bundle %d: %v", i, err)
	}
	return ErrNoAttestations.Error() + ": " + strings.Join(msgs, "; ")
}

// Unwrap returns ErrNoAttestations and every bundle's error.
func (e *NoneVerifiedError) Unwrap() []error {
	return append([]error{ErrNoAttestations}, e.Errs...)
}
