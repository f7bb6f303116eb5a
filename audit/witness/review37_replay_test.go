package witness_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ztci/ztci/audit/witness"
)

// plainStore is a Store that keeps no positions (a vendor's store written
// before PositionStore).
type plainStore struct{ s *witness.MemoryStore }

func (p plainStore) Load(ctx context.Context, origin string) ([]byte, uint64, error) {
	return p.s.Load(ctx, origin)
}

func (p plainStore) Save(ctx context.Context, origin string, signed []byte, rev uint64) (uint64, error) {
	return p.s.Save(ctx, origin, signed, rev)
}

// TestReview37ReplayIsRecognised: a transport replaying its log from the
// start (a new or reset consumer, a lost ack) handed the witness every old
// checkpoint of a node again, and each was flagged as a rollback of an
// honest node. A submission at or before the position of the checkpoint
// accepted last is now recognised as witnessed already; one stored later
// with an old checkpoint (a real rollback, a fork at an old size) is still
// flagged, as is anything from another log incarnation or through a store
// that keeps no positions.
func TestReview37ReplayIsRecognised(t *testing.T) {
	t.Parallel()
	const log = "CHECKPOINTS@1"
	at := func(seq uint64) witness.Position { return witness.Position{Log: log, Seq: seq} }
	tests := []struct {
		name   string
		store  func(m *witness.MemoryStore) witness.Store
		replay func(first, second, fork []byte) (body []byte, pos witness.Position)
		want   error // nil: Replayed
	}{
		{"old checkpoint at its own position", nil, func(first, _, _ []byte) ([]byte, witness.Position) { return first, at(3) }, nil},
		{"last checkpoint at its position (lost ack)", nil, func(_, second, _ []byte) ([]byte, witness.Position) { return second, at(7) }, nil},
		{"old checkpoint published anew", nil, func(first, _, _ []byte) ([]byte, witness.Position) { return first, at(8) }, witness.ErrRollback},
		{"fork at an old size published anew", nil, func(_, _, fork []byte) ([]byte, witness.Position) { return fork, at(9) }, witness.ErrMisbehaviour},
		{"another log incarnation", nil, func(first, _, _ []byte) ([]byte, witness.Position) {
			return first, witness.Position{Log: "CHECKPOINTS@2", Seq: 3}
		}, witness.ErrRollback},
		{"no position", nil, func(first, _, _ []byte) ([]byte, witness.Position) { return first, witness.Position{} }, witness.ErrRollback},
		{"store without positions", func(m *witness.MemoryStore) witness.Store { return plainStore{m} },
			func(first, _, _ []byte) ([]byte, witness.Position) { return first, at(3) }, witness.ErrRollback},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mem := witness.NewMemoryStore()
			var store witness.Store = mem
			if tc.store != nil {
				store = tc.store(mem)
			}
			w, _ := newWitness(t, store)
			n := newNode(t, origin, key(1))
			n.append(0, 3)
			first := n.submit()
			fork := forged(t, n, 2, 1).submit()
			n.append(3, 7)
			second := n.submit()
			if _, err := w.AddAt(t.Context(), origin, first, at(3)); err != nil {
				t.Fatal(err)
			}
			if _, err := w.AddAt(t.Context(), origin, second, at(7)); err != nil {
				t.Fatal(err)
			}
			// A new witness on the persisted state, as after a restart.
			w2, rec := newWitness(t, store)
			body, pos := tc.replay(first, second, fork)
			res, err := w2.AddAt(t.Context(), origin, body, pos)
			if tc.want == nil {
				if err != nil || !res.Replayed || res.Checkpoint.Size != 7 {
					t.Fatalf("AddAt = %+v, %v; want replayed, state size 7", res, err)
				}
				if got := rec.Actions(); len(got) != 0 {
					t.Fatalf("audited %v", got)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("AddAt = %+v, %v; want %v", res, err, tc.want)
			}
		})
	}
}

// TestReview37PositionKeptWithState: the position is stored in the same
// write as the checkpoint, and a plain Save (or Add) removes it, so a
// stored position always belongs to the stored checkpoint.
func TestReview37PositionKeptWithState(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	mem := witness.NewMemoryStore()
	w, _ := newWitness(t, mem)
	if !w.KeepsPositions() {
		t.Fatal("a witness on a MemoryStore keeps no positions")
	}
	if w2, _ := newWitness(t, plainStore{mem}); w2.KeepsPositions() {
		t.Fatal("a witness on a plain Store claims to keep positions")
	}
	n := newNode(t, origin, key(1))
	n.append(0, 3)
	pos := witness.Position{Log: "S@1", Seq: 5}
	if _, err := w.AddAt(ctx, origin, n.submit(), pos); err != nil {
		t.Fatal(err)
	}
	signed, got, rev, err := mem.LoadPosition(ctx, origin)
	if err != nil || signed == nil || got != pos || rev == 0 {
		t.Fatalf("LoadPosition = %d bytes, %+v, %d, %v", len(signed), got, rev, err)
	}
	n.append(3, 5)
	if _, err := w.Add(ctx, origin, n.submit()); err != nil {
		t.Fatal(err)
	}
	if _, got, _, _ := mem.LoadPosition(ctx, origin); !got.IsZero() {
		t.Fatalf("position %+v kept after a save without one", got)
	}
}

// TestReview37ReplayOnSharedStore: two witnesses share a store (two
// followers). One is behind: its cached state is older than what the
// other accepted since. A submission the other accepted past, delivered
// to it, looked like a gap against its cache, and then, against the state
// reloaded, like a rollback: a false flag. It is now recognised as
// witnessed (by the other) once the state is reloaded.
func TestReview37ReplayOnSharedStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	at := func(seq uint64) witness.Position { return witness.Position{Log: "S@1", Seq: seq} }
	store := witness.NewMemoryStore()
	behind, rec := newWitness(t, store)
	ahead, _ := newWitness(t, store)
	n := newNode(t, origin, key(1))
	var subs [][]byte
	for i := range 4 {
		n.append(i*3, i*3+3)
		subs = append(subs, n.submit())
	}
	if _, err := behind.AddAt(ctx, origin, subs[0], at(3)); err != nil {
		t.Fatal(err)
	}
	for i, seq := range []uint64{3, 7, 9, 11} {
		if _, err := ahead.AddAt(ctx, origin, subs[i], at(seq)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := behind.AddAt(ctx, origin, subs[2], at(9))
	if err != nil || !res.Replayed || res.Checkpoint.Size != 12 {
		t.Fatalf("AddAt = %+v, %v; want replayed", res, err)
	}
	if got := flagActions(rec); len(got) != 0 {
		t.Fatalf("flags: %v", got)
	}
	// Published anew, the same checkpoint is a rollback.
	if _, err := behind.AddAt(ctx, origin, subs[2], at(12)); !errors.Is(err, witness.ErrRollback) {
		t.Fatalf("old checkpoint published anew: %v, want ErrRollback", err)
	}
}
