package natskill

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/internal/itest"
)

// review32Switch starts a one-node cluster and a switch on it whose clock
// the test sets.
func review32Switch(t *testing.T) (*Switch, jetstream.KeyValue, *atomic.Pointer[time.Time]) {
	t.Helper()
	c := itest.StartNATSCluster(t, 1)
	nc, err := nats.Connect(c.URLs(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var now atomic.Pointer[time.Time]
	t0 := time.Now()
	now.Store(&t0)
	s := itest.Create(t, "kill-switch bucket", func(ctx context.Context) (*Switch, error) {
		return New(ctx, js, audittest.NewRecorder(), WithClock(func() time.Time { return *now.Load() }))
	})
	t.Cleanup(func() { s.Close() })
	kv, err := js.KeyValue(t.Context(), "ztci_killswitch")
	if err != nil {
		t.Fatal(err)
	}
	return s, kv, &now
}

// review32Wait polls cond until it holds, or fails the test after 20s.
func review32Wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.After(20 * time.Second)
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

// TestReview32TombstoneViewBounded: every replica kept a cleared (or
// purged) mark's key in its view for ever, so its memory grew with the
// number of distinct ids ever marked, which an attacker who can trigger
// escalations with fresh identities controls. A deleted key now leaves the
// view.
func TestReview32TombstoneViewBounded(t *testing.T) {
	s, _, _ := review32Switch(t)
	ctx := t.Context()
	const n = 20
	for i := range n {
		id := fmt.Sprintf("spiffe://example.org/fresh-%d", i)
		if err := s.Mark(ctx, KindJob, id, "anomaly", "escalator", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := s.Clear(ctx, KindJob, id, "false positive", "operator"); err != nil {
			t.Fatal(err)
		}
	}
	review32Wait(t, "the clears to reach the view", func() bool {
		for i := range n {
			if s.Compromised(fmt.Sprintf("spiffe://example.org/fresh-%d", i)) {
				return false
			}
		}
		return true
	})
	s.mu.RLock()
	size := len(s.view.entries)
	s.mu.RUnlock()
	if size != 0 {
		t.Fatalf("view holds %d entries after every mark was cleared; want 0", size)
	}
}

// TestReview32TombstonePurged: the deletion marker a clear left stayed in
// the bucket for ever. A Mark now purges markers older than the purge
// allowance, and only up to the marker: a mark written to the key after
// the marker is kept.
func TestReview32TombstonePurged(t *testing.T) {
	s, kv, now := review32Switch(t)
	ctx := t.Context()
	const cleared, remarked = "spiffe://example.org/cleared", "spiffe://example.org/remarked"
	for _, id := range []string{cleared, remarked} {
		if err := s.Mark(ctx, KindJob, id, "anomaly", "escalator", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := s.Clear(ctx, KindJob, id, "false positive", "operator"); err != nil {
			t.Fatal(err)
		}
	}
	kc, kr := key(KindJob, cleared), key(KindJob, remarked)
	review32Wait(t, "the watch to deliver both markers", func() bool {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return s.tombs[kc].rev != 0 && s.tombs[kr].rev != 0
	})
	s.mu.RLock()
	stale := s.tombs[kr]
	s.mu.RUnlock()
	if err := s.Mark(ctx, KindJob, remarked, "again", "operator", time.Time{}); err != nil {
		t.Fatal(err)
	}
	// A switch that has not yet seen the re-mark still holds the marker.
	review32Wait(t, "the re-mark to reach the view", func() bool { return s.Compromised(remarked) })
	s.mu.Lock()
	s.tombs[kr] = stale
	s.mu.Unlock()

	later := now.Load().Add(2 * DefaultPurgeAfter)
	now.Store(&later)
	if err := s.Mark(ctx, KindJob, "spiffe://example.org/next", "anomaly", "escalator", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.History(ctx, kc); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("History of the cleared key after the purge: %v; want ErrKeyNotFound (marker purged)", err)
	}
	e, err := kv.Get(ctx, kr)
	if err != nil {
		t.Fatalf("the mark written after the marker was purged with it: %v", err)
	}
	if m, err := decodeMark(kr, e.Value()); err != nil || m.Reason != "again" {
		t.Fatalf("re-mark: %+v, %v", m, err)
	}
}

// TestReview32TombstoneNoResurrection: with deleted keys dropped from the
// view, neither a mark this switch applies locally after the watch
// delivered its deletion, nor a value an old watch delivered that a
// rebuilt view lacks (its deletion marker purged), brings a cleared mark
// back.
func TestReview32TombstoneNoResurrection(t *testing.T) {
	t.Parallel()
	m := &Mark{Kind: KindJob, Mark: audit.Mark{ID: "spiffe://example.org/x", Reason: "r", By: "b"}}
	k := key(KindJob, m.ID)
	cases := []struct {
		name string
		run  func() *view
	}{
		{"local write applied after its deletion", func() *view {
			v := newView()
			v.watched(k, entry{rev: 1, mark: m})
			v.watched(k, entry{rev: 2})
			v.apply(k, entry{rev: 1, mark: m, local: 1})
			return v
		}},
		{"old watch's value missing from the new snapshot", func() *view {
			old := newView()
			old.watched(k, entry{rev: 5, mark: m})
			next := newView()
			next.watched("job.other", entry{rev: 3, mark: &Mark{Kind: KindJob, Mark: audit.Mark{ID: "o", Reason: "r", By: "b"}}})
			next.carry(old, 3, 1)
			delete(next.entries, "job.other")
			return next
		}},
		{"local write from before the new watch", func() *view {
			old := newView()
			old.apply(k, entry{rev: 5, mark: m, local: 1})
			next := newView()
			next.carry(old, 3, 2)
			return next
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if v := tc.run(); len(v.entries) != 0 || v.marks[ident{KindJob, m.ID}] != nil {
				t.Fatalf("cleared mark brought back: %+v", v.entries)
			}
		})
	}
	// What this switch wrote after the new watch's snapshot is carried.
	old := newView()
	old.apply(k, entry{rev: 5, mark: m, local: 2})
	next := newView()
	next.carry(old, 3, 2)
	if next.marks[ident{KindJob, m.ID}] == nil {
		t.Fatal("a mark written during the rebuild was not carried over")
	}
}
