package natsanomaly_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natsanomaly"
	"github.com/ztci/ztci/audit/natsink"
	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/internal/itest"
)

// TestFleetAnomalyQuarantinesEverywhere: one burst on the fleet's audit
// stream, seen by the feeder on one node, quarantines the identity in the
// fleet kill switch, and a switch on another node denies it; a medium
// anomaly of another identity, under the threshold, denies nothing.
func TestFleetAnomalyQuarantinesEverywhere(t *testing.T) {
	c := itest.StartNATSCluster(t, 3)
	pubJS, feedJS, otherJS := connect(t, c.URLsFrom(0)), connect(t, c.URLsFrom(1)), connect(t, c.URLsFrom(2))
	ctx, cancel := context.WithTimeout(t.Context(), 25*time.Second)
	defer cancel()

	// Setup on a cluster started moments ago: its meta leader and the new
	// streams' leaders may still be in election, and a request sent
	// meanwhile may go unanswered. Each step retries until it succeeds;
	// the behaviour under test is the steady state.
	eventually(ctx, t, "create the audit stream", func() error {
		actx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		_, err := pubJS.CreateStream(actx, jetstream.StreamConfig{
			Name: "AUDIT", Subjects: []string{"ztci.audit.>"}, Duplicates: 10 * time.Minute, Replicas: 3, Storage: jetstream.FileStorage,
			DenyDelete: true, DenyPurge: true,
		})
		return err
	})
	sink, err := natsink.New(pubJS, "AUDIT", natsink.TenantAttribute("tenant"))
	if err != nil {
		t.Fatal(err)
	}
	// The switch the escalator writes to, beside the feeder, and one of
	// another replica, on another node. A mark and its clear reach both
	// before the test begins.
	here, elsewhere := fleetSwitch(ctx, t, feedJS), fleetSwitch(ctx, t, otherJS)
	const warm = "spiffe://acme/ci/warm-up"
	eventually(ctx, t, "warm-up mark", func() error {
		return here.Mark(ctx, natskill.KindJob, warm, "warm-up", "test", time.Time{})
	})
	eventually(ctx, t, "warm-up mark seen elsewhere", func() error {
		if err := elsewhere.Check(natskill.KindJob, warm); !errors.Is(err, natskill.ErrCompromised) {
			return fmt.Errorf("Check = %v", err)
		}
		return nil
	})
	eventually(ctx, t, "warm-up clear", func() error { return here.Clear(ctx, natskill.KindJob, warm, "warm-up", "test") })
	eventually(ctx, t, "warm-up clear seen elsewhere", func() error { return elsewhere.Check(natskill.KindJob, warm) })

	escalator, err := audit.NewEscalator(here)
	if err != nil {
		t.Fatal(err)
	}
	anomalies := &collector{}
	var f *natsanomaly.Feeder
	var stop func() error
	// Once the feeder has started, what follows is new to it, not a replay.
	eventually(ctx, t, "start the feeder", func() error {
		f = newFeeder(t, feedJS, audit.FanOut(anomalies, escalator)) // learning 10, burst above 30 a minute
		stop = run(t, f)
		var err error
		for range 50 {
			if err = f.Check(ctx); err == nil {
				return nil
			}
			time.Sleep(20 * time.Millisecond)
		}
		return errors.Join(err, stop())
	})

	write := func(e audit.Event) {
		t.Helper()
		eventually(ctx, t, "publish "+e.ID, func() error { // the id de-duplicates a retry
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			return sink.Write(wctx, e)
		})
	}
	const calm, thief = "spiffe://acme/ci/calm", "spiffe://acme/ci/thief"
	// Event times near the wall clock: the quarantine runs from them.
	start := time.Now().Add(-time.Minute)
	for i := range 10 {
		write(ev(fmt.Sprintf("calm-%d", i), calm, "secrets.lease", "db", start.Add(time.Duration(i)*time.Second)))
	}
	write(ev("calm-new", calm, "secrets.lease", "prod-signing-key", start.Add(10*time.Second))) // first_seen: medium
	for i := range 31 {
		write(ev(fmt.Sprintf("thief-%d", i), thief, "secrets.lease", "db", start.Add(time.Duration(i)*100*time.Millisecond)))
	}

	var marked *natskill.MarkedError
	eventually(ctx, t, "the mark on another node", func() error {
		err := elsewhere.Check(natskill.KindJob, thief)
		if errors.As(err, &marked) {
			return nil
		}
		return fmt.Errorf("Check = %v; anomalies %v; feeder %+v; here: %v", err, anomalies.rules(), f.Stats(), here.Check(natskill.KindJob, thief))
	})
	wantUntil := start.Add(3 * time.Second).Add(time.Hour) // thief-30's time plus the quarantine
	if m := marked.Mark; m.By != audit.SourceEscalator || !m.Until.Equal(wantUntil) {
		t.Errorf("mark %+v: want by %s until %v", m, audit.SourceEscalator, wantUntil)
	}
	if !elsewhere.Compromised(thief) {
		t.Error("Compromised(thief) = false on the other node")
	}
	caughtUp(t, f, 10*time.Second)
	if got := anomalies.rules(); !slices.Contains(got, "first_seen:calm-new") {
		t.Errorf("anomalies %v, want first_seen:calm-new among them", got)
	}
	if err := elsewhere.Check(natskill.KindJob, calm); err != nil {
		t.Errorf("a medium anomaly denies %s: %v", calm, err)
	}
	if err := stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
}

// eventually retries step until it returns nil, failing t with its last
// error when ctx ends first.
func eventually(ctx context.Context, t *testing.T, what string, step func() error) {
	t.Helper()
	for {
		err := step()
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fleetSwitch binds a kill switch to the fleet's R3 bucket. Its stale
// bound is five times the default: a switch the loaded 2-core CI machine
// leaves unproven for 2s denies every identity (ErrStale), which the
// check that a medium anomaly denies nobody would take for a quarantine.
// The test is about marks, not the bound.
func fleetSwitch(ctx context.Context, t *testing.T, js jetstream.JetStream) *natskill.Switch {
	t.Helper()
	var s *natskill.Switch
	eventually(ctx, t, "kill switch", func() error {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		var err error
		s, err = natskill.New(actx, js, audittest.NewRecorder(), natskill.WithReplicas(3), natskill.WithStaleAfter(10*time.Second))
		return err
	})
	t.Cleanup(func() { _ = s.Close() })
	return s
}
