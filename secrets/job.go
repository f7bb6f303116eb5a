package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/redact"
)

// Job is the set of leases one job holds. Everything it handed out is
// revoked when the job ends: [Job.End] (success or failure, usually
// deferred), the cancellation or deadline of the context given to
// [Broker.Begin], or — after a crash — [Broker.Recover] from the durable
// record.
//
// A Job is safe for concurrent use.
type Job struct {
	b     *Broker
	spec  JobSpec
	actor audit.Actor
	rec   *journalFile
	stop  func() bool
	// deadline is that of the context given to Begin (zero if none): the
	// job ends then, so no lease is asked for, or renewed, past it.
	deadline time.Time

	mu       sync.Mutex
	ended    bool
	inflight sync.WaitGroup    // issuances End must wait for
	leases   map[string]*Lease // by reserved id, outstanding only
	order    []string

	endMu sync.Mutex
}

// String names the job. Its token and its leases' values are never
// printed: fmt's %s or %q of the struct would reach them by reflection,
// where [Value]'s own Format is not called.
func (j *Job) String() string { return "secrets.Job{id=" + j.spec.ID + " token=" + Redacted + "}" }

// GoString is String.
func (j *Job) GoString() string { return j.String() }

// Format writes String for every verb.
func (j *Job) Format(f fmt.State, _ rune) { redact.Format(f, j.String()) }

// LogValue is the job id, never its token.
func (j *Job) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", j.spec.ID), slog.String("token", Redacted))
}

// MarshalJSON is String as a JSON string.
func (j *Job) MarshalJSON() ([]byte, error) { return json.Marshal(j.String()) }

// Begin starts a job's lease set. When ctx is cancelled or its deadline
// passes, the job ends and its leases are revoked (bounded by
// [WithRevokeTimeout]); callers should still call [Job.End] to learn about
// revocation failures. No lease is asked for, or renewed, past ctx's
// deadline: give it one no later than the expiry of the job's token.
//
// A job is refused ([ErrCompromised]) for an identity the
// [WithCompromiseChecker] marks, and for one [Broker.RevokeIdentity] ended
// within the hold ([WithRevokedHold]). The refusal is audited
// ([ActionJobDeny]); it stands when the audit sink fails (the error then
// also wraps [ErrAudit]). An identity marked after Begin gets no lease:
// each [Job.Lease] is denied and audited.
func (b *Broker) Begin(ctx context.Context, spec JobSpec) (*Job, error) {
	if spec.Identity.IsZero() {
		return nil, ErrNoIdentity
	}
	if spec.ID == "" {
		return nil, errors.New("secrets: Begin: empty job id")
	}
	j := &Job{b: b, spec: spec, actor: spec.Identity.AuditActor(), leases: map[string]*Lease{}}
	if b.checker != nil && audit.ActorCompromised(b.checker, j.actor) {
		return nil, b.refuseBegin(ctx, j, "identity marked compromised",
			fmt.Errorf("secrets: Begin: identity marked compromised: %w", ErrCompromised))
	}
	j.deadline, _ = ctx.Deadline()
	if b.journal != "" {
		rec, err := createJournal(ctx, b.journal, b.jseal, spec.ID, j.actor.ID)
		if err != nil {
			return nil, err
		}
		j.rec = rec
	}
	// End (run by the AfterFunc at once, or by RevokeIdentity as soon as
	// the job is tracked) calls stop: it waits on endMu until stop is set.
	j.endMu.Lock()
	defer j.endMu.Unlock()
	if err := b.track(j); err != nil {
		if j.rec != nil {
			err = errors.Join(err, j.rec.remove())
		}
		return nil, b.refuseBegin(ctx, j, "identity revoked (Broker.RevokeIdentity hold)", err)
	}
	j.stop = context.AfterFunc(ctx, func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.revokeTO)
		defer cancel()
		if err := j.End(rctx); err != nil {
			b.log.ErrorContext(rctx, "secrets: revoking leases of an ended job failed", "job", spec.ID, "err", err)
		}
	})
	return j, nil
}

