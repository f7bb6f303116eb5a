package leasetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/secrets"
)

// Registry is both sides of a lease registry.
type Registry interface {
	secrets.LeaseRegistry
	secrets.LeaseReclaimer
}

// lapse is the shortest heartbeat ttl every engine honours (JetStream's
// per-key TTL counts whole seconds).
const lapse = time.Second

// wait bounds every poll for something that takes a ttl to happen; it is a
// generous bound on a loaded machine, not a timing assertion.
const wait = 30 * time.Second

// Record returns a valid record of lease id for owner.
func Record(id, owner string) secrets.LeaseRecord {
	return secrets.LeaseRecord{
		LeaseID: id, Backend: "pg", Name: "db/ci", JobID: "job-" + id,
		Identity: "spiffe://ci.example.com/runner/" + owner, Owner: owner,
		ExpiresAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

// Run runs the contract. newRegistry returns a fresh, empty registry for
// each subtest (a new bucket or table); subtests run one after the other.
func Run(t *testing.T, newRegistry func(t *testing.T) Registry) {
	t.Run("live owner untouched", func(t *testing.T) {
		reg := newRegistry(t)
		ctx := t.Context()
		must(t, reg.Heartbeat(ctx, "live", time.Hour))
		for i := range 3 {
			must(t, reg.Register(ctx, Record(fmt.Sprintf("live-%d", i), "live")))
		}
		wantNone(t, reg, "r1")
	})
	t.Run("owner never heartbeated is claimable", func(t *testing.T) {
		reg := newRegistry(t)
		ctx := t.Context()
		rec := Record("orphan", "gone")
		rec.Identity = "https://ci.example.com#repo:octo/app:ref:refs/heads/main"
		must(t, reg.Register(ctx, rec))
		cs := pollClaims(t, reg, "r1", time.Hour, 1)
		if got := cs[0].Record; got.LeaseID != rec.LeaseID || got.Backend != rec.Backend || got.Name != rec.Name ||
			got.JobID != rec.JobID || got.Identity != rec.Identity || got.Owner != rec.Owner || !got.ExpiresAt.Equal(rec.ExpiresAt) {
			t.Fatalf("claimed record %+v, registered %+v", got, rec)
		}
		if cs[0].Claimer != "r1" || cs[0].Token == "" {
			t.Fatalf("claim %+v: want claimer r1 and a token", cs[0])
		}
		must(t, reg.Complete(ctx, cs[0]))
		wantNone(t, reg, "r1")
	})
	t.Run("lapsed heartbeat makes leases claimable, live ones stay", func(t *testing.T) {
		reg := newRegistry(t)
		ctx := t.Context()
		must(t, reg.Heartbeat(ctx, "dying", lapse))
		must(t, reg.Heartbeat(ctx, "alive", time.Hour))
		must(t, reg.Register(ctx, Record("d1", "dying")))
		must(t, reg.Register(ctx, Record("a1", "alive")))
		cs := pollClaims(t, reg, "r1", time.Hour, 1)
		if cs[0].Record.LeaseID != "d1" {
			t.Fatalf("claimed %s, want d1", cs[0].Record.LeaseID)
		}
		wantNone(t, reg, "r2")
	})
	t.Run("heartbeat revives an owner", func(t *testing.T) {
		reg := newRegistry(t)
		ctx := t.Context()
		must(t, reg.Register(ctx, Record("x1", "late")))
		must(t, reg.Heartbeat(ctx, "late", time.Hour))
		wantNone(t, reg, "r1")
	})
	t.Run("released lease is never claimed", func(t *testing.T) {
		reg := newRegistry(t)
		ctx := t.Context()
		must(t, reg.Register(ctx, Record("rel", "gone")))
		must(t, reg.Release(ctx, "rel"))
		must(t, reg.Release(ctx, "rel"))
		must(t, reg.Release(ctx, "never-registered"))
		wantNone(t, reg, "r1")
		// A released id may be registered again.
		must(t, reg.Register(ctx, Record("rel", "gone")))
		pollClaims(t, reg, "r1", time.Hour, 1)
	})
	t.Run("duplicate lease id refused", func(t *testing.T) {
		reg := newRegistry(t)
		ctx := t.Context()
		must(t, reg.Register(ctx, Record("dup", "o1")))
		err := reg.Register(ctx, Record("dup", "o2"))
		if !errors.Is(err, secrets.ErrLeaseExists) {
			t.Fatalf("second Register: %v, want ErrLeaseExists", err)
		}
		cs := pollClaims(t, reg, "r1", time.Hour, 1)
		if cs[0].Record.Owner != "o1" {
			t.Fatalf("record overwritten: owner %s", cs[0].Record.Owner)
		}
	})
	t.Run("bad input refused", func(t *testing.T) {
		reg := newRegistry(t)
		ctx := t.Context()
		long := strings.Repeat("x", secrets.MaxLeaseField+1)
		for _, tc := range []struct {
			name string
			edit func(*secrets.LeaseRecord)
		}{
			{"empty lease id", func(r *secrets.LeaseRecord) { r.LeaseID = "" }},
			{"empty backend", func(r *secrets.LeaseRecord) { r.Backend = "" }},
			{"empty owner", func(r *secrets.LeaseRecord) { r.Owner = "" }},
			{"empty identity", func(r *secrets.LeaseRecord) { r.Identity = "" }},
			{"newline in name", func(r *secrets.LeaseRecord) { r.Name = "db\nx" }},
			{"invalid utf-8 job", func(r *secrets.LeaseRecord) { r.JobID = "\xff" }},
			{"too long lease id", func(r *secrets.LeaseRecord) { r.LeaseID = long }},
		} {
			rec := Record("bad", "o")
			tc.edit(&rec)
			if err := reg.Register(ctx, rec); !errors.Is(err, secrets.ErrBadLeaseRecord) {
				t.Errorf("%s: Register: %v, want ErrBadLeaseRecord", tc.name, err)
			}
		}
		if err := reg.Heartbeat(ctx, "", time.Minute); !errors.Is(err, secrets.ErrBadLeaseRecord) {
			t.Errorf("Heartbeat of empty owner: %v", err)
		}
		if err := reg.Heartbeat(ctx, "o", 0); err == nil {
			t.Error("Heartbeat with ttl 0 accepted")
		}
		if _, err := reg.Claim(ctx, "", time.Minute, 1); !errors.Is(err, secrets.ErrBadLeaseRecord) {
			t.Errorf("Claim by empty claimer: %v", err)
		}
		if _, err := reg.Claim(ctx, "r", time.Minute, 0); err == nil {
			t.Error("Claim of 0 leases accepted")
		}
		// The longest valid fields are stored and returned whole.
		big := Record(strings.Repeat("l", secrets.MaxLeaseField), strings.Repeat("o", secrets.MaxLeaseField))
		big.Identity = strings.Repeat("é", secrets.MaxLeaseField/2)
		big.JobID = strings.Repeat("j", secrets.MaxLeaseField)
		must(t, reg.Register(ctx, big))
		cs := pollClaims(t, reg, "r", time.Hour, 1)
		if cs[0].Record.Identity != big.Identity || cs[0].Record.LeaseID != big.LeaseID {
			t.Fatal("longest record not returned whole")
		}
	})
	t.Run("claim is exclusive until it expires", func(t *testing.T) {
		reg := newRegistry(t)
		ctx := t.Context()
		must(t, reg.Register(ctx, Record("c1", "gone")))
		first := pollClaims(t, reg, "slow-reaper", lapse, 1)
		if cs, err := reg.Claim(ctx, "other", time.Hour, 10); err != nil || len(cs) != 0 {
			t.Fatalf("claimed a lease another claim holds: %+v %v", cs, err)
		}
		second := pollClaims(t, reg, "other", time.Hour, 1)
		if err := reg.Complete(ctx, first[0]); !errors.Is(err, secrets.ErrClaimLost) {
			t.Fatalf("Complete of a taken-over claim: %v, want ErrClaimLost", err)
		}
		must(t, reg.Complete(ctx, second[0]))
		if err := reg.Complete(ctx, second[0]); !errors.Is(err, secrets.ErrClaimLost) {
			t.Fatalf("second Complete: %v, want ErrClaimLost", err)
		}
		wantNone(t, reg, "other")
	})
	t.Run("complete after the owner released", func(t *testing.T) {
		reg := newRegistry(t)
		ctx := t.Context()
		must(t, reg.Register(ctx, Record("cr", "partitioned")))
		cs := pollClaims(t, reg, "r", time.Hour, 1)
		must(t, reg.Release(ctx, "cr"))
		if err := reg.Complete(ctx, cs[0]); !errors.Is(err, secrets.ErrClaimLost) {
			t.Fatalf("Complete after Release: %v, want ErrClaimLost", err)
		}
	})
	t.Run("concurrent claims take each lease once", func(t *testing.T) {
		reg := newRegistry(t)
		ctx := t.Context()
		const n = 40
		for i := range n {
			must(t, reg.Register(ctx, Record(fmt.Sprintf("cc-%02d", i), fmt.Sprintf("dead-%d", i%4))))
		}
		var mu sync.Mutex
		got := map[string]int{}
		total := 0
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		deadline := time.Now().Add(wait)
		for w := range 8 {
			wg.Go(func() {
				for {
					cs, err := reg.Claim(ctx, fmt.Sprintf("w%d", w), time.Hour, 3)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					for _, c := range cs {
						got[c.Record.LeaseID]++
					}
					total += len(cs)
					done := total >= n
					mu.Unlock()
					if done || time.Now().After(deadline) {
						return
					}
					if len(cs) == 0 {
						time.Sleep(20 * time.Millisecond)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(got) != n {
			t.Fatalf("%d leases claimed, want %d", len(got), n)
		}
		for id, k := range got {
			if k != 1 {
				t.Errorf("lease %s claimed %d times", id, k)
			}
		}
	})
	t.Run("concurrent reapers revoke each lease once", func(t *testing.T) {
		reg := newRegistry(t)
		ctx := t.Context()
		const n = 40
		must(t, reg.Heartbeat(ctx, "alive", time.Hour))
		for i := range n {
			must(t, reg.Register(ctx, Record(fmt.Sprintf("rp-%02d", i), "dead")))
		}
		must(t, reg.Register(ctx, Record("keep", "alive")))
		rv := NewCountingRevoker()
		var wg sync.WaitGroup
		var mu sync.Mutex
		revoked := 0
		deadline := time.Now().Add(wait)
		for w := range 8 {
			r, err := secrets.NewReaper(reg, map[string]secrets.Revoker{"pg": rv},
				secrets.WithReaperID(fmt.Sprintf("reaper-%d", w)), secrets.WithClaim(time.Minute, 2))
			must(t, err)
			wg.Go(func() {
				for {
					rep, err := r.Reap(ctx)
					if err != nil || rep.Failed != 0 || rep.Lost != 0 {
						t.Errorf("reaper %d: %+v %v", w, rep, err)
						return
					}
					mu.Lock()
					revoked += rep.Revoked
					done := revoked >= n
					mu.Unlock()
					if done || time.Now().After(deadline) {
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			})
		}
		wg.Wait()
		calls := rv.Calls()
		if revoked != n || len(calls) != n {
			t.Fatalf("%d reported revoked, %d leases revoked, want %d", revoked, len(calls), n)
		}
		for id, k := range calls {
			if k != 1 || !strings.HasPrefix(id, "rp-") {
				t.Errorf("lease %s revoked %d times", id, k)
			}
		}
		wantNone(t, reg, "after")
	})
}

// CountingRevoker counts revocations per lease id.
type CountingRevoker struct {
	mu    sync.Mutex
	calls map[string]int
}

// NewCountingRevoker returns a revoker that only counts.
func NewCountingRevoker() *CountingRevoker { return &CountingRevoker{calls: map[string]int{}} }

// Revoke counts one revocation of leaseID.
func (c *CountingRevoker) Revoke(_ context.Context, leaseID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[leaseID]++
	return nil
}

// Calls returns a copy of the counts.
func (c *CountingRevoker) Calls() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.calls))
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// sentinels numbers the leases wantNone registers.
var sentinels sync.Map

// wantNone checks that claimer can claim nothing registered so far. A
// registry's listing may lag a moment behind its writes (JetStream reads a
// replica), so it registers a sentinel lease of an owner that never
// heartbeats, claims until the sentinel comes back (the listing has then
// caught up with everything registered before it), and fails on any other
// lease claimed meanwhile.
func wantNone(t *testing.T, reg Registry, claimer string) {
	t.Helper()
	n, _ := sentinels.LoadOrStore(t.Name(), new(int))
	*n.(*int)++
	id := fmt.Sprintf("sentinel-%d", *n.(*int))
	must(t, reg.Register(t.Context(), Record(id, "sentinel-owner")))
	deadline := time.Now().Add(wait)
	for {
		cs, err := reg.Claim(t.Context(), claimer, time.Hour, 100)
		if err != nil {
			t.Fatal(err)
		}
		seen := false
		for _, c := range cs {
			if c.Record.LeaseID != id {
				t.Fatalf("%s claimed %s, want nothing", claimer, c.Record.LeaseID)
			}
			seen = true
			must(t, reg.Complete(t.Context(), c))
		}
		if seen {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sentinel lease %s not claimable after %v", id, wait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pollClaims claims for ttl until n leases came back (a heartbeat or a
// claim must lapse first, or the listing catch up).
func pollClaims(t *testing.T, reg Registry, claimer string, ttl time.Duration, n int) []secrets.LeaseClaim {
	t.Helper()
	deadline := time.Now().Add(wait)
	var out []secrets.LeaseClaim
	for {
		cs, err := reg.Claim(t.Context(), claimer, ttl, 100)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cs...)
		if len(out) == n {
			return out
		}
		if len(out) > n || time.Now().After(deadline) {
			t.Fatalf("%s claimed %d leases, want %d", claimer, len(out), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
