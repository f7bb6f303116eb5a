package natsanomaly_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natsanomaly"
	"github.com/ztci/ztci/internal/itest"
)

// A hostile or skewed replica publishing to the fleet's stream dated its
// events where no burst window counted them (an hour apart each): the
// feeder's detector trusted the events' times. Its clock is now the
// stream's: each event counts within audit.DefaultMaxClockSkew of when the
// stream stored it, so the burst is raised, on a replay too.
func TestReview31FeederBoundsEventTimes(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "AUDIT", Subjects: []string{"ztci.audit.>"}, DenyDelete: true, DenyPurge: true,
	}); err != nil {
		t.Fatal(err)
	}
	published := time.Now()
	for _, step := range []time.Duration{time.Hour, -time.Hour} {
		for i := range 8 {
			e := ev(fmt.Sprintf("skew%v-%d", step, i), "spiffe://acme/ci/skewed"+step.String(), "gate.admit", "prod",
				time.Now().Add(time.Duration(i+1)*step))
			data, err := audit.Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := js.Publish(ctx, "ztci.audit.acme", data); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The stored events are replayed (WithReplayAnomalies); a clock passed
	// to the detector does not replace the stream's.
	out := &collector{}
	f, err := natsanomaly.New(js, "AUDIT", out, natsanomaly.WithReplayAnomalies(),
		natsanomaly.WithDetector(audit.WithLearning(0), audit.WithBurst(5, time.Minute),
			audit.WithWorkingHours(0, 24, time.UTC), audit.WithClock(func() time.Time { return time.Time{} })))
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, f)
	caughtUp(t, f, 15*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	bursts := 0
	for _, a := range out.got {
		if a.Attributes[audit.AttrRule] != audit.RuleBurst {
			continue
		}
		bursts++
		if a.Attributes[audit.AttrEventTime] == "" {
			t.Errorf("burst %s: no %s", a.ID, audit.AttrEventTime)
		}
		if a.Time.Before(published.Add(-audit.DefaultMaxClockSkew)) || a.Time.After(time.Now().Add(audit.DefaultMaxClockSkew)) {
			t.Errorf("burst %s at %v: not within the skew bound of when the stream stored its trigger (%v)", a.ID, a.Time, published)
		}
	}
	if bursts != 2 {
		t.Errorf("%d bursts, want 2 (one per skewed identity): %q", bursts, out.rules())
	}
}
