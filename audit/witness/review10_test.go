package witness_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/witness"
)

// A submission the transport cannot attribute to any origin (natswitness
// hands the witness "" for a subject that names none) is flagged once as
// an unknown origin and recorded, like any other unknown origin. Its flag
// event named the empty origin as its actor, which no sink records
// (Actor.ID is required): Add returned ErrUnrecorded for ever, and the
// natswitness follower, one submission at a time, redelivered it for ever
// and witnessed nothing else.
func TestReview10EmptyOriginIsFlaggedAndRecorded(t *testing.T) {
	t.Parallel()
	n := newNode(t, origin, key(1))
	n.append(0, 2)
	w, rec := newWitness(t, witness.NewMemoryStore())
	_, err := w.Add(t.Context(), "", n.submit())
	if !errors.Is(err, witness.ErrUnknownOrigin) || errors.Is(err, witness.ErrUndecided) {
		t.Fatalf("Add with no origin = %v, want a recorded ErrUnknownOrigin flag", err)
	}
	evs := rec.Events()
	if len(evs) != 1 || evs[0].Action != witness.ActionUnknownOrigin {
		t.Fatalf("audited %v, want one %s", rec.Actions(), witness.ActionUnknownOrigin)
	}
}

// An unknown origin is never recorded, nor reported to WithOnFlag, under
// the name of a configured one: one of more than 256 bytes was cut to its
// first 256, which could be a configured origin's whole name, so the flag
// of a stranger's submission named that node (and a callback marking the
// flagged node marked it).
func TestReview10UnknownOriginNeverNamesAConfiguredOne(t *testing.T) {
	t.Parallel()
	long := "example.com/" + strings.Repeat("n", 256-len("example.com/"))
	var flagged []string
	rec := audittest.NewRecorder()
	w, err := witness.New([]*audit.Verifier{verifier(t, long, key(1))}, witness.NewMemoryStore(), rec,
		witness.WithOnFlag(func(_ context.Context, f *witness.FlagError) error {
			flagged = append(flagged, f.Origin)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	n := newNode(t, long, key(1))
	n.append(0, 2)
	for _, stranger := range []string{long + "x", long[:255] + "\xff"} {
		if _, err := w.Add(t.Context(), stranger, n.submit()); !errors.Is(err, witness.ErrUnknownOrigin) {
			t.Fatalf("Add(%q) = %v, want ErrUnknownOrigin", stranger, err)
		}
	}
	for i, e := range rec.Events() {
		if e.Actor.ID == long || e.Resource == long || flagged[i] == long {
			t.Fatalf("flag %d of an unknown origin names the configured origin: actor %q, callback %q", i, e.Actor.ID, flagged[i])
		}
	}
	if len(flagged) != 2 {
		t.Fatalf("flagged %d, want 2", len(flagged))
	}
}

// Two witnesses sharing one store (one durable consumer served by two
// followers, each submission decided by whichever takes it) decide each
// submission against the state in the store, not against what each last
// decided itself. Each kept the checkpoint it had last seen as a cache and
// read the store again only when a save conflicted, so a flag or a
// duplicate was decided on a stale state: an honest node's next checkpoint
// was a gap (its proof starts from the checkpoint the other witness
// accepted), and a node that had rolled back re-submitting a checkpoint
// this witness last saw was a duplicate, accepted.
func TestReview10SharedStoreWitnessesDecideOnTheStoredState(t *testing.T) {
	t.Parallel()
	store := witness.NewMemoryStore()
	a, recA := newWitness(t, store)
	b, recB := newWitness(t, store)
	n := newNode(t, origin, key(1))
	add := func(w *witness.Witness, body []byte) (witness.Result, error) {
		return w.Add(t.Context(), origin, body)
	}

	n.append(0, 3)
	if _, err := add(a, n.submit()); err != nil {
		t.Fatal(err)
	}
	n.append(3, 5)
	if _, err := add(b, n.submit()); err != nil {
		t.Fatal(err)
	}
	n.append(5, 9)
	third := n.submit()
	if res, err := add(a, third); err != nil || res.Checkpoint.Size != 9 {
		t.Fatalf("honest checkpoint after the other witness's: %+v, %v (flags %v)", res, err, recA.Actions())
	}

	// a now holds size 9; b accepts size 12; the node then re-submits the
	// size-9 checkpoint (its log cut back) to a.
	n.append(9, 12)
	if _, err := add(b, n.submit()); err != nil {
		t.Fatal(err)
	}
	if res, err := add(a, third); !errors.Is(err, witness.ErrRollback) {
		t.Fatalf("old checkpoint after the other witness accepted a newer one: %+v, %v, want ErrRollback", res, err)
	}
	if got := append(flagActions(recA), flagActions(recB)...); len(got) != 1 || got[0] != witness.ActionRollback {
		t.Fatalf("flags %v, want one rollback", got)
	}
}
