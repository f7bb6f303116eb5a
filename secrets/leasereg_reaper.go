package secrets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ztci/ztci/audit"
)

// ErrNoRevoker: a claimed lease names a backend the [Reaper] has no
// [Revoker] for. The lease is left to expire its claim, for a reaper that
// has one.
var ErrNoRevoker = fmt.Errorf("%w: no revoker for the lease's backend", ErrRevoke)

// Reaper revokes the leases of brokers whose heartbeat lapsed: it claims
// them in the fleet's lease registry, revokes each at its backend with the
// [Revoker] registered under the record's backend name, audits the
// revocation, and removes the record. Any number of reapers may run on any
// nodes: the registry grants each lease to one claim at a time, and a
// reaper gives each revocation a deadline well inside its claim, so no two
// reapers revoke a lease at the same time. A reaper that dies after
// claiming delays that lease's revocation by at most the claim's ttl; one
// that dies after revoking but before removing the record makes the next
// reaper revoke it again, which backends accept (revocation is
// idempotent).
//
// A Reaper is safe for concurrent use; it holds no goroutines.
type Reaper struct {
	reg      LeaseReclaimer
	revokers map[string]Revoker
	id       string
	sink     audit.Sink
	log      *slog.Logger
	claimTTL time.Duration
	batch    int
}

// ReaperOption configures a [Reaper]. A nil ReaperOption, or one given an
// unusable value, makes [NewReaper] fail with [ErrConfig].
type ReaperOption func(*reaperConfig) error

// reaperConfig is what the options set; [NewReaper] copies it into the
// Reaper, so an option cannot reach the Reaper's other state.
type reaperConfig struct {
	id       string
	sink     audit.Sink
	log      *slog.Logger
	claimTTL time.Duration
	batch    int
}

// WithReaperID names the reaper in claims and audit events (default a
// random "reaper-…" id).
func WithReaperID(id string) ReaperOption {
	return func(r *reaperConfig) error {
		if err := CheckLeaseOwner(id); err != nil {
			return fmt.Errorf("%w: WithReaperID: %w", ErrConfig, err)
		}
		r.id = id
		return nil
	}
}

// WithReaperAudit sends one revoke event per reaped lease to sink, success
// or failure. A lease whose revocation the sink does not accept keeps its
// record, so that a later pass revokes it again (idempotently) and audits
// it.
func WithReaperAudit(sink audit.Sink) ReaperOption {
	return func(r *reaperConfig) error {
		if sink == nil {
			return fmt.Errorf("%w: WithReaperAudit: nil sink", ErrConfig)
		}
		r.sink = sink
		return nil
	}
}

// WithReaperLogger sets the logger for diagnostics. The default discards.
func WithReaperLogger(l *slog.Logger) ReaperOption {
	return func(r *reaperConfig) error {
		if l == nil {
			return fmt.Errorf("%w: WithReaperLogger: nil logger", ErrConfig)
		}
		r.log = l
		return nil
	}
}

// WithClaim sets how long a claim holds a lease (default 30s) and how many
// leases one claim takes (default 16). Each revocation must finish within
// three quarters of ttl from the claim, or it is abandoned to a later pass.
func WithClaim(ttl time.Duration, batch int) ReaperOption {
	return func(r *reaperConfig) error {
		if ttl < time.Second || batch < 1 {
			return fmt.Errorf("%w: WithClaim: need ttl >= 1s and batch >= 1, got %v, %d", ErrConfig, ttl, batch)
		}
		r.claimTTL, r.batch = ttl, batch
		return nil
	}
}

// NewReaper returns a reaper that claims lapsed leases in reg and revokes
// each with revokers[record.Backend] (a [Backend] is a [Revoker]).
func NewReaper(reg LeaseReclaimer, revokers map[string]Revoker, opts ...ReaperOption) (*Reaper, error) {
	if reg == nil {
		return nil, fmt.Errorf("%w: NewReaper: nil registry", ErrConfig)
	}
	if len(revokers) == 0 {
		return nil, fmt.Errorf("%w: NewReaper: no revokers", ErrConfig)
	}
	c := reaperConfig{id: newID("reaper-"), log: slog.New(slog.DiscardHandler), claimTTL: 30 * time.Second, batch: 16}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: NewReaper: nil option", ErrConfig)
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	r := &Reaper{reg: reg, revokers: make(map[string]Revoker, len(revokers)), id: c.id,
		sink: c.sink, log: c.log, claimTTL: c.claimTTL, batch: c.batch}
	for name, rv := range revokers {
		if rv == nil {
			return nil, fmt.Errorf("%w: NewReaper: nil revoker for backend %q", ErrConfig, name)
		}
		r.revokers[name] = rv
	}
	return r, nil
}

