package secrets

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Lease registry errors. Every error from a [LeaseRegistry] or a
// [LeaseReclaimer] other than [ErrClaimLost] means "could not decide": the
// broker hands out nothing, and a reaper assumes nothing was revoked.
var (
	// ErrLeaseRegistry: the fleet's lease registry could not record, remove
	// or claim a lease (engine unreachable, timeout, corrupt record).
	ErrLeaseRegistry = errors.New("secrets: lease registry")
	// ErrBadLeaseRecord: a [LeaseRecord] is incomplete or holds a field
	// that is too long or not printable text. Registries refuse to store
	// such a record and refuse to return one they read.
	ErrBadLeaseRecord = fmt.Errorf("%w: bad lease record", ErrLeaseRegistry)
	// ErrLeaseExists: a lease with this id is already registered.
	ErrLeaseExists = fmt.Errorf("%w: lease already registered", ErrLeaseRegistry)
	// ErrClaimLost: [LeaseReclaimer.Complete] found the lease no longer
	// held by this claim: the claim expired and another reaper took the
	// lease over, or its owner released it. The record was left alone.
	ErrClaimLost = fmt.Errorf("%w: claim no longer held", ErrLeaseRegistry)
)

// MaxLeaseField is the longest value, in bytes, of any [LeaseRecord] field.
// A SPIFFE ID may be 2048 bytes long; nothing in a record needs more. It is
// also the longest secret name a job may ask for ([MaxNameLen]), so that
// every lease policy allows can be recorded.
const MaxLeaseField = 2048

// LeaseRecord is what the fleet's lease registry knows about one
// outstanding lease: enough for any node to revoke it once its owner is
// gone, and to say whose it was. It never holds the secret value.
type LeaseRecord struct {
	// LeaseID is the backend's lease id, what [Revoker.Revoke] takes. It is
	// unique in the registry.
	LeaseID string
	// Backend names the backend that issued the lease; a [Reaper] revokes
	// it with the [Revoker] registered under this name.
	Backend string
	// Name is the secret's name.
	Name string
	// JobID is the job the lease belongs to.
	JobID string
	// Identity is the job's identity ([identity.Identity.ID]: a SPIFFE ID
	// or "<issuer>#<subject>").
	Identity string
	// Owner is the broker instance that holds the lease and heartbeats for
	// it (see [WithLeaseRegistry]).
	Owner string
	// ExpiresAt is when the backend ends the lease on its own as issued, or
	// zero. A renewal ([Lease.Renew]) extends the lease at the backend but
	// not this record, so the lease may outlive it: never take a passed
	// ExpiresAt as a reason not to revoke (a [Reaper] does not).
	ExpiresAt time.Time
}

