package secrets_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/secrets"
)

// TestReview5EndRevokesIssuedLeasesWhileOneHangs: a job whose context ends
// while one issuance hangs at the backend (asked under another context)
// must still have the leases it already holds revoked within the revoke
// timeout; waiting for the hung issuance must not use up the time meant
// for them.
func TestReview5EndRevokesIssuedLeasesWhileOneHangs(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		be := newMem("value-of-the-secret")
		b := newBroker(t, be, secrets.WithRevokeTimeout(time.Second))
		ctx, cancel := context.WithCancel(t.Context())
		j, err := b.Begin(ctx, spec("j-review5-hang"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := j.Lease(t.Context(), "db"); err != nil {
			t.Fatal(err)
		}
		be.mu.Lock()
		be.gate = make(chan struct{})
		be.mu.Unlock()
		got := make(chan error, 1)
		go func() { _, err := j.Lease(t.Context(), "api"); got <- err }()
		synctest.Wait() // the second issuance is under way
		cancel()        // the job ends
		time.Sleep(2 * time.Second)
		synctest.Wait() // End gave up waiting for the hung issuance
		if n := be.liveCount(); n != 0 {
			t.Errorf("%d credential(s) of an ended job still live at the backend after the revoke timeout", n)
		}
		close(be.gate)
		if err := <-got; !errors.Is(err, secrets.ErrJobEnded) {
			t.Errorf("hung issuance = %v, want ErrJobEnded", err)
		}
		if n := be.liveCount(); n != 0 {
			t.Fatalf("%d credential(s) left live", n)
		}
	})
}

// TestReview5IssueFailureAfterEndGaveUp: a backend that fails an issuance
// after End stopped waiting for it may have created something under the
// reserved id; nothing will come back for it, so the issuance revokes it.
func TestReview5IssueFailureAfterEndGaveUp(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		be := &failingMem{memBackend: newMem("value-of-the-secret"), gate: make(chan struct{})}
		b := newBroker(t, be, secrets.WithRevokeTimeout(time.Second))
		ctx, cancel := context.WithCancel(t.Context())
		j, err := b.Begin(ctx, spec("j-review5-fail"))
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan error, 1)
		go func() { _, err := j.Lease(t.Context(), "db"); got <- err }()
		synctest.Wait()
		cancel()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		close(be.gate)
		if err := <-got; err == nil {
			t.Fatal("a failed issuance returned no error")
		}
		if n := be.liveCount(); n != 0 {
			t.Fatalf("%d credential(s) the backend created before failing were never revoked", n)
		}
	})
}

// failingMem creates the credential under the reserved id, then fails.
type failingMem struct {
	*memBackend
	gate chan struct{}
}

func (f *failingMem) Issue(ctx context.Context, req secrets.Request) (secrets.Grant, error) {
	<-f.gate
	f.mu.Lock()
	f.live[req.LeaseID] = true
	f.mu.Unlock()
	return secrets.Grant{}, errors.New("backend failed after creating the credential")
}

// flipChecker reports an identity compromised once marked.
type flipChecker struct{ marked atomic.Bool }

func (c *flipChecker) Compromised(string) bool { return c.marked.Load() }

var _ audit.CompromiseChecker = (*flipChecker)(nil)

// TestReview5CompromisedDuringIssuance: an identity marked compromised
// while its lease was being issued gets no lease, and the credential is
// revoked.
func TestReview5CompromisedDuringIssuance(t *testing.T) {
	t.Parallel()
	ch := &flipChecker{}
	be := newMem("value-of-the-secret")
	marking := secrets.BackendFunc(func(ctx context.Context, req secrets.Request) (secrets.Grant, error) {
		g, err := be.Issue(ctx, req)
		ch.marked.Store(true) // the kill switch fires while the backend works
		return g, err
	})
	b := newBroker(t, revokingFunc{marking, be}, secrets.WithCompromiseChecker(ch))
	j, err := b.Begin(t.Context(), spec("j-review5-compromised"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.End(t.Context())
	l, err := j.Lease(t.Context(), "db")
	if !errors.Is(err, secrets.ErrCompromised) || l != nil {
		t.Fatalf("Lease = %v, %v; want ErrCompromised and no lease", l, err)
	}
	if n := be.liveCount(); n != 0 {
		t.Fatalf("%d credential(s) of a compromised identity left live", n)
	}
}

// TestReview5RenewCompromised: a compromised identity's lease is not
// renewed at the backend.
func TestReview5RenewCompromised(t *testing.T) {
	t.Parallel()
	ch := &flipChecker{}
	be := newMem("value-of-the-secret")
	be.ttl = time.Minute
	b := newBroker(t, be, secrets.WithCompromiseChecker(ch))
	j, err := b.Begin(t.Context(), spec("j-review5-renew"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.End(t.Context())
	l, err := j.Lease(t.Context(), "db")
	if err != nil {
		t.Fatal(err)
	}
	ch.marked.Store(true)
	if exp, err := l.Renew(t.Context(), time.Minute); !errors.Is(err, secrets.ErrCompromised) {
		t.Fatalf("Renew of a compromised identity's lease = %v, %v; want ErrCompromised", exp, err)
	}
}

// revokingFunc issues with issue and revokes and renews with be.
type revokingFunc struct {
	issue secrets.BackendFunc
	*memBackend
}

func (r revokingFunc) Issue(ctx context.Context, req secrets.Request) (secrets.Grant, error) {
	return r.issue(ctx, req)
}