// ReapReport counts what one [Reaper.Reap] did.
type ReapReport struct {
	// Revoked counts leases revoked at their backend and removed from the
	// registry.
	Revoked int
	// Failed counts claimed leases not revoked (backend error, no revoker,
	// deadline), or revoked but not audited; they are claimed again once
	// their claim expires.
	Failed int
	// Lost counts leases revoked whose record another party had already
	// taken over or released (see [ErrClaimLost]).
	Lost int
}

// Reap claims and revokes lapsed leases until the registry has none left
// to claim. Failures do not stop it: they are counted, audited, and
// returned joined (each a [*RevokeError], or wrapping [ErrLeaseRegistry]
// when the registry failed); a failed lease is never reported as revoked.
func (r *Reaper) Reap(ctx context.Context) (ReapReport, error) {
	var rep ReapReport
	var errs []error
	for {
		start := time.Now()
		claims, err := r.reg.Claim(ctx, r.id, r.claimTTL, r.batch)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: claim: %w", ErrLeaseRegistry, err))
			return rep, errors.Join(errs...)
		}
		// The registry measured the claim from no earlier than start.
		deadline := start.Add(r.claimTTL * 3 / 4)
		for _, c := range claims {
			if err := r.reap(ctx, c, deadline, &rep); err != nil {
				errs = append(errs, err)
			}
		}
		if len(claims) < r.batch || ctx.Err() != nil {
			return rep, errors.Join(errs...)
		}
	}
}

func (r *Reaper) reap(ctx context.Context, c LeaseClaim, deadline time.Time, rep *ReapReport) error {
	rec := c.Record
	rv, ok := r.revokers[rec.Backend]
	if !ok {
		rep.Failed++
		err := &RevokeError{LeaseID: rec.LeaseID, Name: rec.Name, Err: fmt.Errorf("%w: %q", ErrNoRevoker, rec.Backend)}
		return joinAudit(err, r.audit(ctx, rec, audit.OutcomeFailure, "owner's heartbeat lapsed; no revoker for backend "+rec.Backend))
	}
	rctx, cancel := context.WithDeadline(ctx, deadline)
	err := rctx.Err()
	if err == nil {
		err = rv.Revoke(rctx, rec.LeaseID)
	}
	cancel()
	if err != nil {
		rep.Failed++
		r.log.WarnContext(ctx, "secrets: reaper could not revoke lease", "lease_id", rec.LeaseID, "owner", rec.Owner, "err", err)
		err = &RevokeError{LeaseID: rec.LeaseID, Name: rec.Name, Attempts: 1, Err: err}
		return joinAudit(err, r.audit(ctx, rec, audit.OutcomeFailure, "owner's heartbeat lapsed; revocation failed"))
	}
	if err := r.audit(ctx, rec, audit.OutcomeSuccess, "owner's heartbeat lapsed; revoked by reaper"); err != nil {
		rep.Failed++
		return err
	}
	switch err := r.reg.Complete(ctx, c); {
	case errors.Is(err, ErrClaimLost):
		rep.Lost++
		r.log.WarnContext(ctx, "secrets: reaper revoked a lease another party had taken over", "lease_id", rec.LeaseID, "owner", rec.Owner)
	case err != nil:
		// Revoked but still recorded: a later pass revokes it again
		// (idempotently) and removes it.
		rep.Failed++
		return fmt.Errorf("%w: complete lease %s: %w", ErrLeaseRegistry, rec.LeaseID, err)
	default:
		rep.Revoked++
		r.log.DebugContext(ctx, "secrets: reaper revoked lease", "lease_id", rec.LeaseID, "owner", rec.Owner)
	}
	return nil
}

func (r *Reaper) audit(ctx context.Context, rec LeaseRecord, outcome audit.Outcome, reason string) error {
	if r.sink == nil {
		return nil
	}
	e := audit.Event{
		ID:          newID("evt-"),
		Time:        time.Now().UTC(),
		Source:      auditSource,
		Action:      ActionRevoke,
		Outcome:     outcome,
		Actor:       audit.Actor{ID: rec.Identity},
		Resource:    "secret:" + rec.Name,
		Reason:      reason,
		Correlation: audit.Correlation{JobID: rec.JobID},
		Attributes:  map[string]string{"lease_id": rec.LeaseID, "owner": rec.Owner, "reaper": r.id, "backend": rec.Backend},
	}
	if err := r.sink.Write(ctx, e); err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrAudit, ActionRevoke, rec.LeaseID, err)
	}
	return nil
}

// Run calls [Reaper.Reap] every interval until ctx is done, logging what
// each pass did, and returns ctx's error.
func (r *Reaper) Run(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		return fmt.Errorf("%w: Reaper.Run: interval %v is not positive", ErrConfig, every)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rep, err := r.Reap(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.ErrorContext(ctx, "secrets: reaper pass failed", "reaper", r.id, "revoked", rep.Revoked, "failed", rep.Failed, "err", err)
		} else if rep != (ReapReport{}) {
			r.log.InfoContext(ctx, "secrets: reaper pass", "reaper", r.id, "revoked", rep.Revoked, "failed", rep.Failed, "lost", rep.Lost)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
