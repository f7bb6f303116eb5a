package witness_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/witness"
)

const origin = "example.com/ztci/audit/node-1"

func key(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(append(make([]byte, 31), seed))
}

// node is a log and the checkpoint it last submitted.
type node struct {
	t    testing.TB
	log  *audit.Log
	prev audit.Checkpoint
}

func newNode(t testing.TB, origin string, k ed25519.PrivateKey) *node {
	t.Helper()
	l, err := audit.Open(t.Context(), filepath.Join(t.TempDir(), "audit.log"), origin, k, audit.WithoutSyncUnsafe())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return &node{t: t, log: l}
}

func event(i int) audit.Event {
	return audit.Event{
		ID: fmt.Sprintf("ev-%d", i), Time: time.Date(2026, 12, 5, 10, 0, i, 0, time.UTC), Source: "ztci/test",
		Action: "secrets.lease.issue", Outcome: audit.OutcomeAllow, Actor: audit.Actor{ID: "spiffe://example.org/ci/runner"},
	}
}

// append adds events from..to-1 (event(i) or, for i in replace, a forged one).
func (n *node) append(from, to int, replace ...int) {
	n.t.Helper()
	for i := from; i < to; i++ {
		e := event(i)
		if slices.Contains(replace, i) {
			e.Outcome = audit.OutcomeDeny
		}
		if _, err := n.log.Append(n.t.Context(), e); err != nil {
			n.t.Fatal(err)
		}
	}
}

// submit prepares a submission from the node's previous one and records
// the new checkpoint as the previous one.
func (n *node) submit() []byte {
	n.t.Helper()
	s, cp, err := witness.Prepare(n.t.Context(), n.log, n.prev)
	if err != nil {
		n.t.Fatal(err)
	}
	n.prev = cp
	return s.Marshal()
}