// refuseBegin audits the refusal of job j ([ActionJobDeny]) and returns
// err, joined with the audit sink's failure if any: the refusal stands
// either way.
func (b *Broker) refuseBegin(ctx context.Context, j *Job, reason string, err error) error {
	if aerr := b.writeAudit(ctx, ActionJobDeny, audit.OutcomeDeny, j.actor, j.spec.ID, "job:"+j.spec.ID, "", reason); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}

// ID returns the job's id.
func (j *Job) ID() string { return j.spec.ID }

// Lease asks for the secret called name on behalf of the job. It is denied
// (an error wrapping [ErrDenied]) when name is not a usable secret name
// ([ErrInvalidName]: empty, longer than [MaxNameLen], not UTF-8, or holding
// a control or invisible character; refused before the authorizer sees
// it), when the identity is marked compromised,
// when the authorizer denies or cannot decide, or when a masker is wired in
// and the value is too short to mask. Backend failures wrap [ErrBackend] or
// the backend's error; nothing is granted then. A job that ended while
// the backend was issuing gets [ErrJobEnded], and the lease is revoked.
func (j *Job) Lease(ctx context.Context, name string) (_ *Lease, err error) {
	b := j.b
	req := Request{Identity: j.spec.Identity, JobID: j.spec.ID, Name: name, TTL: j.leaseTTL(b.ttl), Token: j.spec.Token}
	if j.isEnded() || req.TTL <= 0 {
		return nil, ErrJobEnded
	}
	if err := checkName(name); err != nil {
		// Audited under a quoted, clipped rendering: the name as given
		// may not be UTF-8, which the audit log refuses, or be huge.
		return nil, j.deny(ctx, clip.String(strconv.QuoteToASCII(name), 2*MaxNameLen), err.Error(), err)
	}
	if b.checker != nil && audit.ActorCompromised(b.checker, j.actor) {
		return nil, j.deny(ctx, name, "identity marked compromised", ErrCompromised)
	}
	dec, aerr := b.authz.Authorize(ctx, req)
	if aerr != nil {
		return nil, j.deny(ctx, name, "policy could not decide", fmt.Errorf("%w: %w", ErrPolicyUndecided, aerr))
	}
	if !dec.Allow {
		return nil, j.deny(ctx, name, dec.Reason, &DeniedError{Name: name, Reason: dec.Reason})
	}
	// Every allow ends in exactly one issue event, success or failure,
	// whatever becomes of the request: a [LeaseLedger] pairs the allow's
	// policy revision with it, and an allow left without one would be
	// paired with the job's next lease of the name instead.
	var l *Lease
	issueAudited := false
	auditIssue := func(outcome audit.Outcome, leaseID, reason string) error {
		issueAudited = true
		return b.auditActor(ctx, ActionIssue, outcome, j.actor, j.spec.ID, name, leaseID, reason)
	}
	defer func() {
		if err != nil && !issueAudited {
			var id string
			if l != nil {
				id = l.id
			}
			err = joinAudit(err, auditIssue(audit.OutcomeFailure, id, "not issued"))
		}
	}()
	// The authorizer may have taken a while (a policy engine, a remote
	// call): what the backend is asked for ends by the job's deadline as
	// it is now, not as it was when the request came in.
	if req.TTL = j.leaseTTL(b.ttl); req.TTL <= 0 {
		return nil, ErrJobEnded
	}

	req.LeaseID = newID("ztci_")
	l = &Lease{job: j, reserved: req.LeaseID, id: req.LeaseID, name: name}
	// Record the lease, in the fleet's registry and in the job, before the
	// backend creates anything.
	if err := b.leases.register(ctx, j, l.reserved, name, b.now().Add(req.TTL)); err != nil {
		return nil, joinAudit(err, auditIssue(audit.OutcomeFailure, l.id, "lease registry could not record the lease"))
	}
	if err := j.track(l); err != nil {
		return nil, errors.Join(err, b.leases.release(context.WithoutCancel(ctx), l.reserved))
	}
	defer j.issued(l)
	// Registering the lease (a heartbeat and a write to the fleet's
	// registry) and recording it took time too: what the backend is asked
	// for ends by the job's deadline as it is when the backend is asked.
	// A job whose deadline passed meanwhile gets nothing; the reserved
	// lease, which the backend never saw, is released (Revoke is
	// idempotent at every backend).
	if req.TTL = j.leaseTTL(b.ttl); req.TTL <= 0 {
		_ = auditIssue(audit.OutcomeFailure, l.id, "job's deadline passed before the backend was asked")
		return nil, errors.Join(ErrJobEnded, l.Revoke(context.WithoutCancel(ctx)))
	}
	asked := b.now().Add(req.TTL)
	g, err := b.backend.Issue(ctx, req)
	if err != nil {
		// The backend may have created something before failing; the
		// reserved lease stays tracked and is revoked (idempotently) when the
		// job ends, or now if it has ended: its End may have stopped waiting
		// for this issuance and will not come back for it.
		_ = auditIssue(audit.OutcomeFailure, l.id, "backend failed")
		err = fmt.Errorf("secrets: issue %q: %w", name, err)
		if j.isEnded() {
			err = errors.Join(err, l.Revoke(context.WithoutCancel(ctx)))
		}
		return nil, err
	}
	if secretLeaseID(g) {
		issueAudited = true // by refuseGrant
		return nil, j.refuseGrant(ctx, l, g, ErrSecretLeaseID, "backend named the lease by its secret value")
	}
	if g.LeaseID != "" && checkLeaseField("lease id", g.LeaseID) != nil {
		issueAudited = true // by refuseGrant
		return nil, j.refuseGrant(ctx, l, g, ErrBadLeaseID, "backend named the lease by an unusable id")
	}
	if g.LeaseID != "" && g.LeaseID != l.reserved {
		l.id = g.LeaseID
		if err := j.bind(l); err != nil {
			_ = l.Revoke(context.WithoutCancel(ctx))
			return nil, err
		}
		var exp time.Time // the backend's own end of the lease, if any
		if g.TTL > 0 {
			exp = b.bound(asked, g.TTL)
		}
		if err := b.leases.bind(ctx, j, l.reserved, g.LeaseID, name, exp); err != nil {
			_ = auditIssue(audit.OutcomeFailure, l.id, "lease registry could not record the lease")
			return nil, errors.Join(err, l.Revoke(context.WithoutCancel(ctx)))
		}
	}
	l.value, l.renewable, l.singleUse = g.Value, g.Renewable, g.SingleUse
	l.expires = b.bound(asked, g.TTL)
	// End may have stopped waiting for this issuance (its context ran out)
	// and will not come back for it: an ended job gets nothing.
	if j.isEnded() {
		_ = auditIssue(audit.OutcomeFailure, l.id, "job ended during issuance")
		return nil, errors.Join(ErrJobEnded, l.Revoke(context.WithoutCancel(ctx)))
	}
	// The kill switch may have fired while the backend was issuing: a
	// compromised identity gets nothing, whether or not its jobs were
	// ended for it (Broker.RevokeIdentity).
	if b.checker != nil && audit.ActorCompromised(b.checker, j.actor) {
		rerr := l.Revoke(context.WithoutCancel(ctx))
		_ = auditIssue(audit.OutcomeFailure, l.id, "identity marked compromised during issuance")
		return nil, errors.Join(j.deny(ctx, name, "identity marked compromised during issuance", ErrCompromised), rerr)
	}
	if b.masker != nil {
		if g.Value.Len() < MinMaskLen {
			_ = l.Revoke(context.WithoutCancel(ctx))
			_ = auditIssue(audit.OutcomeFailure, l.id, "value too short to mask")
			return nil, j.deny(ctx, name, "value too short to mask", ErrUnmaskable)
		}
		if nm, ok := b.masker.(NamedMasker); ok {
			nm.AddNamedMask(name, g.Value.Reveal())
		} else {
			b.masker.AddMask(g.Value.Reveal())
		}
	}
	if err := auditIssue(audit.OutcomeSuccess, l.id, dec.Reason); err != nil {
		return nil, errors.Join(err, l.Revoke(context.WithoutCancel(ctx)))
	}
	// The checks above and the audit took time: End may have begun
	// meanwhile, skipped this lease as still issuing and stopped waiting
	// for it. Handing it over and seeing the job ended happen under one
	// lock, so either End revokes the lease or this issuance does.
	if !j.handOver(l) {
		_ = auditIssue(audit.OutcomeFailure, l.id, "job ended during issuance")
		return nil, errors.Join(ErrJobEnded, l.Revoke(context.WithoutCancel(ctx)))
	}
	b.log.DebugContext(ctx, "secrets: lease issued", "lease_id", l.id, "secret", name, "job", j.spec.ID)
	return l, nil
}

