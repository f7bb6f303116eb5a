package secrets_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/internal/leasetest"
)

func TestMemoryLeaseRegistryContract(t *testing.T) {
	leasetest.Run(t, func(*testing.T) leasetest.Registry { return secrets.NewMemoryLeaseRegistry() })
}

// hostRegistry wraps a registry as seen from one host: die() stops its
// heartbeats (the host is gone), fail makes every call fail (registry
// unreachable), failRegister fails the n-th Register onwards.
type hostRegistry struct {
	leasetest.Registry
	mu           sync.Mutex
	dead         bool
	fail         bool
	registers    int
	failRegister int // fail Register calls after this many (0: never)
	beats        int
}

var errUnreachable = errors.New("registry unreachable")

func (h *hostRegistry) Heartbeat(ctx context.Context, owner string, ttl time.Duration) error {
	h.mu.Lock()
	dead, fail := h.dead, h.fail
	h.beats++
	h.mu.Unlock()
	if fail {
		return errUnreachable
	}
	if dead {
		return nil // a dead host sends nothing
	}
	return h.Registry.Heartbeat(ctx, owner, ttl)
}

func (h *hostRegistry) Register(ctx context.Context, rec secrets.LeaseRecord) error {
	h.mu.Lock()
	h.registers++
	fail := h.fail || (h.failRegister > 0 && h.registers > h.failRegister)
	h.mu.Unlock()
	if fail {
		return errUnreachable
	}
	return h.Registry.Register(ctx, rec)
}

func (h *hostRegistry) die() {
	h.mu.Lock()
	h.dead = true
	h.mu.Unlock()
}

// renamingBackend names leases itself, as Vault does.
type renamingBackend struct{ *memBackend }

func (r renamingBackend) Issue(ctx context.Context, req secrets.Request) (secrets.Grant, error) {
	g, err := r.memBackend.Issue(ctx, req)
	if err == nil {
		r.mu.Lock()
		delete(r.live, req.LeaseID)
		r.live["vault/"+req.LeaseID] = true
		r.mu.Unlock()
		g.LeaseID = "vault/" + req.LeaseID
	}
	return g, err
}