func newWitness(t testing.TB, store witness.Store, opts ...witness.Option) (*witness.Witness, *audittest.Recorder) {
	t.Helper()
	rec := audittest.NewRecorder()
	w, err := witness.New([]*audit.Verifier{verifier(t, origin, key(1)), verifier(t, "example.com/ztci/audit/node-2", key(2))}, store, rec, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return w, rec
}

// flagActions is the actions rec recorded but the first-use events
// (Outcome allow, see witness.ActionFirstUse): the witness's flags.
func flagActions(rec *audittest.Recorder) []string {
	var out []string
	for _, e := range rec.Events() {
		if e.Action != witness.ActionFirstUse {
			out = append(out, e.Action)
		}
	}
	return out
}

func verifier(t testing.TB, origin string, k ed25519.PrivateKey) *audit.Verifier {
	t.Helper()
	v, err := audit.NewVerifier(origin, k.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestHonestAppendsAreNeverFlagged(t *testing.T) {
	t.Parallel()
	w, rec := newWitness(t, witness.NewMemoryStore())
	n := newNode(t, origin, key(1))
	for round := range 40 {
		n.append(round*round, (round+1)*(round+1))
		res, err := w.Add(t.Context(), origin, n.submit())
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if res.First != (round == 0) || res.Duplicate || res.Checkpoint.Size != uint64((round+1)*(round+1)) {
			t.Fatalf("round %d: %+v", round, res)
		}
	}
	// A checkpoint submitted while nothing was appended is the same one:
	// a duplicate, not a fork.
	res, err := w.Add(t.Context(), origin, n.submit())
	if err != nil || !res.Duplicate {
		t.Fatalf("resubmission: %+v, %v", res, err)
	}
	if got := flagActions(rec); len(got) != 0 {
		t.Fatalf("honest log flagged: %v", got)
	}
}

// An empty log is witnessed at size 0 (the empty tree); its entries then
// extend that checkpoint.
func TestEmptyLogThenAppends(t *testing.T) {
	t.Parallel()
	w, rec := newWitness(t, witness.NewMemoryStore())
	n := newNode(t, origin, key(1))
	if res, err := w.Add(t.Context(), origin, n.submit()); err != nil || res.Checkpoint.Size != 0 || !res.First {
		t.Fatalf("empty log: %+v, %v", res, err)
	}
	for _, to := range []int{1, 1, 5} {
		n.append(int(n.log.Size()), to)
		if res, err := w.Add(t.Context(), origin, n.submit()); err != nil || res.Checkpoint.Size != uint64(to) {
			t.Fatalf("size %d: %+v, %v", to, res, err)
		}
	}
	if got := flagActions(rec); len(got) != 0 {
		t.Fatalf("flags: %v", got)
	}
}

func TestRedeliveryIsIdempotent(t *testing.T) {
	t.Parallel()
	w, rec := newWitness(t, witness.NewMemoryStore())
	n := newNode(t, origin, key(1))
	n.append(0, 3)
	first := n.submit()
	n.append(3, 7)
	second := n.submit()
	for _, b := range [][]byte{first, second} {
		if _, err := w.Add(t.Context(), origin, b); err != nil {
			t.Fatal(err)
		}
	}
	res, err := w.Add(t.Context(), origin, second)
	if err != nil || !res.Duplicate || res.Checkpoint.Size != 7 {
		t.Fatalf("redelivered: %+v, %v", res, err)
	}
	if got := flagActions(rec); len(got) != 0 {
		t.Fatalf("flags: %v", got)
	}
	// An old submission delivered after a newer one claims the log was
	// smaller: a rollback as far as anyone can tell.
	if _, err := w.Add(t.Context(), origin, first); !errors.Is(err, witness.ErrRollback) {
		t.Fatalf("stale submission: %v, want ErrRollback", err)
	}
}

// forged rebuilds the node's log as an attacker holding its key would:
// a fresh log, same origin and key, with the given entries.
func forged(t testing.TB, honest *node, entries int, replace ...int) *node {
	t.Helper()
	f := newNode(t, origin, key(1))
	f.append(0, entries, replace...)
	f.prev = honest.prev // the node publishes on from what it published
	return f
}

func TestTamperingIsFlagged(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		forge  func(t testing.TB, n *node) *node
		want   error
		action string
	}{
		{"entry rewritten, same size", func(t testing.TB, n *node) *node { return forged(t, n, 10, 4) }, witness.ErrFork, witness.ActionFork},
		{"entry rewritten, log grew", func(t testing.TB, n *node) *node { return forged(t, n, 15, 4) }, witness.ErrFork, witness.ActionFork},
		{"last entry rewritten, log grew", func(t testing.TB, n *node) *node { return forged(t, n, 11, 9) }, witness.ErrFork, witness.ActionFork},
		{"truncated", func(t testing.TB, n *node) *node { return forged(t, n, 6) }, witness.ErrRollback, witness.ActionRollback},
		{"truncated, submitted as new", func(t testing.TB, n *node) *node {
			f := forged(t, n, 6)
			f.prev = audit.Checkpoint{}
			return f
		}, witness.ErrRollback, witness.ActionRollback},
		{"truncated then regrown past", func(t testing.TB, n *node) *node { return forged(t, n, 14, 6, 7, 8, 9) }, witness.ErrFork, witness.ActionFork},
		{"checkpoint withheld", func(t testing.TB, n *node) *node {
			n.append(10, 12)
			n.submit() // never delivered
			n.append(12, 13)
			return n
		}, witness.ErrGap, witness.ActionGap},
		{"no proof", func(t testing.TB, n *node) *node {
			n.append(10, 12)
			n.prev = audit.Checkpoint{}
			return n
		}, witness.ErrMissingProof, witness.ActionGap},
		{"signed by another key", func(t testing.TB, n *node) *node {
			f := newNode(t, origin, key(9))
			f.append(0, 12)
			f.prev = n.prev
			return f
		}, witness.ErrBadSignature, witness.ActionBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var flagged []*witness.FlagError
			w, rec := newWitness(t, witness.NewMemoryStore(), witness.WithOnFlag(func(_ context.Context, f *witness.FlagError) error {
				flagged = append(flagged, f)
				return nil
			}))
			n := newNode(t, origin, key(1))
			n.append(0, 10)
			if _, err := w.Add(t.Context(), origin, n.submit()); err != nil {
				t.Fatal(err)
			}
			accepted := n.prev
			bad := tc.forge(t, n)
			_, err := w.Add(t.Context(), origin, bad.submit())
			if !errors.Is(err, tc.want) || !errors.Is(err, witness.ErrRejected) {
				t.Fatalf("Add = %v, want %v", err, tc.want)
			}
			var fe *witness.FlagError
			if !errors.As(err, &fe) || fe.Origin != origin {
				t.Fatalf("error %T, want *FlagError for %s", err, origin)
			}
			if got := flagActions(rec); !slices.Equal(got, []string{tc.action}) {
				t.Fatalf("audited %v, want [%s]", got, tc.action)
			}
			evs := rec.Events()
			ev := evs[len(evs)-1]
			if ev.Source != witness.Source || ev.Outcome != audit.OutcomeDeny || ev.Resource != origin ||
				errors.Is(tc.want, witness.ErrMisbehaviour) && ev.Attributes[witness.AttrAcceptedSize] != "10" {
				t.Fatalf("event %+v", ev)
			}
			if len(flagged) != 1 || !errors.Is(flagged[0], tc.want) {
				t.Fatalf("callback got %v", flagged)
			}
			// The flag says what the witness held.
			if errors.Is(tc.want, witness.ErrMisbehaviour) && fe.Accepted.Size != accepted.Size {
				t.Fatalf("accepted size %d, want %d", fe.Accepted.Size, accepted.Size)
			}
		})
	}
}

func TestUnacceptableSubmissions(t *testing.T) {
	t.Parallel()
	n := newNode(t, origin, key(1))
	n.append(0, 3)
	good := n.submit()
	other := newNode(t, "example.com/ztci/audit/node-2", key(2))
	other.append(0, 2)
	tests := []struct {
		name   string
		origin string
		body   []byte
		want   error
		action string
	}{
		{"unknown origin", "example.com/elsewhere", good, witness.ErrUnknownOrigin, witness.ActionUnknownOrigin},
		{"another node's checkpoint", "example.com/ztci/audit/node-2", good, witness.ErrOriginMismatch, witness.ActionOriginMismatch},
		{"node-2 under node-1", origin, other.submit(), witness.ErrOriginMismatch, witness.ActionOriginMismatch},
		{"garbage", origin, []byte("hello"), witness.ErrMalformed, witness.ActionMalformed},
		{"unsigned", origin, []byte("old 0\n\n" + origin + "\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"), witness.ErrBadSignature, witness.ActionBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w, rec := newWitness(t, witness.NewMemoryStore())
			if _, err := w.Add(t.Context(), tc.origin, tc.body); !errors.Is(err, tc.want) {
				t.Fatalf("Add = %v, want %v", err, tc.want)
			}
			if got := rec.Actions(); !slices.Equal(got, []string{tc.action}) {
				t.Fatalf("audited %v, want [%s]", got, tc.action)
			}
		})
	}
}

