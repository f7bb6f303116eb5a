package natskill_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/internal/itest"
)

// An existing bucket whose stream allows per-message TTLs was accepted:
// whoever may write the bucket could put a mark with a Nats-TTL header.
// Running replicas saw the put and denied, but the message expired without
// a deletion their watch delivers (or with a purge marker, when the stream
// has a subject delete marker TTL), so every replica that started or
// watched again afterwards let the marked identity through, and nothing
// audited the lift. The switch never needs per-message TTLs (a mark carries
// its own until; lapsed marks are deleted with KV deletes and markers
// purged through the stream API), so New refuses such a bucket.
func TestReview38MsgTTLBucketRefused(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx := t.Context()
	for _, tc := range []struct {
		name   string
		create func(bucket string) error
	}{
		{name: "allow-msg-ttl", create: func(bucket string) error {
			_, err := js.CreateStream(ctx, jetstream.StreamConfig{
				Name: "KV_" + bucket, Subjects: []string{"$KV." + bucket + ".>"},
				MaxMsgsPerSubject: 1, AllowRollup: true, DenyDelete: true, AllowDirect: true,
				Discard: jetstream.DiscardNew, Storage: jetstream.FileStorage, AllowMsgTTL: true,
			})
			return err
		}},
		{name: "limit-marker-ttl", create: func(bucket string) error {
			// jetstream sets AllowMsgTTL and SubjectDeleteMarkerTTL.
			_, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
				Bucket: bucket, History: 1, Storage: jetstream.FileStorage, LimitMarkerTTL: time.Minute,
			})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.create(tc.name); err != nil {
				t.Fatal(err)
			}
			s, err := natskill.New(ctx, js, audittest.NewRecorder(), natskill.WithBucket(tc.name))
			if s != nil {
				s.Close()
			}
			if !errors.Is(err, natskill.ErrConfig) {
				t.Fatalf("New on a bucket allowing per-message TTLs: %v, want ErrConfig", err)
			}
			var be *natskill.BucketSettingError
			if !errors.As(err, &be) || be.Setting != "AllowMsgTTL" || be.Bucket != tc.name {
				t.Errorf("New: %v, want a BucketSettingError naming AllowMsgTTL of %q", err, tc.name)
			}
		})
	}
}

// A bucket's stream edited to allow per-message TTLs while the switches
// run (by whoever may manage the stream) let marks expire unseen from
// then on. The switch checks the stream's settings with every freshness
// probe and stops proving itself current: it denies (ErrStale).
func TestReview38MsgTTLEnabledLaterDenies(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx := t.Context()
	s := itest.Create(t, "kill-switch bucket", func(ctx context.Context) (*natskill.Switch, error) {
		return natskill.New(ctx, js, audittest.NewRecorder(), natskill.WithBucket("later"), natskill.WithStaleAfter(200*time.Millisecond))
	})
	t.Cleanup(func() { s.Close() })
	waitFor(t, 10*time.Second, func() bool { return s.Check(natskill.KindJob, "spiffe://example.org/a") == nil })
	st, err := js.Stream(ctx, "KV_later")
	if err != nil {
		t.Fatal(err)
	}
	sc := st.CachedInfo().Config
	sc.AllowMsgTTL = true
	if _, err := js.UpdateStream(ctx, sc); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool {
		return errors.Is(s.Check(natskill.KindJob, "spiffe://example.org/a"), natskill.ErrStale)
	})
}
