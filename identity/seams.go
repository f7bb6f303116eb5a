package identity

import (
	"context"
	"errors"
	"fmt"
)

// TokenVerifier verifies a bearer job token and returns the identity it
// proves. It is the one declaration of this seam: every ztci package that
// authenticates a caller by token (httpauth, the deploy gate, the egress
// proxy) accepts it, and *oidc.Verifier implements it.
//
// Contract: any error means "not authenticated" and the caller must refuse.
// Implementations must be safe for concurrent use and must never put the raw
// token into an error, a log record or a panic.
type TokenVerifier interface {
	Verify(ctx context.Context, raw string) (Identity, error)
}

// TokenVerifierFunc adapts a function to a [TokenVerifier].
type TokenVerifierFunc func(ctx context.Context, raw string) (Identity, error)

// Verify calls f(ctx, raw).
func (f TokenVerifierFunc) Verify(ctx context.Context, raw string) (Identity, error) {
	return f(ctx, raw)
}

// SingleUseReporter is implemented beside [TokenVerifier] by a verifier
// that can say whether its Verify consumes the token: SingleUse returns
// true when a token is accepted once and a second Verify of it fails
// (*oidc.Verifier with oidc.WithSingleUse). *oidc.Verifier implements it,
// and a verifier that wraps another must pass its answer on, or the
// wrapper hides it. Callers ask through [SingleUse] and [RequireReusable].
//
// SingleUse must return the same answer for the verifier's lifetime.
type SingleUseReporter interface {
	SingleUse() bool
}

// SingleUseTokenVerifierFunc adapts a function to a single-use
// [TokenVerifier]: one whose every successful Verify consumes the token.
// It reports so ([SingleUseReporter]); a [TokenVerifierFunc] does not.
type SingleUseTokenVerifierFunc func(ctx context.Context, raw string) (Identity, error)

// Verify calls f(ctx, raw).
func (f SingleUseTokenVerifierFunc) Verify(ctx context.Context, raw string) (Identity, error) {
	return f(ctx, raw)
}

// SingleUse returns true.
func (SingleUseTokenVerifierFunc) SingleUse() bool { return true }

// SingleUse reports whether v consumes the tokens it verifies: v says so
// ([SingleUseReporter]; a [DeferredTokenVerifierFunc], whose Verify
// spends, does), or, saying nothing, it is a [DeferredTokenVerifier],
// whose contract is that Verify consumes the token. A verifier that
// offers neither, such as a [TokenVerifierFunc], is taken to accept a
// token any number of times within its lifetime.
func SingleUse(v TokenVerifier) bool {
	if r, ok := v.(SingleUseReporter); ok {
		return r.SingleUse()
	}
	_, deferred := v.(DeferredTokenVerifier)
	return deferred
}

// ErrSingleUse: a single-use token verifier ([SingleUse]) was given to a
// component that verifies one token repeatedly (the egress proxy verifies
// every request of a job, each with the job's one token). The job's
// second request would be refused as a replay, and the token spent there
// could no longer be used where it was meant (the deploy gate), or the
// other way round. It wraps [ErrConfig].
var ErrSingleUse = fmt.Errorf("%w: single-use token verifier where one token is verified repeatedly", ErrConfig)

// RequireReusable returns an error wrapping [ErrSingleUse] when v is
// single-use ([SingleUse]), and nil otherwise. A component that verifies
// one token more than once calls it on its verifier at construction, and
// wraps the error in its own configuration error.
func RequireReusable(v TokenVerifier) error {
	if SingleUse(v) {
		return ErrSingleUse
	}
	return nil
}

// DeferredTokenVerifier is implemented beside [TokenVerifier] by a
// verifier whose Verify consumes the token (a single-use verifier, such as
// *oidc.Verifier with oidc.WithSingleUse). It splits Verify in two, so that
// a caller can refuse a request for a reason of its own (its job's slots
// are busy) after the token verified and before it is spent, and the job
// can retry with the same token. Callers find it by type assertion and
// fall back to Verify when a verifier does not offer it.
//
// Contract:
//   - VerifyDeferred verifies raw as Verify does, except that it does not
//     consume it. An error means "not authenticated", and spend is nil.
//   - Until spend returns nil the identity is unproven: the token is
//     genuine but may be a replay. The caller may use it only for what a
//     replay of a genuine token could take anyway (keying a rate limit or
//     a concurrency slot it gives back, naming the job in a refusal and
//     its audit event) and must grant and decide nothing as that
//     identity.
//   - A verification that is not followed by spend consumes nothing: the
//     token stays usable, by this caller or another.
//   - spend consumes the token: nil means this call spent it and no other
//     Verify or spend of the same token will succeed; an error (already
//     spent, expired since, or the verifier cannot decide) means "not
//     authenticated" and the caller must refuse. Two verifications of one
//     token may both succeed; at most one of their spends does.
//   - spend must be called at most once; a second call returns an error.
//   - Verify(ctx, raw) is VerifyDeferred followed by spend.
//
// Implementations must be safe for concurrent use, spend included, and
// must never put the raw token into an error, a log record or a panic.
type DeferredTokenVerifier interface {
	VerifyDeferred(ctx context.Context, raw string) (id Identity, spend func(context.Context) error, err error)
}

// DeferredTokenVerifierFunc adapts a function to a [DeferredTokenVerifier]
// that is also a [TokenVerifier].
type DeferredTokenVerifierFunc func(ctx context.Context, raw string) (Identity, func(context.Context) error, error)

// VerifyDeferred calls f(ctx, raw).
func (f DeferredTokenVerifierFunc) VerifyDeferred(ctx context.Context, raw string) (Identity, func(context.Context) error, error) {
	return f(ctx, raw)
}

// Verify calls f(ctx, raw) and spends the token. A nil spend is an error
// wrapping [ErrNoSpend].
func (f DeferredTokenVerifierFunc) Verify(ctx context.Context, raw string) (Identity, error) {
	id, spend, err := f(ctx, raw)
	if err != nil {
		return Identity{}, err
	}
	if spend == nil {
		return Identity{}, ErrNoSpend
	}
	if err := spend(ctx); err != nil {
		return Identity{}, err
	}
	return id, nil
}

// SingleUse returns true: the Verify of the adapter spends the token, and
// [DeferredTokenVerifier] is the seam of verifiers that consume tokens.
func (DeferredTokenVerifierFunc) SingleUse() bool { return true }

// ErrNoSpend: a [DeferredTokenVerifier] verified a token but returned no
// spend func. The token is not authenticated.
var ErrNoSpend = errors.New("identity: deferred token verification without a spend")

// TokenSource supplies the job's bearer token for an outgoing request. It is
// the one declaration of this seam (httpauth's client transport, attest's
// keyless signing and the token exchange take it).
//
// Contract: the returned string is a secret; implementations must not log
// it, and callers send it only to the origin they were configured for. An
// error means no token is available and the request must not be sent.
// Implementations must be safe for concurrent use.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// TokenSourceFunc adapts a function to a [TokenSource].
type TokenSourceFunc func(ctx context.Context) (string, error)

// Token calls f(ctx).
func (f TokenSourceFunc) Token(ctx context.Context) (string, error) { return f(ctx) }
