package natsreplay_test

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/identity/oidc/natsreplay"
	"github.com/ztci/ztci/internal/itest"
)

// kvStream is the stream of a KV bucket as an operator might create it by
// hand (or edit it afterwards): jetstream.KeyValue binds to it, since it
// keeps one message per subject.
func kvStream(bucket string, edit func(*jetstream.StreamConfig)) jetstream.StreamConfig {
	sc := jetstream.StreamConfig{
		Name: "KV_" + bucket, Subjects: []string{"$KV." + bucket + ".>"},
		MaxMsgsPerSubject: 1, AllowRollup: true, DenyDelete: true, AllowDirect: true,
		AllowMsgTTL: true, SubjectDeleteMarkerTTL: time.Minute,
		Discard: jetstream.DiscardNew, Storage: jetstream.FileStorage,
	}
	edit(&sc)
	return sc
}

// An existing bucket whose stream drops claims by itself was accepted:
// with interest retention no claim is ever stored (every Create succeeds,
// so a token is accepted any number of times), discard-old limits evict
// the oldest claims, memory storage forgets them all on a restart, and a
// bucket on fewer servers than WithReplicas asked for loses them with one.
// New must refuse each with ErrConfig.
func TestReview16NewRefusesBucketThatDropsClaims(t *testing.T) {
	c := itest.StartNATSCluster(t, 3)
	js := connect(t, c.URLs())
	ctx := t.Context()
	tests := []struct {
		name     string
		edit     func(*jetstream.StreamConfig)
		replicas int
	}{
		{"interest", func(sc *jetstream.StreamConfig) { sc.Retention = jetstream.InterestPolicy }, 1},
		{"workqueue", func(sc *jetstream.StreamConfig) { sc.Retention = jetstream.WorkQueuePolicy }, 1},
		{"discardold", func(sc *jetstream.StreamConfig) { sc.Discard, sc.MaxMsgs = jetstream.DiscardOld, 3 }, 1},
		{"discardoldbytes", func(sc *jetstream.StreamConfig) { sc.Discard, sc.MaxBytes = jetstream.DiscardOld, 1<<20 }, 1},
		{"memory", func(sc *jetstream.StreamConfig) { sc.Storage = jetstream.MemoryStorage }, 1},
		{"fewreplicas", func(sc *jetstream.StreamConfig) { sc.Replicas = 1 }, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := js.CreateStream(ctx, kvStream(tt.name, tt.edit)); err != nil {
				t.Fatal(err)
			}
			rc, err := natsreplay.New(ctx, js, natsreplay.WithBucket(tt.name), natsreplay.WithReplicas(tt.replicas))
			if !errors.Is(err, natsreplay.ErrConfig) {
				t.Errorf("New on a %s bucket: %v, want ErrConfig", tt.name, err)
			}
			if rc == nil {
				return
			}
			until := time.Now().Add(time.Hour)
			first, second := rc.Claim(ctx, "tok", until), rc.Claim(ctx, "tok", until)
			t.Logf("claims of one token on the accepted bucket: %v, then %v", first, second)
		})
	}
	// A bucket that keeps its claims is still accepted, and one on more
	// servers than asked for too.
	if _, err := js.CreateStream(ctx, kvStream("good", func(sc *jetstream.StreamConfig) { sc.Replicas = 3 })); err != nil {
		t.Fatal(err)
	}
	if _, err := natsreplay.New(ctx, js, natsreplay.WithBucket("good")); err != nil {
		t.Fatalf("New on a bucket that keeps its claims: %v", err)
	}
}
