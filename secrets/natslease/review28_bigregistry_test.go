package natslease_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/secrets/internal/leasetest"
	"github.com/ztci/ztci/secrets/natslease"
)

// Claim read every lease record into memory under one request timeout
// before claiming anything. A fleet with many outstanding leases (here
// tens of thousands held by live runners) could not be listed within the
// timeout: every Claim failed, and a dead runner's leases were never
// revoked, however long the reapers ran; and memory grew with the whole
// registry. Claim must make progress with the timeout bounding each step,
// not the whole scan, and stop reading once it holds max claims.
func TestReview28BigRegistryClaimsLapsedLease(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx := t.Context()
	bucket := fmt.Sprintf("big_%d", os.Getpid())
	setup, err := natslease.New(ctx, js, natslease.WithBucket(bucket), natslease.WithTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := setup.Heartbeat(ctx, "live", time.Hour); err != nil {
		t.Fatal(err)
	}
	const n = 40000
	for i := range n {
		rec := leasetest.Record(fmt.Sprintf("live-%06d", i), "live")
		data, err := json.Marshal(map[string]any{"v": 1, "lease_id": rec.LeaseID, "backend": rec.Backend, "name": rec.Name,
			"job_id": rec.JobID, "identity": rec.Identity, "owner": rec.Owner})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(rec.LeaseID))
		if i%1000 == 0 {
			select {
			case <-js.PublishAsyncComplete():
			case <-ctx.Done():
				t.Fatal(ctx.Err())
			}
		}
		if _, err := js.PublishAsync("$KV."+bucket+".l."+base64.RawURLEncoding.EncodeToString(sum[:]), data); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	dead := leasetest.Record("dead-0", "dead")
	if err := setup.Register(ctx, dead); err != nil {
		t.Fatal(err)
	}
	// Each request (one message of the listing, one heartbeat read, one
	// claim) gets far more than it needs; the whole listing gets far less.
	reaper, err := natslease.New(ctx, js, natslease.WithBucket(bucket), natslease.WithTimeout(250*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := reaper.Claim(ctx, "r1", time.Hour, 1)
	if err != nil {
		t.Fatalf("Claim over a registry of %d live leases: %v", n, err)
	}
	if len(cs) != 1 || cs[0].Record.LeaseID != dead.LeaseID {
		t.Fatalf("claimed %+v, want the dead owner's lease", cs)
	}
}
