package identity

import (
	"context"
	"errors"
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
