package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ztci/ztci/audit"
)

// Lease is a secret handed to a job: its value, lifetime, whether it can be
// renewed, and the handle that revokes it. The value is read with
// [Lease.Value]; printing, logging or marshalling a Lease shows its id, name
// and expiry, never the value.
//
// A Lease is safe for concurrent use.
type Lease struct {
	job      *Job
	reserved string // the id the broker recorded before issuing
	id       string // the backend's lease id
	name     string

	revokeMu  sync.Mutex // one revocation at a time
	mu        sync.Mutex
	value     Value
	expires   time.Time
	renewable bool
	singleUse bool
	read      bool
	revoked   bool

	issuing bool // the backend is being asked for it; guarded by job.mu
}

// ID returns the lease id (the backend's, not secret).
func (l *Lease) ID() string { return l.id }

// Name returns the secret's name.
func (l *Lease) Name() string { return l.name }

// ExpiresAt returns when the lease ends: never later than the lifetime the
// broker asked the backend for, whatever the backend granted (a backend
// that sets no expiry, or grants more, is held to the ask).
func (l *Lease) ExpiresAt() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.expires
}

// Renewable reports whether [Lease.Renew] can extend the lease.
func (l *Lease) Renewable() bool { return l.renewable }

// SingleUse reports whether the value can be read only once.
func (l *Lease) SingleUse() bool { return l.singleUse }

// Value returns the secret. It fails with [ErrRevoked] after revocation,
// with [ErrJobEnded] (and [ErrLease]) once the job has ended, even if the
// revocation failed, with [ErrCompromised] once the [WithCompromiseChecker]
// checker marks the job's identity (whether or not its jobs were ended for
// it), with [ErrExpired] once the TTL has passed, and with [ErrAlreadyRead]
// on the second read of a single-use lease.
func (l *Lease) Value() (Value, error) {
	b := l.job.b
	now := b.now()
	ended := l.job.isEnded()
	// The kill switch is asked at every read: the value is handed out here,
	// not at issue, and a holder of the Lease must not read it once the
	// identity is marked, even where nothing wired the mark to
	// Broker.RevokeIdentity.
	compromised := b.checker != nil && audit.ActorCompromised(b.checker, l.job.actor)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.revoked:
		return Value{}, fmt.Errorf("lease %s: %w", l.id, ErrRevoked)
	case ended:
		return Value{}, l.endedErr()
	case compromised:
		return Value{}, fmt.Errorf("lease %s: %w", l.id, ErrCompromised)
	case !l.expires.IsZero() && !now.Before(l.expires):
		return Value{}, fmt.Errorf("lease %s: %w", l.id, ErrExpired)
	case l.singleUse && l.read:
		return Value{}, fmt.Errorf("lease %s: %w", l.id, ErrAlreadyRead)
	}
	l.read = true
	return l.value, nil
}

// Renew asks the backend to extend the lease by ttl and returns the new
// expiry. ttl is capped at the broker's TTL ([WithTTL]), which a zero or
// negative ttl also asks for, and at the deadline of the job's context; a
// backend that grants more is held to what was asked. A lease whose job
// has ended (or whose deadline has passed) is not renewed ([ErrJobEnded]).
//
// A renewal is a request for the secret again: the kill switch and the
// [Authorizer] are asked again, for the same identity, job and secret name
// ([Request.Renewal] set). A marked identity ([ErrCompromised]), a deny
// ([ErrPolicyDenied]) or an authorizer error ([ErrPolicyUndecided]) fails
// the renewal and revokes the lease at once: a grant the broker can no
// longer justify ends now rather than at the lease's expiry. The error
// joins the revocation's failure, if any.
func (l *Lease) Renew(ctx context.Context, ttl time.Duration) (time.Time, error) {
	b := l.job.b
	// One at a time with Revoke: a renewal never reaches the backend after
	// the job's End began revoking the lease.
	l.revokeMu.Lock()
	defer l.revokeMu.Unlock()
	r, err := l.renewer(ttl)
	if err != nil {
		return time.Time{}, err
	}
	if err := l.reauthorize(ctx, ttl); err != nil {
		return time.Time{}, errors.Join(err, l.revokeLocked(context.WithoutCancel(ctx)))
	}
	// The job's code chooses ttl: a renewal must not stretch the lease
	// past the lifetime the operator configured, nor past the job. Bounded
	// once the lease is ours and the authorizer has answered: a renewal
	// that waited behind a slow one (or a revocation's retries, or a
	// policy engine) asks for what is left of the job now.
	if ttl = l.job.leaseTTL(ttl); ttl <= 0 || l.job.isEnded() {
		return time.Time{}, l.endedErr()
	}
	asked := b.now().Add(ttl)
	got, err := r.Renew(ctx, l.id, ttl)
	if err != nil {
		_ = b.auditActor(ctx, ActionRenew, audit.OutcomeFailure, l.job.actor, l.job.spec.ID, l.name, l.id, "backend refused renewal")
		return time.Time{}, fmt.Errorf("secrets: renew lease %s: %w", l.id, err)
	}
	exp := b.bound(asked, got)
	l.mu.Lock()
	l.expires = exp
	l.mu.Unlock()
	if err := b.auditActor(ctx, ActionRenew, audit.OutcomeSuccess, l.job.actor, l.job.spec.ID, l.name, l.id, "renewed"); err != nil {
		return exp, err
	}
	return exp, nil
}

