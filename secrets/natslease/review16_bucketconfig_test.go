package natslease_test

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/secrets/natslease"
)

// An existing bucket whose stream drops lease records by itself was
// accepted (only a max age and the lack of per-key TTL were refused): with
// interest retention no record is stored, discard-old limits evict the
// oldest, memory storage forgets them on a restart. The reaper then never
// sees the leases of a dead runner, which live until the backend's own
// TTL. New must refuse each with ErrConfig.
func TestReview16NewRefusesBucketThatDropsLeases(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx := t.Context()
	for name, edit := range map[string]func(*jetstream.StreamConfig){
		"interest":   func(sc *jetstream.StreamConfig) { sc.Retention = jetstream.InterestPolicy },
		"discardold": func(sc *jetstream.StreamConfig) { sc.Discard, sc.MaxBytes = jetstream.DiscardOld, 1<<20 },
		"memory":     func(sc *jetstream.StreamConfig) { sc.Storage = jetstream.MemoryStorage },
	} {
		t.Run(name, func(t *testing.T) {
			sc := jetstream.StreamConfig{
				Name: "KV_" + name, Subjects: []string{"$KV." + name + ".>"},
				MaxMsgsPerSubject: 1, AllowRollup: true, DenyDelete: true, AllowDirect: true,
				AllowMsgTTL: true, SubjectDeleteMarkerTTL: time.Minute,
				Discard: jetstream.DiscardNew, Storage: jetstream.FileStorage,
			}
			edit(&sc)
			if _, err := js.CreateStream(ctx, sc); err != nil {
				t.Fatal(err)
			}
			if _, err := natslease.New(ctx, js, natslease.WithBucket(name)); !errors.Is(err, natslease.ErrConfig) {
				t.Errorf("New on a %s bucket: %v, want ErrConfig", name, err)
			}
		})
	}
}
