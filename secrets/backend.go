package secrets

import (
	"context"
	"time"

	"github.com/ztci/ztci/identity"
)

// Request is a job's request for one named secret, as seen by the
// [Authorizer] and the [Backend].
type Request struct {
	// Identity is the job's verified identity.
	Identity identity.Identity
	// JobID identifies the job the lease will belong to.
	JobID string
	// Name is the secret's name, e.g. "db/ci-readonly".
	Name string
	// LeaseID is the id the broker reserved and recorded for this lease
	// before calling the backend. A backend that can name what it creates
	// (a database role) should use it, so that a crash between issue and
	// record leaves nothing [Broker.Recover] cannot find.
	LeaseID string
	// TTL is the lifetime the broker asks for; backends may grant less.
	TTL time.Duration
	// Token is the job's own credential (e.g. its OIDC token), for backends
	// that log in as the job. It may be zero.
	Token Value
	// Renewal is set when the [Authorizer] is asked again for a lease
	// being renewed ([Lease.Renew]); LeaseID is then that lease's id. A
	// backend's Issue never sees it set.
	Renewal bool
}

// Grant is what a backend hands out for a [Request].
type Grant struct {
	// LeaseID is the backend's id for revoking and renewing; it must not be
	// secret: it is journaled, registered, audited, logged and quoted in
	// errors. One that holds Value is revoked and refused
	// ([ErrSecretLeaseID]), and must be at most [MaxLeaseField] bytes of
	// UTF-8 without control characters (else the grant is revoked and
	// refused: [ErrBadLeaseID]). Empty means the Request's LeaseID.
	LeaseID string
	// Value is the secret.
	Value Value
	// TTL is the lifetime granted; 0 means the backend sets no expiry. The
	// broker holds the lease to what it asked for ([Request.TTL]) either
	// way: a longer TTL, or none, does not lengthen the lease the job sees.
	TTL time.Duration
	// Renewable reports whether the backend implements [Renewer] for it.
	Renewable bool
	// SingleUse makes the lease's value readable exactly once.
	SingleUse bool
}

// Backend fetches or mints secrets.
//
// Issue returns the secret for req, or an error (wrapping [ErrNotFound] when
// there is no such secret); the broker has already authorized req. Revoke
// ends the lease: it must be idempotent (revoking an unknown or already
// revoked lease succeeds) because the broker retries and recovers after
// crashes. Both must honour ctx and be safe for concurrent use.
type Backend interface {
	Issue(ctx context.Context, req Request) (Grant, error)
	Revoke(ctx context.Context, leaseID string) error
}

// Renewer is implemented by backends whose leases can be extended. Renew
// returns the TTL actually granted; the broker holds the lease to ttl if
// it is longer (or 0).
type Renewer interface {
	Renew(ctx context.Context, leaseID string, ttl time.Duration) (time.Duration, error)
}

// BackendFunc adapts a function to a [Backend] whose credentials cannot be
// revoked early and end at their TTL (e.g. cloud STS tokens). Its Revoke
// does nothing. Implement [Backend] directly when the credential can be
// revoked.
type BackendFunc func(ctx context.Context, req Request) (Grant, error)

// Issue calls f(ctx, req).
func (f BackendFunc) Issue(ctx context.Context, req Request) (Grant, error) { return f(ctx, req) }

// Revoke does nothing: the credential ends at its TTL.
func (BackendFunc) Revoke(context.Context, string) error { return nil }

// Decision is an authorizer's answer. A deny is a Decision, not an error.
type Decision struct {
	Allow bool
	// Reason explains the decision in one sentence; it is audited.
	Reason string
	// PolicyRevision names the policy that decided, if known.
	PolicyRevision string
}

// Authorizer decides whether a request may proceed. It is the seam where a
// policy engine plugs in (the examples adapt policy's evaluator); secrets
// does not link one. A non-nil error means "could not decide" and the broker
// denies (fail closed). Authorize must be safe for concurrent use.
type Authorizer interface {
	Authorize(ctx context.Context, req Request) (Decision, error)
}

// AuthorizerFunc adapts a function to an [Authorizer].
type AuthorizerFunc func(ctx context.Context, req Request) (Decision, error)

// Authorize calls f(ctx, req).
func (f AuthorizerFunc) Authorize(ctx context.Context, req Request) (Decision, error) {
	return f(ctx, req)
}

// AllowNames returns an [Authorizer] that allows any non-zero identity to
// request exactly the named secrets. It suits development and tests; put a
// policy that looks at the identity's claims in front of production secrets.
func AllowNames(names ...string) Authorizer {
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return AuthorizerFunc(func(_ context.Context, req Request) (Decision, error) {
		if req.Identity.IsZero() || !set[req.Name] {
			return Decision{Reason: "secret not in the allowed list"}, nil
		}
		return Decision{Allow: true, Reason: "secret in the allowed list"}, nil
	})
}

// Masker registers values that must be masked in log output: the one
// declaration of this seam, [identity.Masker], which [*Redactor] implements;
// so can a CI system's own log masker.
type Masker = identity.Masker

// NamedMasker is a [Masker] that also learns the secret's name, so that it
// can say which secret it masked (see [NewTokenRedactor]). The broker
// registers values with AddNamedMask when its masker implements it.
type NamedMasker interface {
	Masker
	AddNamedMask(name, value string)
}