// Validate reports a record a registry must not store or return: every
// field but ExpiresAt is required, at most [MaxLeaseField] bytes of valid
// UTF-8 without control characters. The error wraps [ErrBadLeaseRecord].
func (r LeaseRecord) Validate() error {
	for _, f := range []struct{ name, v string }{
		{"lease id", r.LeaseID}, {"backend", r.Backend}, {"secret name", r.Name},
		{"job id", r.JobID}, {"identity", r.Identity}, {"owner", r.Owner},
	} {
		if err := checkLeaseField(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

// checkLeaseField reports whether v is fit for a lease record field.
func checkLeaseField(name, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%w: empty %s", ErrBadLeaseRecord, name)
	case len(v) > MaxLeaseField:
		return fmt.Errorf("%w: %s is %d bytes, more than %d", ErrBadLeaseRecord, name, len(v), MaxLeaseField)
	case !utf8.ValidString(v):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrBadLeaseRecord, name)
	case strings.ContainsFunc(v, unicode.IsControl):
		return fmt.Errorf("%w: %s holds a control character", ErrBadLeaseRecord, name)
	}
	return nil
}

// CheckLeaseOwner reports whether owner is usable as an owner or claimer
// id (non-empty, at most [MaxLeaseField] bytes of printable UTF-8). The
// error wraps [ErrBadLeaseRecord]. Registries call it on their inputs.
func CheckLeaseOwner(owner string) error { return checkLeaseField("owner", owner) }

// LeaseClaim is a reaper's exclusive, time-limited hold on a lease whose
// owner's heartbeat lapsed. Until it expires no other claim on the lease
// is granted.
type LeaseClaim struct {
	// Record is the lease as registered.
	Record LeaseRecord
	// Claimer is who holds the claim.
	Claimer string
	// Token identifies this claim to [LeaseReclaimer.Complete]; it is
	// opaque and specific to the registry that issued it.
	Token string
}

// LeaseRegistry is the owner's side of the fleet-shared record of
// outstanding leases: a [Broker] with [WithLeaseRegistry] registers each
// lease before the backend is asked for it, heartbeats while it holds
// registered leases, and releases each lease it revokes. A [Reaper] on any
// node revokes the leases of an owner whose heartbeat lapsed.
//
// Heartbeat records that owner is alive for ttl from now, measured by the
// registry's engine (the NATS server's per-key TTL, PostgreSQL's now()), so
// that no two hosts' clocks are compared. Register records rec and fails
// with an error wrapping [ErrLeaseExists] if its lease id is registered
// already; it does not heartbeat. Release removes the record of a lease
// its owner revoked; releasing an unknown lease succeeds.
//
// An error means the registry may not hold what was asked: the broker then
// revokes the lease and hands nothing out. Methods honour ctx and are safe
// for concurrent use.
type LeaseRegistry interface {
	Heartbeat(ctx context.Context, owner string, ttl time.Duration) error
	Register(ctx context.Context, rec LeaseRecord) error
	Release(ctx context.Context, leaseID string) error
}

// LeaseReclaimer is the reaper's side of the lease registry.
//
// Claim atomically claims at most max leases whose owner has no live
// heartbeat (never heartbeated, or its last heartbeat's ttl has passed)
// and which no unexpired claim holds, for ttl, on behalf of claimer. Each
// lease is granted to one claim at a time, however many reapers call Claim
// concurrently on however many nodes; once a claim expires the lease can
// be claimed again, so a reaper that dies holding a claim delays the
// revocation by at most ttl. Leases of owners with a live heartbeat are
// never returned.
//
// Complete removes the record of a claimed lease after it was revoked, if
// the claim is still the lease's latest; otherwise it leaves the record
// alone and returns an error wrapping [ErrClaimLost].
//
// An error from Claim means nothing was claimed: it returns no claim, and
// the caller has nothing to revoke or complete. A registry must then not
// hold any lease from other reapers either (a claim it began and could not
// finish is given back, or at worst expires with ttl, as a dead reaper's
// does); a registry that fails after taking some claims returns those,
// without the error, rather than strand them. Methods honour ctx and are
// safe for concurrent use.
type LeaseReclaimer interface {
	Claim(ctx context.Context, claimer string, ttl time.Duration, max int) ([]LeaseClaim, error)
	Complete(ctx context.Context, c LeaseClaim) error
}

// Revoker ends a lease at the backend that issued it. Every [Backend] is
// one. Revoke must be idempotent (revoking an unknown or revoked lease
// succeeds) and must return once ctx is done: a [Reaper] gives each
// revocation a deadline inside its claim.
type Revoker interface {
	Revoke(ctx context.Context, leaseID string) error
}

// RevokerFunc adapts a function to a [Revoker].
type RevokerFunc func(ctx context.Context, leaseID string) error

// Revoke calls f(ctx, leaseID).
func (f RevokerFunc) Revoke(ctx context.Context, leaseID string) error { return f(ctx, leaseID) }

// MemoryLeaseRegistry is a [LeaseRegistry] and [LeaseReclaimer] for the
// brokers and reapers of one process. Time is the process's clock. It holds
// no goroutines.
type MemoryLeaseRegistry struct {
	mu     sync.Mutex
	owners map[string]time.Time // alive until
	leases map[string]*memLease
	seq    uint64
}

type memLease struct {
	rec        LeaseRecord
	seq        uint64 // registration order
	claimer    string
	token      string
	claimUntil time.Time
}

// NewMemoryLeaseRegistry returns an empty registry.
func NewMemoryLeaseRegistry() *MemoryLeaseRegistry {
	return &MemoryLeaseRegistry{owners: map[string]time.Time{}, leases: map[string]*memLease{}}
}

var (
	_ LeaseRegistry  = (*MemoryLeaseRegistry)(nil)
	_ LeaseReclaimer = (*MemoryLeaseRegistry)(nil)
)

// Heartbeat implements [LeaseRegistry].
func (m *MemoryLeaseRegistry) Heartbeat(ctx context.Context, owner string, ttl time.Duration) error {
	if err := CheckLeaseOwner(owner); err != nil {
		return err
	}
	if ttl <= 0 {
		return fmt.Errorf("%w: heartbeat ttl %v is not positive", ErrConfig, ttl)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: heartbeat: %w", ErrLeaseRegistry, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.owners[owner] = time.Now().Add(ttl)
	return nil
}

// Register implements [LeaseRegistry].
func (m *MemoryLeaseRegistry) Register(ctx context.Context, rec LeaseRecord) error {
	if err := rec.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: register: %w", ErrLeaseRegistry, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.leases[rec.LeaseID]; ok {
		return fmt.Errorf("%w: %s", ErrLeaseExists, rec.LeaseID)
	}
	m.seq++
	m.leases[rec.LeaseID] = &memLease{rec: rec, seq: m.seq}
	return nil
}

// Release implements [LeaseRegistry].
func (m *MemoryLeaseRegistry) Release(ctx context.Context, leaseID string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: release: %w", ErrLeaseRegistry, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.leases, leaseID)
	return nil
}

// Claim implements [LeaseReclaimer]. Leases are claimed in the order they
// were registered.
func (m *MemoryLeaseRegistry) Claim(ctx context.Context, claimer string, ttl time.Duration, max int) ([]LeaseClaim, error) {
	if err := CheckLeaseOwner(claimer); err != nil {
		return nil, err
	}
	if ttl <= 0 || max < 1 {
		return nil, fmt.Errorf("%w: claim ttl %v and max %d must be positive", ErrConfig, ttl, max)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: claim: %w", ErrLeaseRegistry, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	var due []*memLease
	for _, l := range m.leases {
		if now.Before(m.owners[l.rec.Owner]) || now.Before(l.claimUntil) {
			continue
		}
		due = append(due, l)
	}
	slices.SortFunc(due, func(a, b *memLease) int { return cmp.Compare(a.seq, b.seq) })
	var out []LeaseClaim
	for _, l := range due[:min(max, len(due))] {
		l.claimer, l.token, l.claimUntil = claimer, newID("claim-"), now.Add(ttl)
		out = append(out, LeaseClaim{Record: l.rec, Claimer: claimer, Token: l.token})
	}
	return out, nil
}

// Complete implements [LeaseReclaimer].
func (m *MemoryLeaseRegistry) Complete(ctx context.Context, c LeaseClaim) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: complete: %w", ErrLeaseRegistry, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.leases[c.Record.LeaseID]
	if !ok || l.token == "" || l.token != c.Token {
		return fmt.Errorf("%w: lease %s", ErrClaimLost, c.Record.LeaseID)
	}
	delete(m.leases, c.Record.LeaseID)
	return nil
}
