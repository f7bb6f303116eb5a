package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ztci/ztci/audit"
)

// ErrLedgerFull: a [LeaseLedger] holds [MaxLedgerLeases] leases and records
// no more until jobs are forgotten. The broker, whose audit sink fails,
// refuses the lease.
var ErrLedgerFull = fmt.Errorf("%w: lease ledger full", ErrAudit)

// MaxLedgerLeases bounds the leases and pending decisions one
// [LeaseLedger] holds.
const MaxLedgerLeases = 1 << 16

// LeaseFact is what a [LeaseLedger] knows of one lease: names, ids and
// times, never the value or anything computed from it.
type LeaseFact struct {
	// LeaseID is the backend's lease id (as [Lease.ID]).
	LeaseID string
	// Secret is the secret's name.
	Secret string
	// Backend is the ledger's label of the broker's backend.
	Backend string
	// JobID is the job's id ([JobSpec.ID]); Identity its identity's ID.
	JobID, Identity string
	// DecisionID is the id of the broker's [ActionIssue] audit event, which
	// records the authorizer's reason for the release.
	DecisionID string
	// PolicyRevision is the revision the authorizer's allow named, if any.
	PolicyRevision string
	// IssuedAt is the time of the issue event; RevokedAt that of the
	// revoke event, zero while the lease is live.
	IssuedAt, RevokedAt time.Time
}

// LeaseLedger records which leases each job received, for secrets
// provenance. It learns them from the broker's own audit events — it is an
// [audit.Sink] in front of the broker's sink ([LeaseLedger.Sink]) — and the
// revision of each release from the authorizer ([LeaseLedger.Authorizer]):
//
//	ledger := secrets.NewLeaseLedger("vault")
//	broker, _ := secrets.New(ledger.Authorizer(authz), backend, secrets.WithAudit(ledger.Sink(sink)))
//	...
//	facts := ledger.Job(jobID) // every lease the job received, with issue and revoke times
//	ledger.Forget(jobID)
//
// The broker audits an issuance before it hands the lease to the job and
// refuses the lease when its sink fails, so every lease a job received is
// in the ledger; a full ledger ([MaxLedgerLeases]) fails the sink and so
// the lease. The revision of a lease is that of the allowed decision for
// the same job and secret name that preceded its issue event, paired in
// order (the broker writes one issue event, success or failure, for every
// allow, and an event the sink refused still spends its allow): when one
// job asks for one name concurrently across a policy reload, two leases of
// that name may carry each other's revision.
//
// A LeaseLedger is safe for concurrent use; it holds facts until
// [LeaseLedger.Forget].
type LeaseLedger struct {
	backend string

	mu      sync.Mutex
	jobs    map[string][]*LeaseFact  // by job id, in issue order
	leases  map[ledgerKey]*LeaseFact // by job id and lease id
	pending map[ledgerKey][]string   // revisions of allows not yet issued
	size    int                      // leases + pending revisions
}

// ledgerKey is a job id and a secret name (pending revisions) or a lease
// id (leases). Leases are known per job: a lease id is the backend's
// string, which two jobs' leases may share (an STS backend naming the role
// it assumed), so the revocation of one job's lease must not be taken for
// another's.
type ledgerKey struct{ job, name string }

// NewLeaseLedger returns an empty ledger whose facts name backend (a
// label such as "vault" or "aws-sts/prod"; required).
func NewLeaseLedger(backend string) (*LeaseLedger, error) {
	if strings.TrimSpace(backend) == "" {
		return nil, fmt.Errorf("%w: lease ledger needs a backend label", ErrConfig)
	}
	return &LeaseLedger{backend: backend, jobs: map[string][]*LeaseFact{}, leases: map[ledgerKey]*LeaseFact{},
		pending: map[ledgerKey][]string{}}, nil
}

