package natswitness_test

import (
	"encoding/base64"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/ztci/ztci/audit/natswitness"
	"github.com/ztci/ztci/internal/itest"
)

// spyDirectGets counts the requests sent to JetStream's direct-get API,
// which any replica of a stream may answer, a lagging one included.
func spyDirectGets(t *testing.T, urls string) *nats.Subscription {
	t.Helper()
	nc, err := nats.Connect(urls)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	sub, err := nc.SubscribeSync("$JS.API.DIRECT.GET.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return sub
}

func directGets(t *testing.T, sub *nats.Subscription) int {
	t.Helper()
	n := 0
	for {
		if _, err := sub.NextMsg(200 * time.Millisecond); err != nil {
			return n
		}
		n++
	}
}

// A witness restarted on a fresh process loads each origin's state. A
// replica that lags behind (a node just back from a partition) would
// answer with an older checkpoint: a node's rollback to that checkpoint is
// then taken for a duplicate and acknowledged unflagged, and an honest next
// checkpoint is flagged as a gap. The state must be read from the bucket's
// stream leader, as the rest of the fleet's decisions are.
func TestReview7KVStoreLoadAsksTheLeader(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx := t.Context()
	s, err := natswitness.NewKVStore(ctx, js, "ztci_witness_r7", 1)
	if err != nil {
		t.Fatal(err)
	}
	const origin = "example.com/ztci/audit/node-1"
	rev, err := s.Save(ctx, origin, []byte("signed note 1"), 0)
	if err != nil {
		t.Fatal(err)
	}
	rev, err = s.Save(ctx, origin, []byte("signed note 2"), rev)
	if err != nil {
		t.Fatal(err)
	}
	spy := spyDirectGets(t, c.URLs())
	got, gotRev, err := s.Load(ctx, origin)
	if err != nil || string(got) != "signed note 2" || gotRev != rev {
		t.Fatalf("Load = %q, %d, %v; want the last save at revision %d", got, gotRev, err, rev)
	}
	if n := directGets(t, spy); n != 0 {
		t.Errorf("Load sent %d direct get(s), which a lagging replica may answer", n)
	}
	if got, gotRev, err := s.Load(ctx, "example.com/never-seen"); err != nil || got != nil || gotRev != 0 {
		t.Errorf("Load of an unknown origin = %q, %d, %v; want nothing", got, gotRev, err)
	}
	// A deleted state (the operator's recovery) reads as none, and the
	// next Save creates it again.
	kv, err := js.KeyValue(ctx, "ztci_witness_r7")
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Delete(ctx, natswitnessKey(origin)); err != nil {
		t.Fatal(err)
	}
	if got, gotRev, err := s.Load(ctx, origin); err != nil || got != nil || gotRev != 0 {
		t.Fatalf("Load of a deleted state = %q, %d, %v; want nothing", got, gotRev, err)
	}
	if _, err := s.Save(ctx, origin, []byte("signed note 3"), 0); err != nil {
		t.Fatalf("Save after delete: %v", err)
	}
}

// A restarted publisher reads its last checkpoint back. With a stream that
// allows direct gets (an operator's choice, not StreamConfig's), a lagging
// replica would answer with an older one, and the node's next submission
// would carry a proof from the wrong size: the witness flags an honest node.
func TestReview7PublisherReadsBackFromTheLeader(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx := t.Context()
	cfg := natswitness.StreamConfig(stream, natswitness.DefaultSubjectPrefix, 1)
	cfg.AllowDirect = true
	if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	l := openLog(t, filepath.Join(t.TempDir(), "audit.log"), 1, 0, 3)
	p, err := natswitness.NewPublisher(js, stream, l)
	if err != nil {
		t.Fatal(err)
	}
	first, err := p.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	appendEvents(t, l, 3, 5)
	spy := spyDirectGets(t, c.URLs())
	restarted, err := natswitness.NewPublisher(js, stream, l)
	if err != nil {
		t.Fatal(err)
	}
	next, err := restarted.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := directGets(t, spy); n != 0 {
		t.Errorf("the restarted publisher sent %d direct get(s), which a lagging replica may answer", n)
	}
	if next.Size != 5 || first.Size != 3 {
		t.Errorf("published sizes %d then %d, want 3 then 5", first.Size, next.Size)
	}
}

// natswitnessKey is the bucket key of an origin's state (unpadded base64url).
func natswitnessKey(origin string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(origin))
}