func TestRestartedWitnessKeepsItsState(t *testing.T) {
	t.Parallel()
	store := witness.NewMemoryStore()
	w, _ := newWitness(t, store)
	n := newNode(t, origin, key(1))
	n.append(0, 8)
	if _, err := w.Add(t.Context(), origin, n.submit()); err != nil {
		t.Fatal(err)
	}
	// A new witness on the same store is not trusting on first use again:
	// a truncated log submitted as if new is a rollback.
	w2, rec := newWitness(t, store)
	f := forged(t, n, 5)
	f.prev = audit.Checkpoint{}
	if _, err := w2.Add(t.Context(), origin, f.submit()); !errors.Is(err, witness.ErrRollback) {
		t.Fatalf("after restart: %v, want ErrRollback", err)
	}
	if len(rec.Events()) != 1 {
		t.Fatalf("audited %v", rec.Actions())
	}
	n.append(8, 9)
	if res, err := w2.Add(t.Context(), origin, n.submit()); err != nil || res.First {
		t.Fatalf("honest after restart: %+v, %v", res, err)
	}
}

// failingStore fails Load or Save, or returns a stored value it was told to.
type failingStore struct {
	witness.Store
	load, save error
	corrupt    []byte
}

func (s *failingStore) Load(ctx context.Context, origin string) ([]byte, uint64, error) {
	if s.load != nil {
		return nil, 0, s.load
	}
	if s.corrupt != nil {
		return s.corrupt, 1, nil
	}
	return s.Store.Load(ctx, origin)
}

func (s *failingStore) Save(ctx context.Context, origin string, signed []byte, rev uint64) (uint64, error) {
	if s.save != nil {
		return 0, s.save
	}
	return s.Store.Save(ctx, origin, signed, rev)
}

