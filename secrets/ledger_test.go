package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
)

type eventLog struct {
	mu sync.Mutex
	ev []audit.Event
}

func (l *eventLog) Write(_ context.Context, e audit.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ev = append(l.ev, e)
	return nil
}

func (l *eventLog) find(action, leaseID string) (audit.Event, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.ev {
		if e.Action == action && e.Attributes["lease_id"] == leaseID {
			return e, true
		}
	}
	return audit.Event{}, false
}

func revisioned(rev string, names ...string) secrets.Authorizer {
	inner := secrets.AllowNames(names...)
	return secrets.AuthorizerFunc(func(ctx context.Context, req secrets.Request) (secrets.Decision, error) {
		d, err := inner.Authorize(ctx, req)
		d.PolicyRevision = rev
		return d, err
	})
}

func TestLeaseLedger(t *testing.T) {
	t.Parallel()
	const canary = "canary-4f1d9b7e2c8a6d3f"
	ledger, err := secrets.NewLeaseLedger("static")
	if err != nil {
		t.Fatal(err)
	}
	var log eventLog
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	broker, err := secrets.New(ledger.Authorizer(revisioned("rev-7", "prod/token", "db")),
		secrets.Static{"prod/token": canary, "db": "db-password-0123456789"},
		secrets.WithAudit(ledger.Sink(&log)), secrets.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	who := identity.Identity{Issuer: "https://ci.example", Subject: "repo:acme/app:ref:refs/heads/main"}
	var ids []string
	err = broker.Run(t.Context(), secrets.JobSpec{ID: "job-1", Identity: who}, func(ctx context.Context, job *secrets.Job) error {
		for _, n := range []string{"prod/token", "db"} {
			l, err := job.Lease(ctx, n)
			if err != nil {
				return err
			}
			ids = append(ids, l.ID())
		}
		if _, err := job.Lease(ctx, "not-granted"); !errors.Is(err, secrets.ErrDenied) {
			return fmt.Errorf("lease of an ungranted secret: %v, want denied", err)
		}
		live := ledger.Job("job-1")
		if len(live) != 2 || !live[0].RevokedAt.IsZero() {
			return fmt.Errorf("while the job runs: %+v, want two live leases", live)
		}
		now = now.Add(time.Minute)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	facts := ledger.Job("job-1")
	if len(facts) != 2 {
		t.Fatalf("Job = %+v, want 2 facts", facts)
	}
	for i, f := range facts {
		issue, ok := log.find(secrets.ActionIssue, ids[i])
		if !ok {
			t.Fatalf("no issue event for %s", ids[i])
		}
		want := secrets.LeaseFact{LeaseID: ids[i], Secret: []string{"prod/token", "db"}[i], Backend: "static", JobID: "job-1",
			Identity: who.ID(), DecisionID: issue.ID, PolicyRevision: "rev-7",
			IssuedAt: now.Add(-time.Minute), RevokedAt: now}
		if f != want {
			t.Errorf("fact %d = %+v\nwant %+v", i, f, want)
		}
		if s := fmt.Sprintf("%+v %#v", f, f); strings.Contains(s, canary) {
			t.Errorf("fact %d holds the secret value: %s", i, s)
		}
	}
	if got := ledger.Job("other"); got != nil {
		t.Errorf("Job(other) = %+v, want nil", got)
	}
	ledger.Forget("job-1")
	if got := ledger.Job("job-1"); got != nil {
		t.Errorf("after Forget: %+v", got)
	}
}

// A ledger that cannot record makes the broker refuse the lease: no
// credential reaches a job without reaching its provenance.
func TestLeaseLedgerFullFailsClosed(t *testing.T) {
	t.Parallel()
	ledger, err := secrets.NewLeaseLedger("static")
	if err != nil {
		t.Fatal(err)
	}
	authz := ledger.Authorizer(secrets.AllowNames("x"))
	who := identity.Identity{Issuer: "https://ci.example", Subject: "s"}
	for i := range secrets.MaxLedgerLeases {
		if _, err := authz.Authorize(t.Context(), secrets.Request{Identity: who, JobID: fmt.Sprint("filler-", i), Name: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	broker, err := secrets.New(authz, secrets.Static{"x": "value-0123456789"}, secrets.WithAudit(ledger.Sink(nil)))
	if err != nil {
		t.Fatal(err)
	}
	err = broker.Run(t.Context(), secrets.JobSpec{ID: "job", Identity: who}, func(ctx context.Context, job *secrets.Job) error {
		_, err := job.Lease(ctx, "x")
		return err
	})
	if !errors.Is(err, secrets.ErrPolicyUndecided) || !errors.Is(err, secrets.ErrLedgerFull) {
		t.Fatalf("lease with a full ledger: %v, want undecided (ledger full)", err)
	}
	ledger.Forget("filler-0")
	err = broker.Run(t.Context(), secrets.JobSpec{ID: "job", Identity: who}, func(ctx context.Context, job *secrets.Job) error {
		_, err := job.Lease(ctx, "x")
		return err
	})
	if err != nil {
		t.Fatalf("after Forget freed room: %v", err)
	}
	if got := ledger.Job("job"); len(got) != 1 {
		t.Fatalf("Job = %+v, want the one lease", got)
	}
}

func TestLeaseLedgerSinkErrorPassesThrough(t *testing.T) {
	t.Parallel()
	ledger, err := secrets.NewLeaseLedger("static")
	if err != nil {
		t.Fatal(err)
	}
	bad := errors.New("disk full")
	broker, err := secrets.New(ledger.Authorizer(secrets.AllowNames("x")), secrets.Static{"x": "value-0123456789"},
		secrets.WithAudit(ledger.Sink(audit.SinkFunc(func(context.Context, audit.Event) error { return bad }))))
	if err != nil {
		t.Fatal(err)
	}
	who := identity.Identity{Issuer: "https://ci.example", Subject: "s"}
	err = broker.Run(t.Context(), secrets.JobSpec{ID: "job", Identity: who}, func(ctx context.Context, job *secrets.Job) error {
		_, err := job.Lease(ctx, "x")
		return err
	})
	if !errors.Is(err, bad) {
		t.Fatalf("lease with a failing sink: %v, want the sink's error", err)
	}
	if got := ledger.Job("job"); got != nil {
		t.Fatalf("a lease the audit log refused is in the ledger: %+v", got)
	}
}

func TestNewLeaseLedgerNeedsBackend(t *testing.T) {
	t.Parallel()
	if _, err := secrets.NewLeaseLedger(" "); !errors.Is(err, secrets.ErrConfig) {
		t.Fatalf("NewLeaseLedger(blank) = %v, want ErrConfig", err)
	}
}

// The ledger sits in front of the broker's audit sink and authorizer and
// lists, per job, every lease it received: for secrets provenance.
func ExampleLeaseLedger() {
	ctx := context.Background()
	ledger, err := secrets.NewLeaseLedger("static")
	if err != nil {
		panic(err)
	}
	// For the example only: AllowNames gives the secret to any job, Static
	// values never expire, and the ledger passes events to no audit log
	// (ledger.Sink(auditLog) in production).
	broker, err := secrets.New(ledger.Authorizer(secrets.AllowNames("deploy-token")),
		secrets.Static{"deploy-token": "tok-7f3a9c1e5b2d"}, secrets.WithAudit(ledger.Sink(nil)))
	if err != nil {
		panic(err)
	}
	who := identity.Identity{Issuer: "https://ci.example.com", Subject: "repo:octo/app:ref:refs/heads/main"}
	err = broker.Run(ctx, secrets.JobSpec{ID: "run-42", Identity: who}, func(ctx context.Context, job *secrets.Job) error {
		_, err := job.Lease(ctx, "deploy-token")
		return err
	})
	if err != nil { // the job failed, or a lease could not be revoked
		panic(err)
	}
	for _, f := range ledger.Job("run-42") {
		fmt.Println(f.Secret, f.Backend, f.JobID, strings.HasPrefix(f.DecisionID, "evt-"), !f.RevokedAt.IsZero())
	}
	ledger.Forget("run-42")
	fmt.Println(len(ledger.Job("run-42")))
	// Output:
	// deploy-token static run-42 true true
	// 0
}

// BenchmarkLeaseLedger: one lease issued and revoked through a broker,
// without and with the ledger in front of its authorizer and audit sink
// (same run, same backend and sink).
func BenchmarkLeaseLedger(b *testing.B) {
	who := identity.Identity{Issuer: "https://ci.example", Subject: "s"}
	sink := audit.SinkFunc(func(context.Context, audit.Event) error { return nil })
	for _, withLedger := range []bool{false, true} {
		name := "without"
		authz, s := secrets.AllowNames("x"), audit.Sink(sink)
		var ledger *secrets.LeaseLedger
		if withLedger {
			name = "with"
			ledger, _ = secrets.NewLeaseLedger("static")
			authz, s = ledger.Authorizer(authz), ledger.Sink(sink)
		}
		broker, err := secrets.New(authz, secrets.Static{"x": "value-0123456789"}, secrets.WithAudit(s))
		if err != nil {
			b.Fatal(err)
		}
		job, err := broker.Begin(b.Context(), secrets.JobSpec{ID: "job", Identity: who})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l, err := job.Lease(b.Context(), "x")
				if err != nil {
					b.Fatal(err)
				}
				if err := l.Revoke(b.Context()); err != nil {
					b.Fatal(err)
				}
				if ledger != nil {
					_ = ledger.Job("job") // what the runner reads
					ledger.Forget("job")
				}
			}
		})
		if err := job.End(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
