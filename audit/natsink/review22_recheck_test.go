package natsink_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natsink"
)

// TestReview22SinkRechecksEditedStream: the stream's settings were checked
// once, at the first Write. Someone with JetStream admin rights who then
// set an evicting limit or widened its subjects, or deleted the stream and
// made it again allowing purges or deletes (an update cannot), had the
// sink keep writing the audit trail into a stream that loses it. After the
// check interval the next Write must read the settings again and fail with
// ErrStream, publishing nothing, and keep failing until the stream is safe
// again.
func TestReview22SinkRechecksEditedStream(t *testing.T) {
	js, _, _ := startNATS(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for name, tc := range map[string]struct {
		edit     func(*jetstream.StreamConfig)
		recreate bool // the server refuses the edit as an update
	}{
		"purge":      {func(c *jetstream.StreamConfig) { c.DenyPurge = false }, true},
		"delete":     {func(c *jetstream.StreamConfig) { c.DenyDelete = false }, true},
		"memory":     {func(c *jetstream.StreamConfig) { c.Storage = jetstream.MemoryStorage }, true},
		"discardold": {func(c *jetstream.StreamConfig) { c.MaxMsgs = 1000 }, false},
		"persubject": {func(c *jetstream.StreamConfig) { c.MaxMsgsPerSubject = 1 }, false},
		"msgttl":     {func(c *jetstream.StreamConfig) { c.AllowMsgTTL = true }, true},
		"wider":      {func(c *jetstream.StreamConfig) { c.Subjects = append(c.Subjects, "r22elsewhere.>") }, false},
	} {
		t.Run(name, func(t *testing.T) {
			prefix := "r22" + name
			safe := jetstream.StreamConfig{
				Name: "R22_" + name, Subjects: []string{prefix + ".>"}, Storage: jetstream.FileStorage,
				DenyDelete: true, DenyPurge: true,
			}
			if _, err := js.CreateStream(ctx, safe); err != nil {
				t.Fatal(err)
			}
			set := func(cfg jetstream.StreamConfig) {
				t.Helper()
				var err error
				if tc.recreate {
					if err = js.DeleteStream(ctx, cfg.Name); err == nil {
						_, err = js.CreateStream(ctx, cfg)
					}
				} else {
					_, err = js.UpdateStream(ctx, cfg)
				}
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(2 * time.Millisecond) // past the check interval
			}
			sink, err := natsink.New(js, safe.Name, natsink.TenantAttribute("tenant"),
				natsink.WithSubjectPrefix(prefix), natsink.WithStreamCheckInterval(time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if err := sink.Write(ctx, event("before", "acme")); err != nil {
				t.Fatalf("Write to the safe stream: %v", err)
			}
			unsafe := safe
			tc.edit(&unsafe)
			set(unsafe)
			for i := range 2 {
				err := sink.Write(ctx, event(fmt.Sprintf("after-%d", i), "acme"))
				if !errors.Is(err, natsink.ErrStream) || !errors.Is(err, audit.ErrSink) {
					t.Fatalf("Write %d after the stream was edited (%s): %v, want ErrStream", i, name, err)
				}
			}
			st, err := js.Stream(ctx, safe.Name)
			if err != nil {
				t.Fatal(err)
			}
			if n, want := st.CachedInfo().State.Msgs, map[bool]uint64{false: 1, true: 0}[tc.recreate]; n != want {
				t.Errorf("the edited stream holds %d events, want %d", n, want)
			}
			set(safe)
			if tc.recreate {
				// A stream made again lost the events written before
				// (review 38): the sink keeps refusing it, and a sink
				// made again accepts it.
				if err := sink.Write(ctx, event("restored", "acme")); !errors.Is(err, natsink.ErrEventsLost) {
					t.Errorf("Write once the stream is safe again but made anew: %v, want ErrEventsLost", err)
				}
				if sink, err = natsink.New(js, safe.Name, natsink.TenantAttribute("tenant"),
					natsink.WithSubjectPrefix(prefix), natsink.WithStreamCheckInterval(time.Millisecond)); err != nil {
					t.Fatal(err)
				}
			}
			if err := sink.Write(ctx, event("restored", "acme")); err != nil {
				t.Errorf("Write once the stream is safe again: %v", err)
			}
		})
	}
}

// TestReview22SinkMinReplicas: replica counts were not checked, so a
// fleet's sink wrote to an R1 stream (or one dropped to R1) whose one disk
// holds the whole trail. WithMinReplicas(3) must refuse a single-node
// stream with ErrStream, publishing nothing; the default (1) accepts it.
func TestReview22SinkMinReplicas(t *testing.T) {
	js, st, _ := startNATS(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	sink, err := natsink.New(js, "AUDIT", natsink.TenantAttribute("tenant"), natsink.WithMinReplicas(3))
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Write(ctx, event("r3", "acme")); !errors.Is(err, natsink.ErrStream) {
		t.Fatalf("Write to an R1 stream with WithMinReplicas(3): %v, want ErrStream", err)
	}
	if info, err := st.Info(ctx); err != nil || info.State.Msgs != 0 {
		t.Fatalf("the refused stream: %v, %d events", err, info.State.Msgs)
	}
	sink, err = natsink.New(js, "AUDIT", natsink.TenantAttribute("tenant"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Write(ctx, event("r1", "acme")); err != nil {
		t.Errorf("Write to an R1 stream by default: %v", err)
	}
}

// TestReview22SinkOptions: unusable values are refused, and so is a
// minimum replica count that WithoutStreamCheck would silently skip.
func TestReview22SinkOptions(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]natsink.Option{
		"interval 0":         {natsink.WithStreamCheckInterval(0)},
		"interval negative":  {natsink.WithStreamCheckInterval(-time.Second)},
		"replicas 0":         {natsink.WithMinReplicas(0)},
		"replicas unchecked": {natsink.WithMinReplicas(3), natsink.WithoutStreamCheck()},
	} {
		if _, err := natsink.New(fakeNone{}, "AUDIT", natsink.TenantAttribute("t"), opts...); !errors.Is(err, natsink.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}

// countingJS counts the stream lookups of a sink.
type countingJS struct {
	jetstream.JetStream
	n atomic.Int32
}

func (c *countingJS) Stream(ctx context.Context, name string) (jetstream.Stream, error) {
	c.n.Add(1)
	return c.JetStream.Stream(ctx, name)
}

// TestReview22SinkCheckOffHotPath: within the interval, Writes do not read
// the stream's settings again (one request per interval, not per event).
func TestReview22SinkCheckOffHotPath(t *testing.T) {
	js, _, _ := startNATS(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cjs := &countingJS{JetStream: js}
	sink, err := natsink.New(cjs, "AUDIT", natsink.TenantAttribute("tenant"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := sink.Write(ctx, event(fmt.Sprint("hot-", i), "acme")); err != nil {
			t.Fatal(err)
		}
	}
	if n := cjs.n.Load(); n != 1 {
		t.Errorf("%d stream lookups for 20 Writes within the interval, want 1", n)
	}
}