func TestCannotDecide(t *testing.T) {
	t.Parallel()
	n := newNode(t, origin, key(1))
	n.append(0, 3)
	body := n.submit()
	other := newNode(t, origin, key(7))
	other.append(0, 1)
	otherCP, _ := other.log.Checkpoint(t.Context())
	down := errors.New("engine down")
	tests := []struct {
		name  string
		store *failingStore
		want  error
	}{
		{"load fails", &failingStore{load: down}, witness.ErrUnavailable},
		{"save fails", &failingStore{save: down}, witness.ErrUnavailable},
		{"save conflicts", &failingStore{save: witness.ErrConflict}, witness.ErrConflict},
		{"state signed by another key", &failingStore{corrupt: otherCP.Signed}, witness.ErrStateCorrupt},
		{"state not a checkpoint", &failingStore{corrupt: []byte("junk")}, witness.ErrStateCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.store.Store = witness.NewMemoryStore()
			w, rec := newWitness(t, tc.store)
			_, err := w.Add(t.Context(), origin, body)
			if !errors.Is(err, tc.want) || !errors.Is(err, witness.ErrUndecided) || errors.Is(err, witness.ErrRejected) {
				t.Fatalf("Add = %v, want %v (undecided)", err, tc.want)
			}
			if got := flagActions(rec); len(got) != 0 {
				t.Fatalf("audited %v", got)
			}
			// Once the engine answers again, the same submission is decided.
			tc.store.load, tc.store.save, tc.store.corrupt = nil, nil, nil
			if _, err := w.Add(t.Context(), origin, body); err != nil {
				t.Fatalf("after recovery: %v", err)
			}
		})
	}
}

func TestUnrecordedFlagIsRetried(t *testing.T) {
	t.Parallel()
	calls := 0
	cbErr := errors.New("kill switch unavailable")
	w, rec := newWitness(t, witness.NewMemoryStore(), witness.WithOnFlag(func(context.Context, *witness.FlagError) error {
		calls++
		if calls == 1 {
			return cbErr
		}
		return nil
	}))
	n := newNode(t, origin, key(1))
	n.append(0, 4)
	if _, err := w.Add(t.Context(), origin, n.submit()); err != nil {
		t.Fatal(err)
	}
	bad := forged(t, n, 4, 1).submit()
	_, err := w.Add(t.Context(), origin, bad)
	if !errors.Is(err, witness.ErrUnrecorded) || !errors.Is(err, witness.ErrFork) || !errors.Is(err, cbErr) {
		t.Fatalf("callback failure: %v", err)
	}
	rec.Fail(errors.New("disk full"))
	if _, err := w.Add(t.Context(), origin, bad); !errors.Is(err, witness.ErrUnrecorded) {
		t.Fatalf("sink failure: %v", err)
	}
	rec.Fail(nil)
	if _, err := w.Add(t.Context(), origin, bad); !errors.Is(err, witness.ErrFork) || errors.Is(err, witness.ErrUndecided) {
		t.Fatalf("recovered: %v", err)
	}
	if calls != 2 {
		t.Fatalf("callback called %d times, want 2", calls)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	v := verifier(t, origin, key(1))
	store, sink := witness.NewMemoryStore(), audittest.NewRecorder()
	tests := []struct {
		name string
		vs   []*audit.Verifier
		st   witness.Store
		sk   audit.Sink
		opts []witness.Option
	}{
		{"no verifiers", nil, store, sink, nil},
		{"nil verifier", []*audit.Verifier{nil}, store, sink, nil},
		{"origin twice", []*audit.Verifier{v, v}, store, sink, nil},
		{"no store", []*audit.Verifier{v}, nil, sink, nil},
		{"no sink", []*audit.Verifier{v}, store, nil, nil},
		{"nil option", []*audit.Verifier{v}, store, sink, []witness.Option{nil}},
		{"nil logger", []*audit.Verifier{v}, store, sink, []witness.Option{witness.WithLogger(nil)}},
		{"nil clock", []*audit.Verifier{v}, store, sink, []witness.Option{witness.WithClock(nil)}},
		{"nil callback", []*audit.Verifier{v}, store, sink, []witness.Option{witness.WithOnFlag(nil)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := witness.New(tc.vs, tc.st, tc.sk, tc.opts...); !errors.Is(err, witness.ErrConfig) {
				t.Fatalf("New = %v, want ErrConfig", err)
			}
		})
	}
}