// renewer returns the backend's Renewer if l may be renewed for ttl as
// things stand, before anyone is asked.
func (l *Lease) renewer(ttl time.Duration) (Renewer, error) {
	b := l.job.b
	ended := l.job.isEnded()
	l.mu.Lock()
	revoked, renewable, expires := l.revoked, l.renewable, l.expires
	l.mu.Unlock()
	r, ok := b.backend.(Renewer)
	switch {
	case revoked:
		return nil, fmt.Errorf("lease %s: %w", l.id, ErrRevoked)
	case ended || l.job.leaseTTL(ttl) <= 0:
		return nil, l.endedErr()
	case !expires.IsZero() && !b.now().Before(expires):
		return nil, fmt.Errorf("lease %s: %w", l.id, ErrExpired)
	case !renewable || !ok:
		return nil, fmt.Errorf("lease %s: %w", l.id, ErrNotRenewable)
	}
	return r, nil
}

// reauthorize asks the kill switch and the authorizer again whether the
// job may hold the secret, auditing a refusal as Lease does.
func (l *Lease) reauthorize(ctx context.Context, ttl time.Duration) error {
	j, b := l.job, l.job.b
	if b.checker != nil && audit.ActorCompromised(b.checker, j.actor) {
		// A compromised identity's credential must not outlive the TTL
		// it already has.
		return j.deny(ctx, l.name, "identity marked compromised", fmt.Errorf("lease %s: %w", l.id, ErrCompromised))
	}
	req := Request{Identity: j.spec.Identity, JobID: j.spec.ID, Name: l.name, LeaseID: l.id,
		TTL: j.leaseTTL(ttl), Token: j.spec.Token, Renewal: true}
	dec, err := b.authz.Authorize(ctx, req)
	if err != nil {
		return j.deny(ctx, l.name, "policy could not decide on renewal", fmt.Errorf("lease %s: %w: %w", l.id, ErrPolicyUndecided, err))
	}
	if !dec.Allow {
		return j.deny(ctx, l.name, dec.Reason, fmt.Errorf("lease %s: %w", l.id, &DeniedError{Name: l.name, Reason: dec.Reason}))
	}
	return nil
}

// Revoke ends the lease now: the backend revokes it (retried with backoff),
// the value is wiped, and reads fail with [ErrRevoked]. Revoking a revoked
// lease does nothing. A failure is a [*RevokeError]; the lease stays
// outstanding in its job and in the durable record.
func (l *Lease) Revoke(ctx context.Context) error {
	l.revokeMu.Lock()
	defer l.revokeMu.Unlock()
	return l.revokeLocked(ctx)
}

// revokeLocked is Revoke with l.revokeMu held.
func (l *Lease) revokeLocked(ctx context.Context) error {
	j, b := l.job, l.job.b
	l.mu.Lock()
	if l.revoked {
		l.mu.Unlock()
		return nil
	}
	l.mu.Unlock()
	if err := b.revoke(ctx, l.id, l.name); err != nil {
		return joinAudit(err, b.auditActor(ctx, ActionRevoke, audit.OutcomeFailure, j.actor, j.spec.ID, l.name, l.id, "revocation failed after retries"))
	}
	l.mu.Lock()
	l.revoked = true
	l.value.Wipe()
	l.value = Value{}
	l.mu.Unlock()
	err := errors.Join(j.untrack(l), b.leases.release(ctx, l.reserved))
	b.log.DebugContext(ctx, "secrets: lease revoked", "lease_id", l.id, "secret", l.name, "job", j.spec.ID)
	return joinAudit(err, b.auditActor(ctx, ActionRevoke, audit.OutcomeSuccess, j.actor, j.spec.ID, l.name, l.id, "revoked"))
}

func (l *Lease) endedErr() error {
	return fmt.Errorf("%w: lease %s: %w", ErrLease, l.id, ErrJobEnded)
}

// wipe empties the value of a lease kept only to be revoked again.
func (l *Lease) wipe() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.value.Wipe()
	l.value = Value{}
}

func joinAudit(err, aerr error) error {
	if aerr == nil {
		return err
	}
	if err == nil {
		return aerr
	}
	return fmt.Errorf("%w (and %w)", err, aerr)
}

// leaseView is what a Lease shows of itself.
type leaseView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Renewable bool      `json:"renewable"`
	SingleUse bool      `json:"single_use"`
	Value     string    `json:"value"`
}

func (l *Lease) view() leaseView {
	return leaseView{ID: l.id, Name: l.name, ExpiresAt: l.ExpiresAt(), Renewable: l.renewable, SingleUse: l.singleUse, Value: Redacted}
}

// String describes the lease without its value.
func (l *Lease) String() string {
	return fmt.Sprintf("Lease{id=%s name=%s value=%s}", l.id, l.name, Redacted)
}

// GoString is String.
func (l *Lease) GoString() string { return l.String() }

// Format writes String for every verb.
func (l *Lease) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(l.String())) }

// LogValue logs the lease's id, name and expiry.
func (l *Lease) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", l.id), slog.String("name", l.name), slog.String("value", Redacted))
}

// MarshalJSON encodes the lease's id, name, expiry and flags, with the value
// redacted.
func (l *Lease) MarshalJSON() ([]byte, error) { return json.Marshal(l.view()) }
