package secrets_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/seal"
)

// ownIDBackend names each lease itself, as Vault does ("<path>/<id>"), so
// the broker writes a bind record for every lease it issues.
type ownIDBackend struct {
	mu   sync.Mutex
	n    int
	live map[string]bool
}

func (b *ownIDBackend) Issue(_ context.Context, req secrets.Request) (secrets.Grant, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n++
	id := req.LeaseID + "/backend"
	b.live[id] = true
	return secrets.Grant{LeaseID: id, Value: secrets.NewValue("a-value-long-enough-to-mask"), TTL: req.TTL}, nil
}

func (b *ownIDBackend) Revoke(_ context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.live, id)
	return nil
}

func (b *ownIDBackend) liveCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.live)
}

// TestReview11ConcurrentBindsRecoverable: the bind record (the backend's
// own lease id) was appended to the job's record outside the job's lock,
// so two leases of one job issued at once numbered their lines alike (and
// raced on the record's counters). A sealed line is bound to its line
// number, so Recover after a crash refused the whole record as tampered
// and revoked none of the job's leases.
func TestReview11ConcurrentBindsRecoverable(t *testing.T) {
	t.Parallel()
	be := &ownIDBackend{live: map[string]bool{}}
	dir := t.TempDir()
	k, err := seal.GenerateKey("k")
	if err != nil {
		t.Fatal(err)
	}
	env, _ := seal.NewLocal(k)
	crashed, err := secrets.New(secrets.AllowNames("db"), be, secrets.WithJournal(dir), secrets.WithJournalEncrypter(env))
	if err != nil {
		t.Fatal(err)
	}
	j, err := crashed.Begin(context.Background(), spec("r11-binds"))
	if err != nil {
		t.Fatal(err)
	}
	const leases = 16
	var wg sync.WaitGroup
	for range leases {
		wg.Go(func() {
			if _, err := j.Lease(t.Context(), "db"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// The process dies here: nothing is ended. A new one recovers.
	fresh, err := secrets.New(secrets.AllowNames("db"), be, secrets.WithJournal(dir), secrets.WithJournalEncrypter(env))
	if err != nil {
		t.Fatal(err)
	}
	n, err := fresh.Recover(t.Context())
	if err != nil || n != leases || be.liveCount() != 0 {
		t.Fatalf("Recover = %d, %v; %d of %d leases left live", n, err, be.liveCount(), leases)
	}
}

// TestReview11SlowAuthorizerTTL: the lifetime asked of the backend was
// measured before the authorizer ran, so an authorizer that took 20 s of
// a job's last 30 had the backend asked for 30 s: the lease outlived the
// job by the authorizer's time. It is measured again once policy has
// answered.
func TestReview11SlowAuthorizerTTL(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		be := &ttlBackend{}
		slow := secrets.AuthorizerFunc(func(ctx context.Context, req secrets.Request) (secrets.Decision, error) {
			time.Sleep(20 * time.Second)
			return secrets.Decision{Allow: true, Reason: "slow"}, nil
		})
		b, err := secrets.New(slow, be)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		j, err := b.Begin(ctx, spec("r11-slow-authz"))
		if err != nil {
			t.Fatal(err)
		}
		defer j.End(context.Background())
		if _, err := j.Lease(ctx, "db"); err != nil {
			t.Fatal(err)
		}
		if got := be.last(); got != 10*time.Second {
			t.Errorf("backend asked for %v, want the 10s left to the job once policy answered", got)
		}
	})
}
