package natskeys_test

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/oidc/natskeys"
	"github.com/ztci/ztci/internal/itest"
)

// An existing bucket whose stream drops values by itself was accepted
// (only the value size was checked). Revocations are never swept and must
// outlive every copy of the key: with a max age the revocation expires and
// a replica still holding the key publishes it again, served by every
// JWKS; interest retention never stores it (other replicas never drop the
// key); discard-old limits evict it; memory storage forgets it on a
// restart. New must refuse each with ErrConfig.
func TestReview16NewRefusesBucketThatDropsRevocations(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx := t.Context()
	for name, edit := range map[string]func(*jetstream.StreamConfig){
		"maxage":     func(sc *jetstream.StreamConfig) { sc.MaxAge = time.Hour },
		"interest":   func(sc *jetstream.StreamConfig) { sc.Retention = jetstream.InterestPolicy },
		"discardold": func(sc *jetstream.StreamConfig) { sc.Discard, sc.MaxMsgs = jetstream.DiscardOld, 100 },
		"memory":     func(sc *jetstream.StreamConfig) { sc.Storage = jetstream.MemoryStorage },
	} {
		t.Run(name, func(t *testing.T) {
			sc := jetstream.StreamConfig{
				Name: "KV_" + name, Subjects: []string{"$KV." + name + ".>"},
				MaxMsgsPerSubject: 1, AllowRollup: true, DenyDelete: true, AllowDirect: true,
				MaxMsgSize: oidc.MaxPublishedKeySize, Discard: jetstream.DiscardNew, Storage: jetstream.FileStorage,
			}
			edit(&sc)
			if _, err := js.CreateStream(ctx, sc); err != nil {
				t.Fatal(err)
			}
			s, err := natskeys.New(ctx, js, natskeys.WithBucket(name))
			if s != nil {
				defer s.Close()
			}
			if !errors.Is(err, natskeys.ErrConfig) {
				t.Errorf("New on a %s bucket: %v, want ErrConfig", name, err)
			}
		})
	}
}
