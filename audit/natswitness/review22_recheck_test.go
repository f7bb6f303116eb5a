package natswitness_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit/natswitness"
	"github.com/ztci/ztci/internal/itest"
)

// TestReview22PublisherRechecksEditedStream: the publisher checked the
// stream's settings once, before its first publish. Someone with JetStream
// admin rights who then set an evicting limit, a per-subject limit or
// wider subjects, or deleted the stream and made it again allowing purges
// (an update cannot), had every later checkpoint published into a stream
// where it can vanish before a witness reads it. Each Publish must check
// again and fail with ErrStream, publishing nothing, until the stream is
// safe again.
func TestReview22PublisherRechecksEditedStream(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for name, tc := range map[string]struct {
		edit     func(*jetstream.StreamConfig)
		recreate bool // the server refuses the edit as an update
	}{
		"purge":      {func(c *jetstream.StreamConfig) { c.DenyPurge = false }, true},
		"delete":     {func(c *jetstream.StreamConfig) { c.DenyDelete = false }, true},
		"discardold": {func(c *jetstream.StreamConfig) { c.Discard, c.MaxMsgs = jetstream.DiscardOld, 1000 }, false},
		"latestonly": {func(c *jetstream.StreamConfig) { c.MaxMsgsPerSubject = 1 }, false},
		"wider":      {func(c *jetstream.StreamConfig) { c.Subjects = append(c.Subjects, "r22elsewhere.>") }, false},
	} {
		t.Run(name, func(t *testing.T) {
			prefix := "r22." + name
			safe := natswitness.StreamConfig("R22_"+name, prefix, 1)
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
			}
			l := openLog(t, filepath.Join(t.TempDir(), "audit.log"), 1, 0, 2)
			p, err := natswitness.NewPublisher(js, safe.Name, l, natswitness.WithSubjectPrefix(prefix))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Publish(ctx); err != nil {
				t.Fatalf("Publish to the safe stream: %v", err)
			}
			unsafe := safe
			tc.edit(&unsafe)
			set(unsafe)
			before := msgs(t, js, safe.Name)
			for i := range 2 {
				appendEvents(t, l, 2+i, 3+i)
				if _, err := p.Publish(ctx); !errors.Is(err, natswitness.ErrStream) {
					t.Fatalf("Publish %d after the stream was edited (%s): %v, want ErrStream", i, name, err)
				}
			}
			if n := msgs(t, js, safe.Name); n != before {
				t.Errorf("the edited stream holds %d checkpoint(s), want %d", n, before)
			}
			set(safe)
			if _, err := p.Publish(ctx); err != nil {
				t.Errorf("Publish once the stream is safe again: %v", err)
			}
		})
	}
}

// TestReview22MinReplicas: replica counts were not checked, so a fleet's
// publishers and witnesses used an R1 stream whose one disk holds every
// node's chain. WithMinReplicas(3) must make Publish and Follow refuse a
// single-node stream with ErrStream, publishing nothing and creating no
// consumer; the default (1) accepts it.
func TestReview22MinReplicas(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	st, err := js.CreateStream(ctx, natswitness.StreamConfig(stream, natswitness.DefaultSubjectPrefix, 1))
	if err != nil {
		t.Fatal(err)
	}
	l := openLog(t, filepath.Join(t.TempDir(), "audit.log"), 1, 0, 2)
	p, err := natswitness.NewPublisher(js, stream, l, natswitness.WithMinReplicas(3))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Publish(ctx); !errors.Is(err, natswitness.ErrStream) {
		t.Errorf("Publish to an R1 stream with WithMinReplicas(3): %v, want ErrStream", err)
	}
	f, err := natswitness.Follow(ctx, js, stream, r21Witness(t), natswitness.WithMinReplicas(3))
	if err == nil {
		f.Close()
	}
	if !errors.Is(err, natswitness.ErrStream) {
		t.Errorf("Follow of an R1 stream with WithMinReplicas(3): %v, want ErrStream", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 || info.State.Consumers != 0 {
		t.Errorf("the refused stream holds %d message(s), %d consumer(s)", info.State.Msgs, info.State.Consumers)
	}
	p, err = natswitness.NewPublisher(js, stream, l)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Publish(ctx); err != nil {
		t.Errorf("Publish to an R1 stream by default: %v", err)
	}
}

// TestReview22MinReplicasOption: an unusable count, or the option given to
// a constructor that has no stream to check, is refused.
func TestReview22MinReplicasOption(t *testing.T) {
	t.Parallel()
	l := openLog(t, filepath.Join(t.TempDir(), "audit.log"), 1, 0, 1)
	var js jetstream.JetStream = struct{ jetstream.JetStream }{}
	if _, err := natswitness.NewPublisher(js, stream, l, natswitness.WithMinReplicas(0)); !errors.Is(err, natswitness.ErrConfig) {
		t.Errorf("WithMinReplicas(0): %v, want ErrConfig", err)
	}
	if _, err := natswitness.NewKVStore(t.Context(), js, "b", 3, natswitness.WithMinReplicas(3)); !errors.Is(err, natswitness.ErrConfig) {
		t.Errorf("NewKVStore with WithMinReplicas: %v, want ErrConfig", err)
	}
}

func msgs(t *testing.T, js jetstream.JetStream, name string) uint64 {
	t.Helper()
	st, err := js.Stream(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return st.CachedInfo().State.Msgs
}
