package audit

import (
	"context"
	"errors"
	"testing"
	"time"
)

// hookSink records events and calls onClear (once) while the first clear
// event is being written: the moment another caller can change the mark.
type hookSink struct {
	recorder
	onClear func()
}

func (h *hookSink) Write(ctx context.Context, e Event) error {
	if e.Action == ActionKillSwitchClear && h.onClear != nil {
		f := h.onClear
		h.onClear = nil
		f()
	}
	return h.recorder.Write(ctx, e)
}

// TestKillSwitchClearAuditsOnlyWhatItLifts: Clear audited "cleared" and
// returned nil for an id that held no mark, so an operator who mistyped an
// id was told a mark was lifted while the real one stayed in force. It is
// now ErrNotMarked with nothing audited. And a clear that read a mark
// deletes only that mark: one re-asserted while the clear was being
// audited is kept, the audited clear is followed by a failure event, and
// the error is ErrMarkChanged.
func TestKillSwitchClearAuditsOnlyWhatItLifts(t *testing.T) {
	t.Parallel()
	sink := &hookSink{}
	ks, err := NewKillSwitch(sink)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	const id = "spiffe://example.org/ci/job"
	if err := ks.Clear(ctx, id, "false positive", "oncall"); !errors.Is(err, ErrNotMarked) {
		t.Fatalf("Clear of an unmarked id = %v, want ErrNotMarked", err)
	}
	if n := len(sink.events); n != 0 {
		t.Fatalf("a refused clear was audited: %+v", sink.events)
	}

	if err := ks.Mark(ctx, id, "runtime alert", "falco", time.Time{}); err != nil {
		t.Fatal(err)
	}
	sink.onClear = func() {
		if err := ks.Mark(ctx, id, "second alert", "falco", time.Time{}); err != nil {
			t.Error(err)
		}
	}
	if err := ks.Clear(ctx, id, "false positive", "oncall"); !errors.Is(err, ErrMarkChanged) {
		t.Fatalf("Clear racing a re-mark = %v, want ErrMarkChanged", err)
	}
	if !ks.Compromised(id) {
		t.Fatal("a mark re-asserted after the clear read it was lifted")
	}
	last := sink.events[len(sink.events)-1]
	if last.Action != ActionKillSwitchClear || last.Outcome != OutcomeFailure || last.Resource != id {
		t.Fatalf("last event %+v, want the clear's failure", last)
	}

	if err := ks.Clear(ctx, id, "false positive", "oncall"); err != nil || ks.Compromised(id) {
		t.Fatalf("Clear = %v, compromised %v", err, ks.Compromised(id))
	}
	if last := sink.events[len(sink.events)-1]; last.Outcome != OutcomeSuccess || last.Resource != id {
		t.Fatalf("last event %+v, want the clear", last)
	}
}