// secretLeaseID reports whether g's lease id holds its value: a backend
// that names a lease by its secret (a token that only revokes itself)
// would have it written to the journal, the fleet's registry, audit
// events, logs and errors. Values shorter than [MinMaskLen] are not
// looked for: they may occur in any id by chance.
func secretLeaseID(g Grant) bool {
	return g.LeaseID != "" && g.Value.Len() >= MinMaskLen && strings.Contains(g.LeaseID, g.Value.Reveal())
}

// refuseGrant revokes the grant g whose lease id the broker cannot carry
// (it holds the value: [ErrSecretLeaseID]; or it is too long, not UTF-8
// or holds a control character: [ErrBadLeaseID]) and the reserved lease
// l, and returns sentinel. The id is passed to the backend only: never to
// the broker's retrying revoke, which logs it, nor to an audit event or
// an error (the backend's revocation error may quote it and is withheld).
func (j *Job) refuseGrant(ctx context.Context, l *Lease, g Grant, sentinel error, reason string) error {
	defer g.Value.Wipe()
	b, rctx := j.b, context.WithoutCancel(ctx)
	err := sentinel
	if b.backend.Revoke(rctx, g.LeaseID) != nil {
		err = fmt.Errorf("%w; revoking the grant failed too (%w; the backend's error is withheld: it may quote the id)", sentinel, ErrRevoke)
	}
	aerr := b.auditActor(ctx, ActionIssue, audit.OutcomeFailure, j.actor, j.spec.ID, l.name, l.reserved, reason)
	return errors.Join(joinAudit(err, aerr), l.Revoke(rctx))
}

