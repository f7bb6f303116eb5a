package natslease_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/secrets/internal/leasetest"
	"github.com/ztci/ztci/secrets/natslease"
)

// A Claim whose claim key was written but whose rewrite of the lease
// record then failed (here: the server refuses the rewritten record as
// larger than the bucket's max value size; in the field, a timeout or a
// lost stream leader) returned an error, "nothing was claimed"
// (secrets.LeaseReclaimer), yet left its claim key behind: no reaper,
// this one included, could claim the dead owner's lease until the claim's
// ttl passed. A Claim that fails a lease must give its claim key back.
func TestReview32ClaimGivesBackAFailedClaim(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx := t.Context()
	reg, bucket := newRegistry(t, js, natslease.WithReplicas(1))
	if err := reg.Register(ctx, leasetest.Record("l1", "dead")); err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var size int
	for k := range keys.Keys() {
		if strings.HasPrefix(k, "l.") {
			e, err := kv.Get(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			size = len(e.Value())
		}
	}
	if size == 0 {
		t.Fatal("the lease record was not found in the bucket")
	}
	// The record with a short claimer fits (headers included); with a
	// 150-byte one it does not, though the 150-byte claim key does.
	if _, err := js.UpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket, History: 1, Replicas: 1,
		Storage: jetstream.FileStorage, LimitMarkerTTL: time.Minute, MaxValueSize: int32(size + 100)}); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("r", 150)
	if claims, err := reg.Claim(ctx, long, time.Hour, 10); err == nil || len(claims) != 0 {
		t.Fatalf("Claim by %d-byte claimer: %d claims, err %v; want an error and none", len(long), len(claims), err)
	}
	claims, err := reg.Claim(ctx, "r", time.Hour, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) != 1 || claims[0].Record.LeaseID != "l1" {
		t.Fatalf("after a failed Claim, the dead owner's lease is not claimable: %+v", claims)
	}
}
