package natswitness_test

import (
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit/natswitness"
	"github.com/ztci/ztci/internal/itest"
)

// An existing bucket whose stream drops values by itself was accepted
// (only a max age was refused): with interest retention an origin's state
// is never stored, discard-old limits evict the oldest origins' states,
// memory storage forgets them on a restart. Each makes the witness trust that log's
// next checkpoint on first use, so a node rolls its log back unflagged.
// NewKVStore must refuse each with ErrConfig.
func TestReview16NewKVStoreRefusesBucketThatDropsState(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx := t.Context()
	for name, edit := range map[string]func(*jetstream.StreamConfig){
		"interest":   func(sc *jetstream.StreamConfig) { sc.Retention = jetstream.InterestPolicy },
		"discardold": func(sc *jetstream.StreamConfig) { sc.Discard, sc.MaxMsgs = jetstream.DiscardOld, 100 },
		"memory":     func(sc *jetstream.StreamConfig) { sc.Storage = jetstream.MemoryStorage },
	} {
		t.Run(name, func(t *testing.T) {
			sc := jetstream.StreamConfig{
				Name: "KV_" + name, Subjects: []string{"$KV." + name + ".>"},
				MaxMsgsPerSubject: 8, AllowRollup: true, DenyDelete: true, AllowDirect: true,
				Discard: jetstream.DiscardNew, Storage: jetstream.FileStorage,
			}
			edit(&sc)
			if _, err := js.CreateStream(ctx, sc); err != nil {
				t.Fatal(err)
			}
			if _, err := natswitness.NewKVStore(ctx, js, name, 1); !errors.Is(err, natswitness.ErrConfig) {
				t.Errorf("NewKVStore on a %s bucket: %v, want ErrConfig", name, err)
			}
		})
	}
}