// leaseTTL bounds the lifetime asked of a backend, for an issue or a
// renewal: at most the broker's TTL ([WithTTL]; also what a non-positive
// want means), and no later than the job's deadline. The job's code picks
// the renewal's ttl, and the broker's TTL is the operator's bound on it;
// and a lease whose lifetime at the backend ends with the job is dead then
// even if the revocation at the job's end fails (the backend is down). A
// result of zero or less means the job's deadline has passed.
func (j *Job) leaseTTL(want time.Duration) time.Duration {
	if want <= 0 || want > j.b.ttl {
		want = j.b.ttl
	}
	if !j.deadline.IsZero() {
		want = min(want, time.Until(j.deadline))
	}
	return want
}

func (j *Job) isEnded() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.ended
}

func (j *Job) deny(ctx context.Context, name, reason string, err error) error {
	if aerr := j.b.auditActor(ctx, ActionDeny, audit.OutcomeDeny, j.actor, j.spec.ID, name, "", reason); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}

func (j *Job) track(l *Lease) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.ended {
		return ErrJobEnded
	}
	if j.rec != nil {
		if err := j.rec.append(record{Op: "issue", Lease: l.reserved, Name: l.name}); err != nil {
			return err
		}
	}
	j.leases[l.reserved] = l
	j.order = append(j.order, l.reserved)
	l.issuing = true
	j.inflight.Add(1)
	return nil
}

