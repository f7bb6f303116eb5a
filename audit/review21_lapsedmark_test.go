package audit

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A mark whose expiry is already past protects nobody: Compromised is
// false the moment it is set. Before, Mark returned nil and audited an
// ActionKillSwitchMark event as if the identity were quarantined, so the
// audit trail said an identity was denied that never was. The operator's
// Mark refuses it with ErrMarkLapsed; a detector's event naming a lapsed
// expiry (a replay) marks nothing and audits nothing, as the escalator
// does for a lapsed anomaly.
func TestReview21LapsedMarkIsNeverAuditedAsInForce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const id = "spiffe://example.org/ci/runner"
	for _, until := range []time.Time{testT0.Add(-time.Second), testT0} {
		rec := &recorder{}
		ks, err := NewKillSwitch(rec, WithClock(func() time.Time { return testT0 }))
		if err != nil {
			t.Fatal(err)
		}
		err = ks.Mark(ctx, id, "incident 42", "ops", until)
		if !errors.Is(err, ErrMarkLapsed) {
			t.Errorf("Mark until %v (now %v) = %v, want ErrMarkLapsed", until, testT0, err)
		}
		err = ks.Write(ctx, detectorEvent("ev-1", map[string]string{
			AttrCompromisedID: id, AttrExpires: until.Format(time.RFC3339Nano)}))
		if err != nil {
			t.Errorf("Write of a lapsed detector event = %v, want nil (nothing to mark)", err)
		}
		if n := len(rec.events); n != 0 {
			t.Errorf("lapsed marks audited %d events (%s), want none: the identity was never denied", n, rec.events[0].Action)
		}
		if len(ks.Marks()) != 0 {
			t.Errorf("lapsed marks held: %v", ks.Marks())
		}
	}
}

// A lapsed request never touches a live mark: it neither replaces nor
// re-asserts it, and the live mark keeps denying.
func TestReview21LapsedMarkLeavesLiveMark(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := &recorder{}
	ks, _ := NewKillSwitch(rec, WithClock(func() time.Time { return testT0 }))
	const id = "spiffe://example.org/ci/runner"
	if err := ks.Mark(ctx, id, "incident 42", "ops", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := ks.Mark(ctx, id, "stale", "ops", testT0.Add(-time.Hour)); !errors.Is(err, ErrMarkLapsed) {
		t.Fatalf("Mark lapsed over a live mark = %v, want ErrMarkLapsed", err)
	}
	if !ks.Compromised(id) || len(rec.events) != 1 {
		t.Fatalf("live mark changed by a lapsed one: compromised %v, %d events", ks.Compromised(id), len(rec.events))
	}
}
