package secrets_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/secrets"
)

// TestReview21EndDuringIssueAudit: the issuance checked that its job had
// not ended right after the backend answered, then audited the issue. An
// End that began while that audit was being written, and stopped waiting
// for the issuance (its context ran out), left the credential the backend
// had just created live, and the issuance handed the lease out as if
// nothing had happened: a credential issued to an ended job that nothing
// revoked. Whatever point the issuance is at when End gives up, the
// credential must be revoked and the lease refused.
func TestReview21EndDuringIssueAudit(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		be := newMem("value-of-the-secret")
		gate := make(chan struct{})
		sink := audit.SinkFunc(func(_ context.Context, e audit.Event) error {
			if e.Action == secrets.ActionIssue && e.Outcome == audit.OutcomeSuccess {
				<-gate
			}
			return nil
		})
		b := newBroker(t, be, secrets.WithAudit(sink), secrets.WithRevokeTimeout(time.Second))
		j, err := b.Begin(t.Context(), spec("j-r21-race"))
		if err != nil {
			t.Fatal(err)
		}
		type result struct {
			l   *secrets.Lease
			err error
		}
		got := make(chan result, 1)
		go func() { l, err := j.Lease(t.Context(), "db"); got <- result{l, err} }()
		synctest.Wait() // the credential is created; its issue is being audited
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := j.End(ctx); err == nil {
			t.Fatal("End returned no error although an issuance was still under way")
		}
		close(gate) // the audit completes after End gave up
		r := <-got
		if !errors.Is(r.err, secrets.ErrJobEnded) {
			t.Errorf("Lease = %v, want ErrJobEnded", r.err)
		}
		if n := be.liveCount(); n != 0 {
			t.Fatalf("%d credentials issued to an ended job were never revoked", n)
		}
	})
}