// bind records the backend's own id of l. Under the job's lock, as every
// append: concurrent appends would number their lines alike, and a sealed
// line bound to another number makes Recover refuse the whole record.
func (j *Job) bind(l *Lease) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.rec == nil {
		return nil
	}
	return j.rec.append(record{Op: "bind", Lease: l.reserved, Backend: l.id})
}

// handOver marks l issued, for End to revoke, unless the job has ended:
// then it reports false and the issuance must revoke l itself.
func (j *Job) handOver(l *Lease) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.ended {
		return false
	}
	l.issuing = false
	return true
}

// issued records that l's issuance is over, successful or not.
func (j *Job) issued(l *Lease) {
	j.mu.Lock()
	l.issuing = false
	j.mu.Unlock()
	j.inflight.Done()
}

// untrack records that l is revoked.
func (j *Job) untrack(l *Lease) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.leases, l.reserved)
	if j.rec != nil {
		return j.rec.append(record{Op: "revoke", Lease: l.reserved})
	}
	return nil
}

// End ends the job: no new leases, and every outstanding lease is revoked,
// each retried with backoff. The failures are returned, each a
// [*RevokeError] (and audited); those leases stay outstanding, in memory
// and in the durable record, and a later End or [Broker.Recover] tries
// again. End may be called more than once and concurrently.
func (j *Job) End(ctx context.Context) error {
	j.endMu.Lock()
	defer j.endMu.Unlock()
	j.stop()
	j.mu.Lock()
	j.ended = true
	j.mu.Unlock()
	j.b.untrack(j)
	// Revoke what the job holds first, then wait for issuances under way:
	// one that hangs at the backend must not use up the time (ctx) meant
	// for the leases the job already has.
	tried := map[*Lease]bool{}
	errs := j.revokeIssued(ctx, tried)
	// Let issuances already under way finish, so that nothing they create
	// escapes revocation. One that outlasts ctx finds the job ended and
	// revokes what it created itself.
	done := make(chan struct{})
	go func() { j.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("secrets: end job %s: waiting for issuances in progress: %w", j.spec.ID, ctx.Err()))
		return errors.Join(errs...)
	}
	errs = append(errs, j.revokeIssued(ctx, tried)...)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.rec != nil && len(j.leases) == 0 {
		err := j.rec.remove()
		j.rec = nil
		return err
	}
	return nil
}

// revokeIssued revokes the outstanding leases whose issuance is over and
// that are not in tried, and adds them to tried. The failures are
// returned; those leases are kept for a later End or Recover, which need
// only their id, and the ended job can no longer read or renew them.
func (j *Job) revokeIssued(ctx context.Context, tried map[*Lease]bool) []error {
	j.mu.Lock()
	var out []*Lease
	for _, id := range j.order {
		if l, ok := j.leases[id]; ok && !l.issuing && !tried[l] {
			tried[l] = true
			out = append(out, l)
		}
	}
	j.mu.Unlock()
	var errs []error
	for _, l := range out {
		if err := l.Revoke(ctx); err != nil {
			l.wipe()
			errs = append(errs, err)
		}
	}
	return errs
}

// track records j as active, unless RevokeIdentity holds its identity
// refused: checked under the lock RevokeIdentity takes, so a job is either
// tracked (and ended by it) or refused.
// It is tracked, and held refused, under each of its identity's mark ids
// (audit.MarkIDs): its identity ID, its repository's and its owner's, so
// that RevokeIdentity of a repository mark ends every job of the
// repository.
func (b *Broker) track(j *Job) error {
	ids := audit.MarkIDs(j.actor)
	b.activeMu.Lock()
	defer b.activeMu.Unlock()
	now := b.now()
	for _, id := range ids {
		if now.Before(b.revoked[id]) {
			return fmt.Errorf("secrets: Begin: identity revoked (Broker.RevokeIdentity): %w", ErrCompromised)
		}
	}
	if now.Before(b.revokedAll) {
		return fmt.Errorf("secrets: Begin: identity revoked (Broker.RevokeIdentity): %w", ErrCompromised)
	}
	if b.active == nil {
		b.active = map[string]map[*Job]struct{}{}
	}
	for _, id := range ids {
		if b.active[id] == nil {
			b.active[id] = map[*Job]struct{}{}
		}
		b.active[id][j] = struct{}{}
	}
	return nil
}

