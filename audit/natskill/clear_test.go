package natskill_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/internal/itest"
)

// hookSink records events and, once, runs onClear while the first clear
// event is being written: between the clear's read and its delete.
type hookSink struct {
	*audittest.Recorder
	mu      sync.Mutex
	onClear func()
}

func (h *hookSink) hook(f func()) { h.mu.Lock(); h.onClear = f; h.mu.Unlock() }

func (h *hookSink) Write(ctx context.Context, e audit.Event) error {
	h.mu.Lock()
	f := h.onClear
	if e.Action == audit.ActionKillSwitchClear {
		h.onClear = nil
	}
	h.mu.Unlock()
	if f != nil && e.Action == audit.ActionKillSwitchClear {
		f()
	}
	return h.Recorder.Write(ctx, e)
}

// TestClearAuditsOnlyWhatItLifts: Clear wrote "cleared" to the audit log
// and returned nil whatever the bucket held. Clearing an unmarked id (a
// typo) said a mark was lifted; clearing the stand-in that Marks lists for
// a long id hashed it again, deleted nothing, and said the mark, still in
// force, was lifted; and a mark re-asserted between the clear's audit and
// its delete was deleted unconditionally. Now: ErrNotMarked with nothing
// audited; ClearMark lifts a listed mark, and the clear event names the
// stand-in that the mark event carries as mark_id; a mark written after the
// clear read it is kept (ErrMarkChanged), and the audited clear is followed
// by its failure.
func TestClearAuditsOnlyWhatItLifts(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	sink := &hookSink{Recorder: audittest.NewRecorder()}
	s := itest.Create(t, "kill-switch bucket", func(ctx context.Context) (*natskill.Switch, error) {
		return natskill.New(ctx, connect(t, c.URLs()), sink)
	})
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()

	const id = "spiffe://example.org/ci/job"
	if err := s.Clear(ctx, natskill.KindJob, id, "typo", "oncall"); !errors.Is(err, natskill.ErrNotMarked) || !errors.Is(err, audit.ErrNotMarked) {
		t.Fatalf("Clear of an unmarked id = %v, want ErrNotMarked", err)
	}
	if ev := sink.Events(); len(ev) != 0 {
		t.Fatalf("a refused clear was audited: %+v", ev)
	}

	long := "https://issuer.example#" + strings.Repeat("b", 5000)
	if err := s.Mark(ctx, natskill.KindJob, long, "runtime alert", "falco", time.Time{}); err != nil {
		t.Fatal(err)
	}
	listed := s.Marks()[0]
	if err := s.Clear(ctx, natskill.KindJob, listed.ID, "false positive", "oncall"); !errors.Is(err, natskill.ErrNotMarked) {
		t.Fatalf("Clear of the stand-in as an id = %v, want ErrNotMarked", err)
	}
	if err := s.ClearMark(ctx, listed, "false positive", "oncall"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool { return !s.Compromised(long) && len(s.Marks()) == 0 })
	ev := sink.Events()
	if len(ev) != 2 || ev[0].Attributes[natskill.AttrMarkID] != listed.ID ||
		ev[1].Action != audit.ActionKillSwitchClear || ev[1].Outcome != audit.OutcomeSuccess || ev[1].Resource != listed.ID {
		t.Fatalf("events %+v: want the mark naming its stand-in, then its clear naming the stand-in", ev)
	}

	// A re-mark between the clear's read and its delete: extending the
	// mark, or keeping it (a shorter mark re-asserts the longer one).
	for name, until := range map[string]time.Time{"extended": {}, "kept": time.Now().Add(time.Minute)} {
		if err := s.Mark(ctx, natskill.KindJob, id, "runtime alert", "falco", time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		sink.Reset()
		sink.hook(func() {
			if err := s.Mark(ctx, natskill.KindJob, id, "second alert", "falco", until); err != nil {
				t.Error(err)
			}
		})
		if err := s.Clear(ctx, natskill.KindJob, id, "false positive", "oncall"); !errors.Is(err, natskill.ErrMarkChanged) {
			t.Fatalf("%s: Clear racing a re-mark = %v, want ErrMarkChanged", name, err)
		}
		time.Sleep(100 * time.Millisecond) // a deletion would reach the watch by now
		if !s.Compromised(id) {
			t.Fatalf("%s: a mark re-asserted after the clear read it was lifted", name)
		}
		ev := sink.Events()
		if last := ev[len(ev)-1]; last.Action != audit.ActionKillSwitchClear || last.Outcome != audit.OutcomeFailure {
			t.Fatalf("%s: last event %+v, want the clear's failure", name, last)
		}
		if err := s.Clear(ctx, natskill.KindJob, id, "false positive", "oncall"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, func() bool { return !s.Compromised(id) })
	}
}
