package secrets_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
)

// flagChecker marks every identity compromised while set.
type flagChecker struct{ on atomic.Bool }

func (c *flagChecker) Compromised(string) bool { return c.on.Load() }

// A LeaseLedger pairs each issue event with the oldest allow pending for
// the same job and secret name. An allow that ended in no issue event (the
// audit sink refused the issue event, the value was too short to mask, the
// identity was marked while the backend issued, ...) stayed pending, and
// the job's next lease of that name was recorded, and attested by
// attest/secretsprov, under the stale allow's policy revision rather than
// the one that released it. Every allow must be consumed by the issuance
// it led to, whatever became of it.
func TestReview32LedgerRevisionOfRetriedLease(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// first is called on the first Issue; it returns the value to grant.
		first func(c *flagChecker) string
		// failSink fails the sink's first successful issue event.
		failSink bool
		wantErr  error
	}{
		{name: "sink refused the issue event", first: func(*flagChecker) string { return "long-enough-secret-value" },
			failSink: true, wantErr: secrets.ErrAudit},
		{name: "value too short to mask", first: func(*flagChecker) string { return "ab" }, wantErr: secrets.ErrUnmaskable},
		{name: "identity marked during issuance", first: func(c *flagChecker) string {
			c.on.Store(true)
			return "long-enough-secret-value"
		}, wantErr: secrets.ErrCompromised},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ledger, err := secrets.NewLeaseLedger("test")
			if err != nil {
				t.Fatal(err)
			}
			var rev atomic.Int32
			authz := secrets.AuthorizerFunc(func(context.Context, secrets.Request) (secrets.Decision, error) {
				return secrets.Decision{Allow: true, Reason: "ok", PolicyRevision: []string{"r1", "r2", "r3"}[rev.Add(1)-1]}, nil
			})
			checker := &flagChecker{}
			var calls atomic.Int32
			be := secrets.BackendFunc(func(context.Context, secrets.Request) (secrets.Grant, error) {
				v := "long-enough-secret-value"
				if calls.Add(1) == 1 {
					v = tc.first(checker)
				}
				return secrets.Grant{Value: secrets.NewValue(v), TTL: time.Hour}, nil
			})
			var once sync.Once
			sink := audit.SinkFunc(func(_ context.Context, e audit.Event) error {
				if e.Action == secrets.ActionDeny {
					checker.on.Store(false) // the mark is lifted once the deny is seen
				}
				var err error
				if tc.failSink && e.Action == secrets.ActionIssue && e.Outcome == audit.OutcomeSuccess {
					once.Do(func() { err = errors.New("sink down") })
				}
				return err
			})
			b, err := secrets.New(ledger.Authorizer(authz), be, secrets.WithAudit(ledger.Sink(sink)),
				secrets.WithCompromiseChecker(checker), secrets.WithMasker(identity.MaskerFunc(func(string) {})))
			if err != nil {
				t.Fatal(err)
			}
			job, err := b.Begin(t.Context(), spec("j-review32-ledger"))
			if err != nil {
				t.Fatal(err)
			}
			defer job.End(context.WithoutCancel(t.Context()))
			if _, err := job.Lease(t.Context(), "db"); !errors.Is(err, tc.wantErr) {
				t.Fatalf("first Lease: %v; want %v", err, tc.wantErr)
			}
			l, err := job.Lease(t.Context(), "db")
			if err != nil {
				t.Fatal(err)
			}
			facts := ledger.Job("j-review32-ledger")
			if len(facts) != 1 || facts[0].LeaseID != l.ID() || facts[0].PolicyRevision != "r2" {
				t.Fatalf("ledger facts = %+v; want the one lease %s, released under r2", facts, l.ID())
			}
		})
	}
}
