package witness_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/witness"
)

// FuzzReview32Add fuzzes the whole decision of Witness.Add, past the
// framing that FuzzParseSubmission covers: signature, the state held,
// and the consistency proof, with a witness that holds the honest log's
// checkpoint of 5 entries. The seeds include the honest next submission
// (13 entries), a fork of the held entries signed with the same key, a rollback and a
// submission with a gap. Properties:
//   - every error wraps ErrRejected (and then was audited) or ErrUndecided;
//   - what is accepted is never smaller than the state held, and a
//     checkpoint accepted at size 13 is one of a log extending the held
//     one: a fork of the 5 entries the witness saw is never accepted.
func FuzzReview32Add(f *testing.F) {
	honest := newNode(f, origin, key(1))
	honest.append(0, 5)
	first := honest.submit()
	held := honest.prev
	honest.append(5, 13)
	next := honest.submit()
	want13 := honest.prev.Root
	fork := forged(f, &node{t: f, prev: held}, 13, 2) // diverges inside the held 5
	// A fork after the held size is an extension as far as the witness
	// can tell: the only other root it may accept at 13.
	later := forged(f, &node{t: f, prev: held}, 13, 7)
	later.submit()
	forkLater13 := later.prev.Root
	rollback := forged(f, &node{t: f, prev: held}, 3)
	gap := forged(f, &node{t: f, prev: audit.Checkpoint{}}, 13)
	for _, s := range [][]byte{next, first, fork.submit(), rollback.submit(), gap.submit(), []byte("old 5\n\n")} {
		f.Add(s)
	}
	f.Add(bytes.Replace(next, []byte("old 5"), []byte("old 4"), 1))
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx := context.Background()
		w, rec := newWitness(t, witness.NewMemoryStore())
		if _, err := w.Add(ctx, origin, first); err != nil {
			t.Fatalf("seeding the witness: %v", err)
		}
		before := len(rec.Events())
		res, err := w.Add(ctx, origin, body)
		switch {
		case errors.Is(err, witness.ErrRejected):
			if len(rec.Events()) != before+1 {
				t.Fatalf("rejection %v recorded %d events", err, len(rec.Events())-before)
			}
			return
		case errors.Is(err, witness.ErrUndecided):
			return
		case err != nil:
			t.Fatalf("error outside the hierarchy: %v", err)
		}
		cp := res.Checkpoint
		if cp.Size < held.Size {
			t.Fatalf("accepted size %d below the held %d", cp.Size, held.Size)
		}
		if cp.Size == 13 && !bytes.Equal(cp.Root, want13) && !bytes.Equal(cp.Root, forkLater13) {
			t.Fatal("accepted a fork of the entries the witness saw committed")
		}
	})
}
