package secrets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/redact"
	"github.com/ztci/ztci/internal/x509ca"
)

// Audit event actions emitted by the broker.
const (
	// ActionIssue: the outcome of one request the [Authorizer] allowed
	// ([Job.Lease]): success when the lease is handed over, failure
	// otherwise. Every allow of an issue is followed by exactly one, also
	// when the request then ends in a deny ([ActionDeny] after it).
	ActionIssue  = "secrets.lease.issue"
	ActionRenew  = "secrets.lease.renew"
	ActionRevoke = "secrets.lease.revoke"
	ActionDeny   = "secrets.lease.deny"
	// ActionJobDeny: [Broker.Begin] refused a whole job (outcome deny):
	// its identity is marked by the [WithCompromiseChecker], or held
	// refused by [Broker.RevokeIdentity]. The event names the job
	// (resource "job:<id>", correlation job id) and the actor; never the
	// job's token.
	ActionJobDeny = "secrets.job.deny"
)

// auditSource names the broker in audit events.
const auditSource = "ztci/secrets"

// Broker hands out job-scoped leases on secrets: it checks each request
// against the [Authorizer] and the kill switch, asks the [Backend], records
// the lease durably, registers the value with the [Masker], audits, and
// revokes everything a job holds when the job ends.
//
// A Broker is safe for concurrent use. It starts no goroutines of its own,
// except one heartbeat while it holds leases registered with
// [WithLeaseRegistry].
type Broker struct {
	authz   Authorizer
	backend Backend
	config              // fixed at New
	leases  *leaseOwner // nil without WithLeaseRegistry

	// active holds the jobs begun and not yet ended, by identity ID, so
	// that RevokeIdentity can end them all.
	activeMu sync.Mutex
	active   map[string]map[*Job]struct{}
	// revoked holds the identity IDs given to RevokeIdentity, each until
	// when Begin refuses it; revokedAll, set when one more than maxRevoked
	// would be held, until when Begin refuses every identity. Guarded by
	// activeMu.
	revoked    map[string]time.Time
	revokedAll time.Time
}

// maxRevoked bounds how many identities [Broker.RevokeIdentity] holds
// refused at once; past it, Begin refuses every job for the hold.
const maxRevoked = 10000

// String never prints the broker's fields: the masker holds every value
// issued, and fmt's %s or %q of the struct would reach it by reflection.
func (b *Broker) String() string { return "secrets.Broker{" + Redacted + "}" }

// GoString is String.
func (b *Broker) GoString() string { return b.String() }

// Format writes String for every verb.
func (b *Broker) Format(f fmt.State, _ rune) { redact.Format(f, b.String()) }

// LogValue is String.
func (b *Broker) LogValue() slog.Value { return slog.StringValue(b.String()) }

// MarshalJSON is String as a JSON string.
func (b *Broker) MarshalJSON() ([]byte, error) { return json.Marshal(b.String()) }

// config is what the options set.
type config struct {
	sink     audit.Sink
	checker  audit.CompromiseChecker
	masker   Masker
	log      *slog.Logger
	now      func() time.Time
	journal  string
	jseal    journalSealing
	ttl      time.Duration
	attempts int
	backoff  time.Duration
	revokeTO time.Duration
	hold     time.Duration       // WithRevokedHold; 0 means ttl
	registry leaseRegistryConfig // WithLeaseRegistry, WithLeaseHeartbeat
}

// Option configures a [Broker]. An option given an unusable value, or a
// nil Option, makes [New] fail with [ErrConfig].
type Option func(*config) error

// WithAudit sends issue, renew, revoke and deny events to sink. When the sink
// fails to record an issuance, the lease is revoked and the request fails.
func WithAudit(sink audit.Sink) Option {
	return func(c *config) error {
		if sink == nil {
			return errors.New("secrets: WithAudit: nil sink")
		}
		c.sink = sink
		return nil
	}
}

// WithCompromiseChecker denies every request from an identity the checker
// reports as compromised, by its own id or by its repository's or owner's
// mark ([audit.ActorCompromised]): new jobs ([Broker.Begin], audited as
// [ActionJobDeny]), issues, renewals (the lease is revoked) and reads of a
// lease's value.
func WithCompromiseChecker(checker audit.CompromiseChecker) Option {
	return func(c *config) error {
		if checker == nil {
			return errors.New("secrets: WithCompromiseChecker: nil checker")
		}
		c.checker = checker
		return nil
	}
}