func (b *Broker) untrack(j *Job) {
	b.activeMu.Lock()
	defer b.activeMu.Unlock()
	for _, id := range audit.MarkIDs(j.actor) {
		delete(b.active[id], j)
		if len(b.active[id]) == 0 {
			delete(b.active, id)
		}
	}
}

// RevokeIdentity ends every job of this broker whose identity ID is id, or
// whose repository or repository owner id is marked as id
// ([audit.MarkIDs]: "repository_id:github-actions/123", ...), as if each
// had ended: outstanding leases are revoked at the backend and
// their values wiped, and the jobs refuse new leases. It is what a kill
// switch calls when it marks an identity compromised (wire the mark's
// callback to it on every replica); it returns how many jobs it ended and
// the revocation failures, which the caller must retry or escalate. A
// repository or owner id is matched in any case ([audit.CanonicalMarkID]).
//
// It reaches this Broker's jobs only: those begun on this value, in this
// process. It neither reads nor writes the fleet's lease registry
// ([WithLeaseRegistry]), whose [Reaper] revokes only the leases of owners
// whose heartbeat lapsed; a lease another replica holds for id stays live
// at the backend until that replica's RevokeIdentity or its job's end
// (at worst its TTL). [WithCompromiseChecker] on every replica is what
// refuses, fleet-wide and as soon as the mark is visible there, every
// further lease, renewal and read of the marked identity's leases.
//
// [Broker.Begin] then refuses new jobs of id ([ErrCompromised]) for the
// hold ([WithRevokedHold], default the lease TTL) only: denying them
// leases for as long as the mark stands takes [WithCompromiseChecker]. Past 10000
// identities held at once, Begin refuses every job (fail closed) for the
// hold instead of holding one more.
func (b *Broker) RevokeIdentity(ctx context.Context, id string) (int, error) {
	id = audit.CanonicalMarkID(id) // as MarkIDs names the jobs' repositories
	b.activeMu.Lock()
	b.holdRevoked(id)
	jobs := make([]*Job, 0, len(b.active[id]))
	for j := range b.active[id] {
		jobs = append(jobs, j)
	}
	b.activeMu.Unlock()
	var errs []error
	for _, j := range jobs {
		if err := j.End(ctx); err != nil {
			errs = append(errs, fmt.Errorf("job %s: %w", j.spec.ID, err))
		}
	}
	return len(jobs), errors.Join(errs...)
}

// holdRevoked refuses new jobs of id for the hold, first dropping the
// holds that have ended. Called with activeMu held.
func (b *Broker) holdRevoked(id string) {
	now := b.now()
	until := now.Add(b.hold)
	for k, t := range b.revoked {
		if !now.Before(t) {
			delete(b.revoked, k)
		}
	}
	if _, held := b.revoked[id]; !held && len(b.revoked) >= maxRevoked {
		b.revokedAll = until
		return
	}
	if b.revoked == nil {
		b.revoked = map[string]time.Time{}
	}
	b.revoked[id] = until
}

// MaxNameLen is the longest secret name [Job.Lease] accepts, in bytes: the
// longest name a fleet's lease registry holds ([MaxLeaseField]), so that a
// name the registry would refuse is refused before policy sees it rather
// than failing after the authorizer has allowed it.
const MaxNameLen = MaxLeaseField

// checkName refuses a secret name that is empty, longer than MaxNameLen,
// not UTF-8, or holds a control or format character (ErrInvalidName).
func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalidName)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidName, len(name), MaxNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: not UTF-8", ErrInvalidName)
	}
	for i, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("%w: character %U at byte %d", ErrInvalidName, r, i)
		}
	}
	return nil
}
