package natskill_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
)

// revocable is a backend whose leases can be counted; the real-server
// lifecycle (PostgreSQL roles dropped) is secrets/postgres's test.
type revocable struct {
	mu   sync.Mutex
	live map[string]bool
}

func (r *revocable) Issue(_ context.Context, req secrets.Request) (secrets.Grant, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.live[req.LeaseID] = true
	return secrets.Grant{LeaseID: req.LeaseID, Value: secrets.NewValue("lease-value-" + req.LeaseID), TTL: time.Minute}, nil
}

func (r *revocable) Revoke(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.live, id)
	return nil
}

func (r *revocable) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.live)
}

// A mark set on replica 1 reaches a broker on another node through that
// node's switch, whose mark callback revokes every outstanding lease of the
// marked identity there; another identity's lease is untouched.
func TestMarkRevokesLeasesOnAnotherReplica(t *testing.T) {
	c, sw, rec := fleet(t)
	ctx := t.Context()
	marked := identity.Identity{Issuer: "https://ci.example", Subject: "repo:acme/app:ref:refs/heads/main"}
	other := identity.Identity{Issuer: "https://ci.example", Subject: "repo:acme/other:ref:refs/heads/main"}

	be := &revocable{live: map[string]bool{}}
	broker, err := secrets.New(secrets.AllowNames("db"), be)
	if err != nil {
		t.Fatal(err)
	}
	var ended sync.WaitGroup
	onMark := func(m natskill.Mark) {
		if m.Kind != natskill.KindJob {
			return
		}
		ended.Add(1)
		go func() { // the callback must not block the watch
			defer ended.Done()
			if _, err := broker.RevokeIdentity(context.WithoutCancel(ctx), m.ID); err != nil {
				t.Errorf("RevokeIdentity: %v", err)
			}
		}()
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	remote, err := natskill.New(sctx, connect(t, c.URLsFrom(2)), rec, natskill.WithReplicas(3), natskill.WithOnMark(onMark))
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()

	for _, id := range []identity.Identity{marked, other} {
		j, err := broker.Begin(ctx, secrets.JobSpec{ID: "job-" + id.Subject, Identity: id})
		if err != nil {
			t.Fatal(err)
		}
		defer j.End(ctx)
		if _, err := j.Lease(ctx, "db"); err != nil {
			t.Fatal(err)
		}
	}
	if be.count() != 2 {
		t.Fatalf("%d leases live, want 2", be.count())
	}
	if err := sw[0].Mark(ctx, natskill.KindJob, marked.ID(), "runtime alert", "falco", time.Time{}); err != nil {
		t.Fatal(err)
	}
	took := waitFor(t, 10*time.Second, func() bool { return be.count() == 1 })
	ended.Wait()
	t.Logf("mark on replica 1 → the marked job's lease revoked through another node's switch in %v", took.Round(10*time.Microsecond))
	if !remote.Compromised(marked.ID()) || remote.Compromised(other.ID()) {
		t.Fatal("the remote switch's view does not match the marks")
	}
}