// WithMasker registers every value the broker hands out with m (usually a
// [*Redactor]) before the value is returned. While a masker is wired in, the
// broker refuses values shorter than [MinMaskLen] with [ErrUnmaskable].
func WithMasker(m Masker) Option {
	return func(c *config) error {
		if m == nil {
			return errors.New("secrets: WithMasker: nil masker")
		}
		c.masker = m
		return nil
	}
}

// WithLogger sets the logger for diagnostics (never secret values). The
// default discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("secrets: WithLogger: nil logger")
		}
		c.log = l
		return nil
	}
}

// WithClock sets the clock used for lease expiry (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("secrets: WithClock: nil clock")
		}
		c.now = now
		return nil
	}
}

// WithJournal keeps a durable record of outstanding leases in dir (one small
// file per job, fsync'd on every change, holding lease ids and secret names,
// never values), so that [Broker.Recover] can revoke what a crashed process
// left behind. dir must exist and be private to the broker: whoever else
// could write or replace it could hide a lease from Recover, so it must
// pass OpenSSH's rule for ~/.ssh, else [ErrUnsafeJournal]: every directory
// from / to dir owned by root or this process's user, the ones above dir
// writable by group or others only if sticky (/tmp), dir itself not at
// all. Symbolic links on the way are resolved (and checked) once, here.
// Recover reads only records that are regular files this user owns and
// group and others cannot write. A record is never written past what
// Recover reads (lines of 4 KiB, 1 MiB a job): a lease that would not fit
// is refused with [ErrJournal] before the backend is asked.
func WithJournal(dir string) Option {
	return func(c *config) error {
		resolved, err := x509ca.SecureDir(dir, false)
		if errors.Is(err, x509ca.ErrUnsafeDir) {
			return fmt.Errorf("%w: WithJournal: %w", ErrUnsafeJournal, err)
		} else if err != nil {
			return fmt.Errorf("secrets: WithJournal: %w", err)
		}
		c.journal = resolved
		return nil
	}
}

// WithTTL sets the lease lifetime the broker asks backends for (default 15
// minutes). It also bounds every renewal ([Lease.Renew]); and no lease is
// asked for, or renewed, past the deadline of the job's context.
func WithTTL(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("secrets: WithTTL: %v is not positive", d)
		}
		c.ttl = d
		return nil
	}
}

// WithRevokeRetry sets how often a failed revocation is attempted (default
// 5) and the first backoff (default 200ms, doubling, capped at 10s).
func WithRevokeRetry(attempts int, backoff time.Duration) Option {
	return func(c *config) error {
		if attempts < 1 || backoff <= 0 {
			return fmt.Errorf("secrets: WithRevokeRetry: need attempts >= 1 and backoff > 0, got %d, %v", attempts, backoff)
		}
		c.attempts, c.backoff = attempts, backoff
		return nil
	}
}

// WithRevokeTimeout bounds the revocations a job runs when its context ends
// (default 1 minute).
func WithRevokeTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("secrets: WithRevokeTimeout: %v is not positive", d)
		}
		c.revokeTO = d
		return nil
	}
}

// WithRevokedHold sets how long [Broker.RevokeIdentity] keeps refusing new
// jobs of the identity it ended (default the lease TTL, [WithTTL]). It
// covers the time until the kill switch's mark reaches the
// [WithCompromiseChecker], which refuses the identity for as long as the
// mark stands; a broker without a checker refuses it for this hold only.
func WithRevokedHold(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("secrets: WithRevokedHold: %v is not positive", d)
		}
		c.hold = d
		return nil
	}
}

// New returns a broker that authorizes every request with authz and takes
// secrets from backend.
func New(authz Authorizer, backend Backend, opts ...Option) (*Broker, error) {
	if authz == nil {
		return nil, fmt.Errorf("%w: New: nil authorizer", ErrConfig)
	}
	if backend == nil {
		return nil, fmt.Errorf("%w: New: nil backend", ErrConfig)
	}
	b := &Broker{authz: authz, backend: backend, config: config{
		log:      slog.New(slog.DiscardHandler),
		now:      time.Now,
		ttl:      15 * time.Minute,
		attempts: 5,
		backoff:  200 * time.Millisecond,
		revokeTO: time.Minute,
		registry: leaseRegistryConfig{ttl: DefaultLeaseHeartbeat},
	}}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&b.config); err != nil {
			if !errors.Is(err, ErrConfig) {
				err = fmt.Errorf("%w: %w", ErrConfig, err)
			}
			return nil, err
		}
	}
	if b.hold == 0 {
		b.hold = b.ttl
	}
	if b.jseal != (journalSealing{}) && b.journal == "" {
		return nil, fmt.Errorf("%w: WithJournalEncrypter and WithJournalReadPlainUnsafe need WithJournal", ErrConfig)
	}
	if b.registry.heartbeatSet && b.registry.reg == nil {
		return nil, fmt.Errorf("%w: WithLeaseHeartbeat needs WithLeaseRegistry", ErrConfig)
	}
	if b.registry.reg != nil {
		r := b.registry
		b.leases = &leaseOwner{reg: r.reg, owner: r.owner, backend: r.backend, ttl: r.ttl, log: b.log, held: map[string][]string{}}
	}
	if b.jseal.readPlainUnsafe && b.jseal.enc == nil {
		return nil, fmt.Errorf("%w: WithJournalReadPlainUnsafe needs WithJournalEncrypter", ErrConfig)
	}
	return b, nil
}

