package natskeys_test

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/identity/oidc/natskeys"
	"github.com/ztci/ztci/internal/itest"
)

// The snapshot judged a delete marker's age with time.Since (the wall
// clock) and purged through kv.PurgeDeletes (the wall clock again), not
// the clock given by WithClock: a replica on a test or corrected clock
// purged markers at the wrong time. With the store's clock an hour ahead,
// the marker is old and its first read must purge it; a record written
// on another key stays.
func TestReview25MarkerAgeUsesConfiguredClock(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx := t.Context()
	first := newStore(t, js, natskeys.WithBucket("markers"))
	_ = first.Close()
	kv, err := js.KeyValue(ctx, "markers")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "gone", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := kv.Delete(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Now().Add(time.Hour)}
	newStore(t, js, natskeys.WithBucket("markers"), natskeys.WithClock(clk.Now))
	if _, err := kv.Get(ctx, "gone"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("Get of the deleted key: %v", err)
	}
	st, err := js.Stream(ctx, "KV_markers")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := info.State.Msgs; n != 0 {
		t.Fatalf("the bucket still holds %d messages: the delete marker (an hour old by the store's clock) was not purged", n)
	}
}