func reaper(t *testing.T, reg secrets.LeaseReclaimer, be secrets.Revoker, opts ...secrets.ReaperOption) *secrets.Reaper {
	t.Helper()
	r, err := secrets.NewReaper(reg, map[string]secrets.Revoker{"mem": be}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestBrokerLeaseRegistry(t *testing.T) {
	t.Run("live owner's leases survive, a dead owner's are reaped", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx := t.Context()
			mem := secrets.NewMemoryLeaseRegistry()
			beA, beB := newMem("value-of-a-secret"), newMem("value-of-b-secret")
			hostA := &hostRegistry{Registry: mem}
			a := newBroker(t, beA, secrets.WithLeaseRegistry(hostA, "host-a", "mem"), secrets.WithLeaseHeartbeat(3*time.Second))
			b := newBroker(t, beB, secrets.WithLeaseRegistry(mem, "host-b", "mem"), secrets.WithLeaseHeartbeat(3*time.Second))
			ja, err := a.Begin(ctx, spec("job-a"))
			if err != nil {
				t.Fatal(err)
			}
			jb, err := b.Begin(ctx, spec("job-b"))
			if err != nil {
				t.Fatal(err)
			}
			la, err := ja.Lease(ctx, "db")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := jb.Lease(ctx, "db"); err != nil {
				t.Fatal(err)
			}
			aud := &sink{}
			r := reaper(t, mem, beA, secrets.WithReaperAudit(aud), secrets.WithReaperID("reaper-1"))
			// Both alive for a long time: nothing is reaped.
			for range 20 {
				time.Sleep(time.Second)
				if rep, err := r.Reap(ctx); err != nil || rep != (secrets.ReapReport{}) {
					t.Fatalf("reaped a live owner's lease: %+v %v", rep, err)
				}
			}
			hostA.die()
			time.Sleep(3 * time.Second)
			rep, err := r.Reap(ctx)
			if err != nil || rep.Revoked != 1 {
				t.Fatalf("Reap after host-a died: %+v %v", rep, err)
			}
			if beA.liveCount() != 0 || beB.liveCount() != 1 {
				t.Fatalf("live leases: a %d (want 0), b %d (want 1)", beA.liveCount(), beB.liveCount())
			}
			if got := aud.actions(); len(got) != 1 || got[0] != secrets.ActionRevoke+":success" {
				t.Fatalf("audit %v", got)
			}
			e := aud.events[0]
			if e.Attributes["lease_id"] != la.ID() || e.Attributes["owner"] != "host-a" || e.Attributes["reaper"] != "reaper-1" ||
				e.Actor.ID != job.ID() || e.Correlation.JobID != "job-a" {
				t.Fatalf("audit event %+v", e)
			}
			// The jobs end normally: b's lease is released, a's (already
			// reaped) revocation is idempotent; heartbeats stop (synctest
			// fails on a goroutine left behind).
			if err := ja.End(ctx); err != nil {
				t.Fatal(err)
			}
			if err := jb.End(ctx); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Second)
			if rep, err := r.Reap(ctx); err != nil || rep != (secrets.ReapReport{}) {
				t.Fatalf("released leases reaped: %+v %v", rep, err)
			}
		})
	})
	t.Run("heartbeats keep going while leases are held", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx := t.Context()
			host := &hostRegistry{Registry: secrets.NewMemoryLeaseRegistry()}
			br := newBroker(t, newMem("value-of-a-secret"), secrets.WithLeaseRegistry(host, "h", "mem"), secrets.WithLeaseHeartbeat(3*time.Second))
			j, _ := br.Begin(ctx, spec("j"))
			if _, err := j.Lease(ctx, "db"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(30*time.Second + time.Millisecond)
			synctest.Wait()
			host.mu.Lock()
			beats := host.beats
			host.mu.Unlock()
			if beats != 31 { // one before registering, then one a second
				t.Fatalf("%d heartbeats in 30s at 1/s", beats)
			}
			if err := j.End(ctx); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("registry unreachable: no secret, nothing issued", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx := t.Context()
			be := newMem("value-of-a-secret")
			host := &hostRegistry{Registry: secrets.NewMemoryLeaseRegistry(), fail: true}
			aud := &sink{}
			br := newBroker(t, be, secrets.WithLeaseRegistry(host, "h", "mem"), secrets.WithAudit(aud))
			j, _ := br.Begin(ctx, spec("j"))
			l, err := j.Lease(ctx, "db")
			if !errors.Is(err, secrets.ErrLeaseRegistry) || l != nil {
				t.Fatalf("Lease with the registry down: %v, %v", l, err)
			}
			if be.liveCount() != 0 {
				t.Fatal("backend issued a lease the registry did not record")
			}
			if got := aud.actions(); len(got) != 1 || got[0] != secrets.ActionIssue+":failure" {
				t.Fatalf("audit %v", got)
			}
			if err := j.End(ctx); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("backend's own lease id not recorded: revoked, no secret", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx := t.Context()
			mem := newMem("value-of-a-secret")
			mreg := secrets.NewMemoryLeaseRegistry()
			host := &hostRegistry{Registry: mreg, failRegister: 1}
			br := newBroker(t, renamingBackend{mem}, secrets.WithLeaseRegistry(host, "h", "mem"))
			j, _ := br.Begin(ctx, spec("j"))
			l, err := j.Lease(ctx, "db")
			if !errors.Is(err, secrets.ErrLeaseRegistry) || l != nil {
				t.Fatalf("Lease: %v, %v", l, err)
			}
			if mem.liveCount() != 0 || mem.revokes != 1 {
				t.Fatalf("backend: %d live, %d revokes; want the lease revoked", mem.liveCount(), mem.revokes)
			}
			if err := j.End(ctx); err != nil {
				t.Fatal(err)
			}
			// Nothing left registered.
			time.Sleep(time.Hour)
			if cs, err := mreg.Claim(ctx, "r", time.Minute, 10); err != nil || len(cs) != 0 {
				t.Fatalf("left in the registry: %+v %v", cs, err)
			}
		})
	})
	t.Run("renamed lease is reaped under the backend's id", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx := t.Context()
			mem := newMem("value-of-a-secret")
			mreg := secrets.NewMemoryLeaseRegistry()
			host := &hostRegistry{Registry: mreg}
			br := newBroker(t, renamingBackend{mem}, secrets.WithLeaseRegistry(host, "h", "mem"), secrets.WithLeaseHeartbeat(3*time.Second))
			j, _ := br.Begin(ctx, spec("j"))
			l, err := j.Lease(ctx, "db")
			if err != nil {
				t.Fatal(err)
			}
			host.die()
			time.Sleep(4 * time.Second)
			rv := leasetest.NewCountingRevoker()
			rep, err := reaper(t, mreg, rv).Reap(ctx)
			if err != nil || rep.Revoked != 2 {
				t.Fatalf("Reap: %+v %v", rep, err)
			}
			if calls := rv.Calls(); calls[l.ID()] != 1 || len(calls) != 2 {
				t.Fatalf("revoked %v; want the backend's id %s (and the reserved id, a no-op)", calls, l.ID())
			}
			_ = j.End(ctx)
		})
	})
	t.Run("WithLeaseHeartbeat alone is refused", func(t *testing.T) {
		_, err := secrets.New(secrets.AllowNames("db"), newMem("x"), secrets.WithLeaseHeartbeat(time.Second))
		if !errors.Is(err, secrets.ErrConfig) {
			t.Fatalf("New: %v", err)
		}
		_, err = secrets.New(secrets.AllowNames("db"), newMem("x"), secrets.WithLeaseRegistry(secrets.NewMemoryLeaseRegistry(), "", "mem"))
		if !errors.Is(err, secrets.ErrConfig) {
			t.Fatalf("New with empty owner: %v", err)
		}
	})
}