// JobSpec identifies the job a lease set belongs to.
type JobSpec struct {
	// ID identifies the job (unique per run attempt).
	ID string
	// Identity is the job's verified identity.
	Identity identity.Identity
	// Token is the job's own credential, passed to backends that log in as
	// the job (e.g. Vault's JWT auth). It may be zero.
	Token Value
}

// Run begins a job, calls fn, and ends the job whatever happens: fn returns,
// fails, panics, or ctx is cancelled or times out. The revocation errors, if
// any, are joined to fn's error.
func (b *Broker) Run(ctx context.Context, spec JobSpec, fn func(ctx context.Context, job *Job) error) (err error) {
	job, err := b.Begin(ctx, spec)
	if err != nil {
		return err
	}
	defer func() {
		endErr := job.End(context.WithoutCancel(ctx))
		err = errors.Join(err, endErr)
	}()
	return fn(ctx, job)
}

func (b *Broker) auditActor(ctx context.Context, action string, outcome audit.Outcome, actor audit.Actor, jobID, name, leaseID, reason string) error {
	return b.writeAudit(ctx, action, outcome, actor, jobID, "secret:"+name, leaseID, reason)
}

// writeAudit writes one event of the broker about resource (a secret or a
// whole job), naming leaseID when there is one; an error wraps ErrAudit.
func (b *Broker) writeAudit(ctx context.Context, action string, outcome audit.Outcome, actor audit.Actor, jobID, resource, leaseID, reason string) error {
	if b.sink == nil {
		return nil
	}
	e := audit.Event{
		ID:          newID("evt-"),
		Time:        b.now().UTC(),
		Source:      auditSource,
		Action:      action,
		Outcome:     outcome,
		Actor:       actor,
		Resource:    resource,
		Reason:      reason,
		Correlation: audit.Correlation{JobID: jobID},
	}
	if leaseID != "" {
		e.Attributes = map[string]string{"lease_id": leaseID}
	}
	if err := b.sink.Write(ctx, e); err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrAudit, action, leaseID, err)
	}
	return nil
}

// revoke revokes one backend lease, retrying with exponential backoff.
func (b *Broker) revoke(ctx context.Context, leaseID, name string) error {
	wait := b.backoff
	var err error
	for attempt := 1; ; attempt++ {
		err = b.backend.Revoke(ctx, leaseID)
		if err == nil {
			return nil
		}
		b.log.WarnContext(ctx, "secrets: revoke failed", "lease_id", leaseID, "secret", name, "attempt", attempt, "err", err)
		if attempt >= b.attempts {
			return &RevokeError{LeaseID: leaseID, Name: name, Attempts: attempt, Err: err}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return &RevokeError{LeaseID: leaseID, Name: name, Attempts: attempt, Err: errors.Join(err, ctx.Err())}
		case <-t.C:
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// bound is when a lease the backend granted for got ends, as the broker
// counts it: no later than asked, the end of the lifetime the broker asked
// for (computed before the backend was asked, so never later than the
// backend's own end of it). A backend, perhaps a vendor's, that grants
// more, or sets no expiry (got 0), must not lengthen what the job is told,
// nor what the broker lets it read or renew, past the job.
func (b *Broker) bound(asked time.Time, got time.Duration) time.Time {
	if got <= 0 {
		return asked
	}
	if exp := b.now().Add(got); exp.Before(asked) {
		return exp
	}
	return asked
}

func newID(prefix string) string {
	var r [12]byte
	_, _ = rand.Read(r[:])
	return prefix + hex.EncodeToString(r[:])
}
