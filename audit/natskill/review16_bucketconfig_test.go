package natskill_test

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/internal/itest"
)

// An existing bucket whose stream drops marks by itself was accepted (only
// a max age was refused): with interest retention a mark is never stored,
// so every replica but the marking one, and every replica started later,
// lets the identity through; discard-old limits evict the oldest marks
// (an operator's permanent ones first); memory storage forgets them all on
// a restart. New must refuse each with ErrConfig.
func TestReview16NewRefusesBucketThatDropsMarks(t *testing.T) {
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
				MaxMsgsPerSubject: 1, AllowRollup: true, DenyDelete: true, AllowDirect: true,
				Discard: jetstream.DiscardNew, Storage: jetstream.FileStorage,
			}
			edit(&sc)
			if _, err := js.CreateStream(ctx, sc); err != nil {
				t.Fatal(err)
			}
			s, err := natskill.New(ctx, js, audittest.NewRecorder(), natskill.WithBucket(name), natskill.WithStaleAfter(2*time.Second))
			if s != nil {
				defer s.Close()
			}
			if !errors.Is(err, natskill.ErrConfig) {
				t.Errorf("New on a %s bucket: %v, want ErrConfig", name, err)
			}
		})
	}
}
