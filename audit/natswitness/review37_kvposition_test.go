package natswitness_test

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit/natswitness"
	"github.com/ztci/ztci/audit/witness"
	"github.com/ztci/ztci/internal/itest"
)

// TestReview37KVStoreKeepsPositionWithState: the KV store keeps the stream
// position of the accepted checkpoint in the same write as the checkpoint
// (headers on the value's message), still compare-and-swap; a plain Save,
// as an older witness writes, removes it; a value written without one
// (an older version's state) reads with none; and a key deleted by the
// operator (the recovery after a flag) is created again, with a position.
func TestReview37KVStoreKeepsPositionWithState(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx := t.Context()
	s, err := natswitness.NewKVStore(ctx, js, "r37pos", 1)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, "r37pos")
	if err != nil {
		t.Fatal(err)
	}
	const origin = "example.com/ztci/audit/node-1"
	k := base64.RawURLEncoding.EncodeToString([]byte(origin))
	pos := witness.Position{Log: "CHECKPOINTS@1 ztci.checkpoints", Seq: 42}

	// An older version's state: a plain KV value.
	rev, err := kv.Create(ctx, k, []byte("state-1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if signed, got, r, err := s.LoadPosition(ctx, origin); err != nil || string(signed) != "state-1\n" || !got.IsZero() || r != rev {
		t.Fatalf("older state: %q, %+v, %d, %v", signed, got, r, err)
	}
	rev, err = s.SavePosition(ctx, origin, []byte("state-2\n"), pos, rev)
	if err != nil {
		t.Fatal(err)
	}
	if signed, got, r, err := s.LoadPosition(ctx, origin); err != nil || string(signed) != "state-2\n" || got != pos || r != rev {
		t.Fatalf("after SavePosition: %q, %+v, %d, %v", signed, got, r, err)
	}
	if e, err := kv.Get(ctx, k); err != nil || string(e.Value()) != "state-2\n" {
		t.Fatalf("the KV value is not the checkpoint alone: %v", err)
	}
	if _, err := s.SavePosition(ctx, origin, []byte("stale\n"), pos, rev-1); !errors.Is(err, witness.ErrConflict) {
		t.Fatalf("stale revision: %v, want ErrConflict", err)
	}
	if _, err := s.SavePosition(ctx, origin, []byte("stale\n"), pos, 0); !errors.Is(err, witness.ErrConflict) {
		t.Fatalf("create over a state: %v, want ErrConflict", err)
	}
	if _, err := s.Save(ctx, origin, []byte("state-3\n"), rev); err != nil {
		t.Fatal(err)
	}
	if _, got, _, err := s.LoadPosition(ctx, origin); err != nil || !got.IsZero() {
		t.Fatalf("plain Save kept position %+v (%v)", got, err)
	}

	// The operator deletes (or purges) the key: no state, then a create.
	for _, purge := range []bool{false, true} {
		if purge {
			err = kv.Purge(ctx, k)
		} else {
			err = kv.Delete(ctx, k)
		}
		if err != nil {
			t.Fatal(err)
		}
		if signed, _, r, err := s.LoadPosition(ctx, origin); err != nil || signed != nil || r != 0 {
			t.Fatalf("deleted key: %q, %d, %v", signed, r, err)
		}
		if rev, err = s.SavePosition(ctx, origin, []byte("state-4\n"), pos, 0); err != nil {
			t.Fatalf("create over a deleted key (purge %v): %v", purge, err)
		}
		if _, got, r, err := s.LoadPosition(ctx, origin); err != nil || got != pos || r != rev {
			t.Fatalf("after create: %+v, %d, %v", got, r, err)
		}
	}

	// A checkpoint as large as a submission may carry (a node padding its
	// note with other keys' signature lines) is saved, with its position,
	// also in a bucket made by an older version, bounded to a submission's
	// size: the checkpoint was accepted and never saved, redelivered for
	// ever, and the follower, one submission at a time, stalled.
	big := make([]byte, witness.MaxSubmissionSize-len("old 0\n\n"))
	for i := range big {
		big[i] = 'x'
	}
	if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "r37old", History: 8, MaxValueSize: witness.MaxSubmissionSize, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	old, err := natswitness.NewKVStore(ctx, js, "r37old", 1)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*natswitness.KVStore{"new bucket": s, "older bucket": old} {
		_, _, rev, err := s.LoadPosition(ctx, origin)
		if err != nil {
			t.Fatal(err)
		}
		if rev, err = s.SavePosition(ctx, origin, big, pos, rev); err != nil {
			t.Fatalf("%s: largest checkpoint: %v", name, err)
		}
		if signed, got, r, err := s.LoadPosition(ctx, origin); err != nil || len(signed) != len(big) || got != pos || r != rev {
			t.Fatalf("%s: largest checkpoint: %d bytes, %+v, %d, %v", name, len(signed), got, r, err)
		}
	}
}