// Authorizer returns a wrapped authorizer that remembers the policy revision
// of each allow of an issue (not of a renewal, [Request.Renewal]), to be
// paired with the lease it releases. Decisions and
// errors pass through unchanged; an allow the ledger has no room for is
// "could not decide" (the broker denies).
func (l *LeaseLedger) Authorizer(a Authorizer) Authorizer {
	return AuthorizerFunc(func(ctx context.Context, req Request) (Decision, error) {
		if a == nil {
			return Decision{}, fmt.Errorf("%w: nil authorizer", ErrConfig)
		}
		d, err := a.Authorize(ctx, req)
		if err != nil || !d.Allow || req.Renewal {
			// A renewal's allow releases no new lease: kept, it would be
			// paired with the job's next issue of the name.
			return d, err
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.size >= MaxLedgerLeases {
			return Decision{}, ErrLedgerFull
		}
		k := ledgerKey{req.JobID, req.Name}
		l.pending[k] = append(l.pending[k], d.PolicyRevision)
		l.size++
		return d, nil
	})
}

// Sink returns an audit sink that writes every event to next (when not nil)
// and then records the broker's issue and revoke events. An error of next
// is returned unrecorded (an issue event still spends the allow it pairs
// with); an issuance the ledger has no room for fails before next sees it.
func (l *LeaseLedger) Sink(next audit.Sink) audit.Sink {
	return audit.SinkFunc(func(ctx context.Context, e audit.Event) error {
		issued := e.Source == auditSource && e.Action == ActionIssue && e.Outcome == audit.OutcomeSuccess
		if issued {
			l.mu.Lock()
			full := len(l.pending[ledgerKey{e.Correlation.JobID, secretName(e)}]) == 0 && l.size >= MaxLedgerLeases
			l.mu.Unlock()
			if full {
				return ErrLedgerFull
			}
		}
		if next != nil {
			if err := next.Write(ctx, e); err != nil {
				// The broker refuses the lease and writes no other issue
				// event for this allow: its revision is spent, not left
				// for the job's next lease of the name.
				if e.Source == auditSource && e.Action == ActionIssue {
					l.mu.Lock()
					l.popPending(ledgerKey{e.Correlation.JobID, secretName(e)})
					l.mu.Unlock()
				}
				return err
			}
		}
		return l.record(e)
	})
}

func secretName(e audit.Event) string { return strings.TrimPrefix(e.Resource, "secret:") }

func (l *LeaseLedger) record(e audit.Event) error {
	if e.Source != auditSource {
		return nil
	}
	id := e.Attributes["lease_id"]
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case e.Action == ActionIssue:
		k := ledgerKey{e.Correlation.JobID, secretName(e)}
		rev, ok := l.popPending(k)
		if e.Outcome != audit.OutcomeSuccess {
			return nil
		}
		if id == "" {
			return errors.New("secrets: lease ledger: issue event without a lease id")
		}
		lk := ledgerKey{k.job, id}
		if _, dup := l.leases[lk]; dup {
			return fmt.Errorf("secrets: lease ledger: lease %s issued twice", id)
		}
		if !ok && l.size >= MaxLedgerLeases {
			return ErrLedgerFull
		}
		f := &LeaseFact{LeaseID: id, Secret: k.name, Backend: l.backend, JobID: k.job, Identity: e.Actor.ID,
			DecisionID: e.ID, PolicyRevision: rev, IssuedAt: e.Time.UTC()}
		l.leases[lk] = f
		l.jobs[k.job] = append(l.jobs[k.job], f)
		l.size++
	case e.Action == ActionRevoke && e.Outcome == audit.OutcomeSuccess:
		if f, ok := l.leases[ledgerKey{e.Correlation.JobID, id}]; ok && f.RevokedAt.IsZero() {
			f.RevokedAt = e.Time.UTC()
		}
	}
	return nil
}

// popPending takes the oldest pending revision for k.
func (l *LeaseLedger) popPending(k ledgerKey) (string, bool) {
	revs := l.pending[k]
	if len(revs) == 0 {
		return "", false
	}
	if len(revs) == 1 {
		delete(l.pending, k)
	} else {
		l.pending[k] = revs[1:]
	}
	l.size--
	return revs[0], true
}

// Job returns copies of the facts of every lease job jobID received, in
// issue order; nil for a job the ledger does not know.
func (l *LeaseLedger) Job(jobID string) []LeaseFact {
	l.mu.Lock()
	defer l.mu.Unlock()
	fs := l.jobs[jobID]
	if len(fs) == 0 {
		return nil
	}
	out := make([]LeaseFact, len(fs))
	for i, f := range fs {
		out[i] = *f
	}
	return out
}

// Forget drops everything the ledger holds for job jobID: its leases and
// any allow not followed by an issue (a lease refused after the decision).
// Call it once the job's provenance is emitted.
func (l *LeaseLedger) Forget(jobID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range l.jobs[jobID] {
		delete(l.leases, ledgerKey{jobID, f.LeaseID})
		l.size--
	}
	delete(l.jobs, jobID)
	for k, revs := range l.pending {
		if k.job == jobID {
			l.size -= len(revs)
			delete(l.pending, k)
		}
	}
}
