package identity

import "context"

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
