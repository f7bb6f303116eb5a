package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// markable is a kill switch whose marks can be set while jobs run.
type markable struct {
	mu     sync.Mutex
	marked map[string]bool
}

func (m *markable) mark(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.marked == nil {
		m.marked = map[string]bool{}
	}
	m.marked[id] = true
}

func (m *markable) Compromised(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.marked[id]
}

// TestReview17RenewReauthorized: Renew asked neither the authorizer nor
// (in every case) the backend to end anything: a grant withdrawn mid-job
// (the policy changed, the secret moved out of the job's reach) or a
// policy engine that could no longer decide let the job renew its
// credential, again and again, until the job ended. A renewal is asked of
// the authorizer again; a refusal, an authorizer error or a kill-switch
// mark fails it and revokes the lease at once.
func TestReview17RenewReauthorized(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// withdraw changes the world after the lease was issued.
		withdraw func(allow *atomic.Int32, ks *markable)
		want     error
	}{
		{name: "grant withdrawn", withdraw: func(a *atomic.Int32, _ *markable) { a.Store(0) }, want: secrets.ErrPolicyDenied},
		{name: "policy undecided", withdraw: func(a *atomic.Int32, _ *markable) { a.Store(2) }, want: secrets.ErrPolicyUndecided},
		{name: "identity marked", withdraw: func(_ *atomic.Int32, ks *markable) { ks.mark(job.ID()) }, want: secrets.ErrCompromised},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var allow atomic.Int32 // 1 allow, 0 deny, 2 error
			allow.Store(1)
			var calls atomic.Int32
			authz := secrets.AuthorizerFunc(func(_ context.Context, req secrets.Request) (secrets.Decision, error) {
				calls.Add(1)
				switch {
				case req.Name != "db" || req.Identity.ID() != job.ID() || req.JobID != "r17-renew":
					return secrets.Decision{Reason: "not this request"}, nil
				case allow.Load() == 2:
					return secrets.Decision{}, errors.New("policy engine unreachable")
				case allow.Load() == 0:
					return secrets.Decision{Reason: "grant withdrawn"}, nil
				}
				return secrets.Decision{Allow: true, Reason: "granted"}, nil
			})
			be := newMem("a-value-long-enough-to-mask")
			ks := &markable{}
			s := &sink{}
			b, err := secrets.New(authz, be, secrets.WithCompromiseChecker(ks), secrets.WithAudit(s))
			if err != nil {
				t.Fatal(err)
			}
			j, err := b.Begin(t.Context(), spec("r17-renew"))
			if err != nil {
				t.Fatal(err)
			}
			defer j.End(context.Background())
			l, err := j.Lease(t.Context(), "db")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Renew(t.Context(), 0); err != nil {
				t.Fatalf("renewal while granted: %v", err)
			}
			if n := calls.Load(); n != 2 {
				t.Errorf("authorizer asked %d times for an issue and a renewal, want 2", n)
			}
			tc.withdraw(&allow, ks)
			if _, err := l.Renew(t.Context(), 0); !errors.Is(err, tc.want) || !errors.Is(err, secrets.ErrDenied) {
				t.Fatalf("renewal after the grant ended: got %v, want %v", err, tc.want)
			}
			if n := be.liveCount(); n != 0 {
				t.Errorf("%d leases still live at the backend after a refused renewal", n)
			}
			if _, err := l.Value(); !errors.Is(err, secrets.ErrRevoked) {
				t.Errorf("Value after a refused renewal: got %v, want ErrRevoked", err)
			}
			if _, err := l.Renew(t.Context(), 0); !errors.Is(err, secrets.ErrRevoked) {
				t.Errorf("second renewal: got %v, want ErrRevoked", err)
			}
			got := fmt.Sprint(s.actions())
			want := fmt.Sprint([]string{"secrets.lease.issue:success", "secrets.lease.renew:success",
				"secrets.lease.deny:deny", "secrets.lease.revoke:success"})
			if got != want {
				t.Errorf("audited %s, want %s", got, want)
			}
		})
	}
}

// TestReview17RenewRequest: the authorizer can tell a renewal from an
// issue (Request.Renewal, with the lease's id), and a LeaseLedger does not
// keep a renewal's allow to pair with the job's next issue of the name:
// that lease was recorded under the renewal's policy revision, not its
// own.
func TestReview17RenewRequest(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []secrets.Request
	authz := secrets.AuthorizerFunc(func(_ context.Context, req secrets.Request) (secrets.Decision, error) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, req)
		return secrets.Decision{Allow: true, PolicyRevision: fmt.Sprintf("r%d", len(seen))}, nil
	})
	ledger, err := secrets.NewLeaseLedger("mem")
	if err != nil {
		t.Fatal(err)
	}
	b, err := secrets.New(ledger.Authorizer(authz), newMem("a-value-long-enough-to-mask"), secrets.WithAudit(ledger.Sink(nil)))
	if err != nil {
		t.Fatal(err)
	}
	j, err := b.Begin(t.Context(), spec("r17-ledger"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.End(context.Background())
	l, err := j.Lease(t.Context(), "db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Renew(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Lease(t.Context(), "db"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(seen) != 3 || seen[0].Renewal || !seen[1].Renewal || seen[1].LeaseID != l.ID() || seen[2].Renewal {
		t.Errorf("authorizer saw %+v, want issue, renewal of %s, issue", seen, l.ID())
	}
	mu.Unlock()
	facts := ledger.Job("r17-ledger")
	if len(facts) != 2 || facts[0].PolicyRevision != "r1" || facts[1].PolicyRevision != "r3" {
		t.Errorf("ledger facts %+v, want revisions r1 and r3", facts)
	}
}

// TestReview17ValueAfterMark: the value is handed out by Lease.Value, not
// at issue, and Value never asked the kill switch: once the job's identity
// was marked compromised, whoever held the Lease (the job's code, a
// process it passed the handle to) still read the secret, unless the mark
// had been wired to Broker.RevokeIdentity.
func TestReview17ValueAfterMark(t *testing.T) {
	t.Parallel()
	ks := &markable{}
	b := newBroker(t, newMem("a-value-long-enough-to-mask"), secrets.WithCompromiseChecker(ks))
	j, err := b.Begin(t.Context(), spec("r17-value"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.End(context.Background())
	l, err := j.Lease(t.Context(), "db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Value(); err != nil {
		t.Fatal(err)
	}
	ks.mark(job.ID())
	v, err := l.Value()
	if !errors.Is(err, secrets.ErrCompromised) || !v.IsZero() {
		t.Errorf("Value after the identity was marked: got a value of %d bytes, %v; want ErrCompromised", v.Len(), err)
	}
}
