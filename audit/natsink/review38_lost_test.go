package natsink_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natsink"
	"github.com/ztci/ztci/internal/itest"
)

// TestReview38SinkRefusesStreamThatLostEvents: the sink checked only the
// stream's settings. Someone with JetStream admin rights who deleted the
// audit stream and made it again with the same safe settings between two
// checks (or restored an older snapshot), or set an evicting limit and
// lifted it again, erased the trail written so far, and the sink went on
// writing as if nothing happened. The next check must
// fail with ErrEventsLost (an ErrStream), publishing nothing, and keep
// failing; a sink made again accepts the stream as it now is.
func TestReview38SinkRefusesStreamThatLostEvents(t *testing.T) {
	t.Parallel()
	js, _, _ := startNATS(t)
	ctx := t.Context()
	type lose func(t *testing.T, safe jetstream.StreamConfig)
	update := func(edit func(*jetstream.StreamConfig)) lose {
		return func(t *testing.T, safe jetstream.StreamConfig) {
			t.Helper()
			evicting := safe
			edit(&evicting)
			for _, cfg := range []jetstream.StreamConfig{evicting, safe} {
				if _, err := js.UpdateStream(ctx, cfg); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	recreate := func(republish int) lose {
		return func(t *testing.T, safe jetstream.StreamConfig) {
			t.Helper()
			if err := js.DeleteStream(ctx, safe.Name); err != nil {
				t.Fatal(err)
			}
			if _, err := js.CreateStream(ctx, safe); err != nil {
				t.Fatal(err)
			}
			for i := range republish {
				if _, err := js.Publish(ctx, "r38."+safe.Name+".other", []byte(fmt.Sprint(i))); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for _, tc := range []struct {
		name string
		lose lose
		left uint64 // messages the stream holds afterwards
	}{
		{name: "recreated", lose: recreate(0), left: 0},
		{name: "recreated-and-refilled", lose: recreate(8), left: 8},
		// An evicting limit set and lifted again between two checks.
		{name: "max-msgs", lose: update(func(c *jetstream.StreamConfig) { c.MaxMsgs = 1 }), left: 1},
		{name: "max-msgs-per-subject", lose: update(func(c *jetstream.StreamConfig) { c.MaxMsgsPerSubject = 1 }), left: 3}, // from the middle
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := "r38." + tc.name
			safe := jetstream.StreamConfig{
				Name: tc.name, Subjects: []string{prefix + ".>"}, Storage: jetstream.FileStorage,
				DenyDelete: true, DenyPurge: true,
			}
			if _, err := js.CreateStream(ctx, safe); err != nil {
				t.Fatal(err)
			}
			newSink := func() *natsink.Sink {
				t.Helper()
				s, err := natsink.New(js, safe.Name, natsink.TenantAttribute("tenant"),
					natsink.WithSubjectPrefix(prefix), natsink.WithStreamCheckInterval(time.Nanosecond))
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			sink := newSink()
			for i := range 4 {
				if err := sink.Write(ctx, event(fmt.Sprintf("before-%d", i), []string{"acme", "globex", "globex", "initech"}[i])); err != nil {
					t.Fatalf("Write to the safe stream: %v", err)
				}
			}
			tc.lose(t, safe)
			for i := range 2 {
				err := sink.Write(ctx, event(fmt.Sprintf("after-%d", i), "acme"))
				if !errors.Is(err, natsink.ErrEventsLost) || !errors.Is(err, natsink.ErrStream) || !errors.Is(err, audit.ErrSink) {
					t.Fatalf("Write %d after the stream lost its events: %v, want ErrEventsLost", i, err)
				}
			}
			st, err := js.Stream(ctx, safe.Name)
			if err != nil {
				t.Fatal(err)
			}
			if n := st.CachedInfo().State.Msgs; n != tc.left {
				t.Errorf("the stream holds %d messages, want %d: the refused Writes published", n, tc.left)
			}
			if err := newSink().Write(ctx, event("fresh", "acme")); err != nil {
				t.Errorf("Write through a sink made again: %v", err)
			}
		})
	}
}

// TestReview38SinkKeepsWritingToKeptStream: the loss check must not refuse
// a stream that only grew, nor one that dropped duplicates.
func TestReview38SinkKeepsWritingToKeptStream(t *testing.T) {
	t.Parallel()
	js, _, _ := startNATS(t)
	ctx := t.Context()
	sink, err := natsink.New(js, "AUDIT", natsink.TenantAttribute("tenant"), natsink.WithStreamCheckInterval(time.Nanosecond))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		for _, tenant := range []string{"acme", "globex"} {
			if err := sink.Write(ctx, event(fmt.Sprintf("e-%d", i/2), tenant)); err != nil {
				t.Fatalf("Write %d of %s: %v", i, tenant, err)
			}
		}
	}
}

// TestReview38SinkKeepsStreamAcrossLeaderChange: in a cluster, a stream's
// leader changing, or duplicates and concurrent writes, must not read as
// events lost (its creation time is the stream's, not its leader's).
func TestReview38SinkKeepsStreamAcrossLeaderChange(t *testing.T) {
	t.Parallel()
	c := itest.StartNATSCluster(t, 3)
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	st := itest.Create(t, "R3 audit stream", func(ctx context.Context) (jetstream.Stream, error) {
		return js.CreateStream(ctx, jetstream.StreamConfig{
			Name: "AUDIT", Subjects: []string{"ztci.audit.>"}, Storage: jetstream.FileStorage,
			DenyDelete: true, DenyPurge: true, Replicas: 3,
		})
	})
	sink, err := natsink.New(js, "AUDIT", natsink.TenantAttribute("tenant"),
		natsink.WithStreamCheckInterval(time.Nanosecond), natsink.WithMinReplicas(3))
	if err != nil {
		t.Fatal(err)
	}
	write := func(id string) {
		t.Helper()
		// A cluster settling after an election may refuse a write or
		// two; a stream taken as made again is refused for good.
		var err error
		for range 100 {
			if err = sink.Write(ctx, event(id, "acme")); err == nil || errors.Is(err, natsink.ErrEventsLost) {
				break
			}
			time.Sleep(20 * time.Millisecond) // waiting for the cluster, not for the code under test
		}
		if err != nil {
			t.Fatalf("Write %s: %v", id, err)
		}
	}
	write("before")
	write("before") // a duplicate
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { _ = sink.Write(ctx, event(fmt.Sprintf("burst-%d", i%10), "acme")) })
	}
	wg.Wait()
	write("between")
	leader := st.CachedInfo().Cluster.Leader
	if _, err := nc.RequestWithContext(ctx, "$JS.API.STREAM.LEADER.STEPDOWN.AUDIT", nil); err != nil {
		t.Fatal(err)
	}
	for {
		info, err := st.Info(ctx)
		if err == nil && info.Cluster.Leader != "" && info.Cluster.Leader != leader {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("no new leader")
		}
		time.Sleep(10 * time.Millisecond) // polling the cluster, not synchronising the code under test
	}
	write("after")
}
