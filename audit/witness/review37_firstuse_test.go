package witness_test

import (
	"errors"
	"strconv"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/witness"
)

// A witness that lost its state (a store that did not survive a restart, a
// deleted key) trusts the next checkpoint of a log on first use, whatever
// the log did meanwhile. That trust was only a Warn log line: a node that
// rolled back or forked its log across the loss left nothing in the audit
// trail. Every first use is now an audit event, recorded before the state
// is saved.
func TestReview37FirstUseIsAudited(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		forge   func(t testing.TB, n *node) *node
		lost    bool // a witness accepted the node's checkpoint of size 10, then lost its state
		size    uint64
		oldSize uint64
	}{
		{"fresh log", func(_ testing.TB, n *node) *node { return n }, false, 10, 0},
		{"rolled back, submitted as new", func(t testing.TB, n *node) *node {
			f := forged(t, n, 6)
			f.prev = audit.Checkpoint{}
			return f
		}, true, 6, 0},
		{"rewritten, proved from the lost state", func(t testing.TB, n *node) *node { return forged(t, n, 14, 4) }, true, 14, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := newNode(t, origin, key(1))
			n.append(0, 10)
			if tc.lost {
				before, _ := newWitness(t, witness.NewMemoryStore())
				if _, err := before.Add(t.Context(), origin, n.submit()); err != nil {
					t.Fatal(err)
				}
			}
			w, rec := newWitness(t, witness.NewMemoryStore())
			res, err := w.Add(t.Context(), origin, tc.forge(t, n).submit())
			if err != nil || !res.First || res.Checkpoint.Size != tc.size {
				t.Fatalf("Add = %+v, %v; want first use of size %d", res, err, tc.size)
			}
			evs := rec.Events()
			if len(evs) != 1 {
				t.Fatalf("audited %v, want one %s", rec.Actions(), witness.ActionFirstUse)
			}
			e := evs[0]
			if e.Action != witness.ActionFirstUse || e.Outcome != audit.OutcomeAllow || e.Source != witness.Source ||
				e.Resource != origin || e.Actor.ID != origin ||
				e.Attributes[witness.AttrSize] != strconv.FormatUint(tc.size, 10) ||
				e.Attributes[witness.AttrOldSize] != strconv.FormatUint(tc.oldSize, 10) ||
				e.Attributes[witness.AttrRoot] == "" {
				t.Fatalf("event %+v", e)
			}
		})
	}
}

// When the first use cannot be audited, nothing is accepted: the
// submission is redelivered and decided once the sink answers.
func TestReview37FirstUseUnrecordedIsNotAccepted(t *testing.T) {
	t.Parallel()
	store := witness.NewMemoryStore()
	w, rec := newWitness(t, store)
	n := newNode(t, origin, key(1))
	n.append(0, 3)
	body := n.submit()
	rec.Fail(errors.New("sink down"))
	if _, err := w.Add(t.Context(), origin, body); !errors.Is(err, witness.ErrUnrecorded) || errors.Is(err, witness.ErrRejected) {
		t.Fatalf("Add = %v, want ErrUnrecorded", err)
	}
	if signed, _, err := store.Load(t.Context(), origin); err != nil || signed != nil {
		t.Fatalf("state saved although its first use was not audited: %q, %v", signed, err)
	}
	rec.Fail(nil)
	if res, err := w.Add(t.Context(), origin, body); err != nil || !res.First {
		t.Fatalf("after recovery: %+v, %v", res, err)
	}
	n.append(3, 5)
	if res, err := w.Add(t.Context(), origin, n.submit()); err != nil || res.First {
		t.Fatalf("next checkpoint: %+v, %v", res, err)
	}
	if got := rec.Actions(); len(got) != 1 || got[0] != witness.ActionFirstUse {
		t.Fatalf("audited %v, want one %s", got, witness.ActionFirstUse)
	}
}
