package natskill_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/internal/itest"
)

// TestReview21LapsedMarkIsRefused: a mark whose until had already passed
// (or was now) was stored in the bucket and audited as a mark, though no
// check ever denied the identity: the audit trail showed a quarantine that
// never happened. Over a live mark it did not outlast, it rewrote that mark
// at a new revision (and audited it), so a replayed detector event could
// make an operator's clear fail. Now Mark refuses it with
// audit.ErrMarkLapsed, and Write drops such a detector event (nil, so a
// replay does not break the stream); neither writes the bucket nor audits.
func TestReview21LapsedMarkIsRefused(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	rec := audittest.NewRecorder()
	now := time.Now().UTC().Truncate(time.Millisecond)
	js := connect(t, c.URLs())
	s := itest.Create(t, "kill-switch bucket", func(ctx context.Context) (*natskill.Switch, error) {
		return natskill.New(ctx, js, rec, natskill.WithClock(func() time.Time { return now }))
	})
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	lastSeq := func() uint64 {
		t.Helper()
		st, err := js.Stream(ctx, "KV_ztci_killswitch")
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.State.LastSeq
	}
	detected := func(id string, until time.Time) audit.Event {
		return audit.Event{
			ID: "replayed-1", Time: now, Source: "detector", Action: audit.ActionCompromiseDetected,
			Outcome: audit.OutcomeSuccess, Actor: audit.Actor{ID: "falco"},
			Attributes: map[string]string{audit.AttrCompromisedID: id, audit.AttrExpires: until.Format(time.RFC3339Nano)},
		}
	}
	// refused checks that nothing reached the bucket or the audit log.
	refused := func(what string, seq uint64, events int) {
		t.Helper()
		if got := lastSeq(); got != seq {
			t.Errorf("%s: bucket written (last sequence %d, was %d)", what, got, seq)
		}
		if got := len(rec.Actions()); got != events {
			t.Errorf("%s: audited %v", what, rec.Actions())
		}
	}

	const id = "spiffe://example.org/ci/job"
	seq := lastSeq()
	for name, until := range map[string]time.Time{"past": now.Add(-time.Minute), "now": now} {
		err := s.Mark(ctx, natskill.KindJob, id, "quarantine", "oncall", until)
		if !errors.Is(err, audit.ErrMarkLapsed) || !errors.Is(err, natskill.ErrMarkLapsed) {
			t.Errorf("Mark until %s = %v, want ErrMarkLapsed", name, err)
		}
		refused("Mark until "+name, seq, 0)
		if err := s.Write(ctx, detected(id, until)); err != nil {
			t.Errorf("Write of a detector event lapsed (%s) = %v, want nil", name, err)
		}
		refused("Write lapsed ("+name+")", seq, 0)
	}
	if len(s.Marks()) != 0 {
		t.Fatalf("lapsed marks stored: %+v", s.Marks())
	}

	// Over a live mark: kept as it is, at its revision.
	live := now.Add(time.Hour)
	if err := s.Mark(ctx, natskill.KindJob, id, "confirmed", "oncall", live); err != nil {
		t.Fatal(err)
	}
	seq = lastSeq()
	if err := s.Mark(ctx, natskill.KindJob, id, "replay", "escalator", now.Add(-time.Second)); !errors.Is(err, audit.ErrMarkLapsed) {
		t.Errorf("lapsed Mark over a live mark = %v, want ErrMarkLapsed", err)
	}
	if err := s.Write(ctx, detected(id, now)); err != nil {
		t.Errorf("lapsed Write over a live mark = %v, want nil", err)
	}
	refused("lapsed over a live mark", seq, 1)
	ms := s.Marks()
	if len(ms) != 1 || !ms[0].Until.Equal(live) || ms[0].Reason != "confirmed" || !s.Compromised(id) {
		t.Errorf("live mark changed: %+v", ms)
	}
}
