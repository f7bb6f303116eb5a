package secrets_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ztci/ztci/secrets"
)

// TestLeaseAfterEndGaveUp: an issuance still under way when the job's End
// stopped waiting for it (the job's context was cancelled and the revoke
// timeout passed) must not hand the ended job a live lease that nothing
// will revoke.
func TestLeaseAfterEndGaveUp(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		be := newMem("value-of-the-secret")
		be.gate = make(chan struct{})
		b := newBroker(t, be, secrets.WithRevokeTimeout(time.Second))
		ctx, cancel := context.WithCancel(t.Context())
		j, err := b.Begin(ctx, spec("j-gaveup"))
		if err != nil {
			t.Fatal(err)
		}
		type result struct {
			l   *secrets.Lease
			err error
		}
		got := make(chan result, 1)
		// The lease is asked for under another context than the job's.
		go func() { l, err := j.Lease(t.Context(), "db"); got <- result{l, err} }()
		synctest.Wait() // the issuance is under way
		cancel()        // the job ends; End waits for the issuance ...
		time.Sleep(2 * time.Second)
		synctest.Wait() // ... and gives up after the revoke timeout
		close(be.gate)  // then the backend creates the credential
		r := <-got
		if r.err == nil {
			if _, verr := r.l.Value(); verr == nil {
				t.Errorf("an ended job received a readable lease")
			}
		}
		if !errors.Is(r.err, secrets.ErrJobEnded) {
			t.Errorf("Lease = %v, want ErrJobEnded", r.err)
		}
		if n := be.liveCount(); n != 0 {
			t.Fatalf("%d credentials issued to an ended job were never revoked", n)
		}
	})
}

// TestEndedJobLeaseUnusable: a lease whose revocation failed when its job
// ended stays recorded for a retry, but the ended job can neither read it
// nor renew it at the backend.
func TestEndedJobLeaseUnusable(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		be := newMem("value-of-the-secret")
		be.ttl = time.Minute
		b := newBroker(t, be, secrets.WithRevokeRetry(1, time.Millisecond))
		j, err := b.Begin(t.Context(), spec("j-ended"))
		if err != nil {
			t.Fatal(err)
		}
		l, err := j.Lease(t.Context(), "db")
		if err != nil {
			t.Fatal(err)
		}
		be.mu.Lock()
		be.failRevoke = 1
		be.mu.Unlock()
		if err := j.End(t.Context()); !errors.Is(err, secrets.ErrRevoke) {
			t.Fatalf("End = %v, want a revocation failure", err)
		}
		if _, err := l.Value(); err == nil {
			t.Errorf("Value of an ended job's lease succeeded")
		}
		if exp, err := l.Renew(t.Context(), time.Minute); err == nil {
			t.Errorf("Renew of an ended job's lease extended it to %v", exp)
		}
		if err := j.End(t.Context()); err != nil {
			t.Fatalf("a second End must retry the revocation: %v", err)
		}
		if n := be.liveCount(); n != 0 {
			t.Fatalf("%d credentials left", n)
		}
	})
}