// failingRevoker fails every revocation.
type failingRevoker struct{ calls int }

func (f *failingRevoker) Revoke(context.Context, string) error {
	f.calls++
	return errors.New("backend down")
}

func TestReaperFailures(t *testing.T) {
	rec := func(id, backend string) secrets.LeaseRecord {
		r := leasetest.Record(id, "dead")
		r.Backend = backend
		return r
	}
	t.Run("revocation failure is reported, audited, retried after the claim", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx := t.Context()
			mem := secrets.NewMemoryLeaseRegistry()
			if err := mem.Register(ctx, rec("l1", "mem")); err != nil {
				t.Fatal(err)
			}
			fr := &failingRevoker{}
			aud := &sink{}
			r := reaper(t, mem, fr, secrets.WithReaperAudit(aud), secrets.WithClaim(10*time.Second, 4))
			rep, err := r.Reap(ctx)
			var re *secrets.RevokeError
			if !errors.As(err, &re) || re.LeaseID != "l1" || !errors.Is(err, secrets.ErrRevoke) || rep.Failed != 1 || rep.Revoked != 0 {
				t.Fatalf("Reap: %+v %v", rep, err)
			}
			if got := aud.actions(); len(got) != 1 || got[0] != secrets.ActionRevoke+":failure" {
				t.Fatalf("audit %v", got)
			}
			// Still claimed: a second pass does not retry at once...
			if rep, err := r.Reap(ctx); err != nil || rep != (secrets.ReapReport{}) {
				t.Fatalf("second pass: %+v %v", rep, err)
			}
			// ...but once the claim expires, a working reaper revokes it.
			time.Sleep(10 * time.Second)
			rv := leasetest.NewCountingRevoker()
			if rep, err := reaper(t, mem, rv).Reap(ctx); err != nil || rep.Revoked != 1 {
				t.Fatalf("after the claim expired: %+v %v", rep, err)
			}
		})
	})
	t.Run("unknown backend", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx := t.Context()
			mem := secrets.NewMemoryLeaseRegistry()
			_ = mem.Register(ctx, rec("l1", "vault"))
			rep, err := reaper(t, mem, leasetest.NewCountingRevoker()).Reap(ctx)
			if !errors.Is(err, secrets.ErrNoRevoker) || rep.Failed != 1 {
				t.Fatalf("Reap: %+v %v", rep, err)
			}
		})
	})
	t.Run("audit failure keeps the record for another pass", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx := t.Context()
			mem := secrets.NewMemoryLeaseRegistry()
			_ = mem.Register(ctx, rec("l1", "mem"))
			rv := leasetest.NewCountingRevoker()
			down := audit.SinkFunc(func(context.Context, audit.Event) error { return errors.New("sink down") })
			rep, err := reaper(t, mem, rv, secrets.WithReaperAudit(down), secrets.WithClaim(time.Second, 1)).Reap(ctx)
			if !errors.Is(err, secrets.ErrAudit) || rep.Failed != 1 {
				t.Fatalf("Reap: %+v %v", rep, err)
			}
			time.Sleep(time.Second)
			aud := &sink{}
			if rep, err := reaper(t, mem, rv, secrets.WithReaperAudit(aud)).Reap(ctx); err != nil || rep.Revoked != 1 {
				t.Fatalf("second reaper: %+v %v", rep, err)
			}
			if rv.Calls()["l1"] != 2 || len(aud.actions()) != 1 {
				t.Fatalf("revocations %v, audit %v", rv.Calls(), aud.actions())
			}
		})
	})
	t.Run("slow revocation abandoned before the claim ends", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx := t.Context()
			mem := secrets.NewMemoryLeaseRegistry()
			_ = mem.Register(ctx, rec("l1", "mem"))
			var deadline time.Time
			slow := secrets.RevokerFunc(func(ctx context.Context, _ string) error {
				deadline, _ = ctx.Deadline()
				<-ctx.Done()
				return ctx.Err()
			})
			start := time.Now()
			rep, err := reaper(t, mem, slow, secrets.WithClaim(8*time.Second, 1)).Reap(ctx)
			if !errors.Is(err, context.DeadlineExceeded) || rep.Failed != 1 {
				t.Fatalf("Reap: %+v %v", rep, err)
			}
			if got := deadline.Sub(start); got != 6*time.Second {
				t.Fatalf("revocation deadline %v after the claim, want 6s (3/4 of the claim)", got)
			}
		})
	})
	t.Run("bad configuration", func(t *testing.T) {
		mem := secrets.NewMemoryLeaseRegistry()
		for name, f := range map[string]func() error{
			"nil registry": func() error {
				_, err := secrets.NewReaper(nil, map[string]secrets.Revoker{"m": &failingRevoker{}})
				return err
			},
			"no revokers": func() error { _, err := secrets.NewReaper(mem, nil); return err },
			"nil revoker": func() error { _, err := secrets.NewReaper(mem, map[string]secrets.Revoker{"m": nil}); return err },
			"short claim": func() error {
				_, err := secrets.NewReaper(mem, map[string]secrets.Revoker{"m": &failingRevoker{}}, secrets.WithClaim(time.Millisecond, 1))
				return err
			},
			"nil option": func() error {
				_, err := secrets.NewReaper(mem, map[string]secrets.Revoker{"m": &failingRevoker{}}, nil)
				return err
			},
			"nil audit sink": func() error {
				_, err := secrets.NewReaper(mem, map[string]secrets.Revoker{"m": &failingRevoker{}}, secrets.WithReaperAudit(nil))
				return err
			},
			"bad reaper id": func() error {
				_, err := secrets.NewReaper(mem, map[string]secrets.Revoker{"m": &failingRevoker{}}, secrets.WithReaperID(""))
				return err
			},
		} {
			if err := f(); !errors.Is(err, secrets.ErrConfig) {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func BenchmarkMemoryLeaseRegistry(b *testing.B) {
	mem := secrets.NewMemoryLeaseRegistry()
	b.ReportAllocs()
	for b.Loop() {
		if err := mem.Register(b.Context(), leasetest.Record("bench", "o")); err != nil {
			b.Fatal(err)
		}
		if err := mem.Release(b.Context(), "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
