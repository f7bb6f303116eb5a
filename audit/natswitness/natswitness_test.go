package natswitness_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natswitness"
	"github.com/ztci/ztci/audit/witness"
	"github.com/ztci/ztci/internal/itest"
)

const stream = "CHECKPOINTS"

func connect(t testing.TB, urls string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(urls, nats.DontRandomize(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
		nats.Timeout(time.Second), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func logger(t testing.TB, who string) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError})).With("who", who)
}

// eventually retries f until it succeeds, pausing between attempts: a
// stream or bucket just created on three nodes may still be electing its
// leader, and a cluster that lost a node re-elects.
func eventually[T any](t testing.TB, timeout time.Duration, f func() (T, error)) T {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v, err := f()
		if err == nil {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after %v: %v", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func nodeKey(i int) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(append(make([]byte, 31), byte(i)))
}

func originOf(i int) string { return fmt.Sprintf("example.com/ztci/audit/node-%d", i) }

func event(i int) audit.Event {
	return audit.Event{
		ID: fmt.Sprintf("ev-%d", i), Time: time.Date(2026, 12, 5, 10, 0, 0, i, time.UTC), Source: "ztci/test",
		Action: "secrets.lease.issue", Outcome: audit.OutcomeAllow, Actor: audit.Actor{ID: "spiffe://example.org/ci/runner"},
	}
}

// openLog opens a log of node i at path with events from..to-1 appended;
// events in forged are altered (a rewrite with the node's own key).
func openLog(t testing.TB, path string, i, from, to int, forged ...int) *audit.Log {
	t.Helper()
	l, err := audit.Open(t.Context(), path, originOf(i), nodeKey(i), audit.WithoutSyncUnsafe())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	appendEvents(t, l, from, to, forged...)
	return l
}

func appendEvents(t testing.TB, l *audit.Log, from, to int, forged ...int) {
	t.Helper()
	for j := from; j < to; j++ {
		e := event(j)
		if slices.Contains(forged, j) {
			e.Outcome = audit.OutcomeDeny
		}
		if _, err := l.Append(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
}

// recordingStore remembers every checkpoint the witness saved or found
// saved.
type recordingStore struct {
	witness.Store
	failSaves atomic.Int32 // the next saves that fail, as if the bucket were unreachable
	mu        sync.Mutex
	saved     map[string][]audit.Checkpoint
	v         map[string]*audit.Verifier
	note      chan struct{}
}

func (s *recordingStore) Save(ctx context.Context, origin string, signed []byte, rev uint64) (uint64, error) {
	if s.failSaves.Add(-1) >= 0 {
		return 0, errors.New("bucket unreachable")
	}
	r, err := s.Store.Save(ctx, origin, signed, rev)
	if err == nil {
		cp, _ := s.v[origin].Checkpoint(signed)
		s.mu.Lock()
		s.saved[origin] = append(s.saved[origin], cp)
		s.mu.Unlock()
		select {
		case s.note <- struct{}{}:
		default:
		}
	}
	return r, err
}

// Load records what the witness finds stored: a save whose answer was
// lost with a server may have stored the checkpoint, which the witness
// then reads back as its state.
func (s *recordingStore) Load(ctx context.Context, origin string) ([]byte, uint64, error) {
	signed, rev, err := s.Store.Load(ctx, origin)
	if err == nil && signed != nil {
		cp, _ := s.v[origin].Checkpoint(signed)
		s.mu.Lock()
		if n := len(s.saved[origin]); n == 0 || s.saved[origin][n-1].Size != cp.Size {
			s.saved[origin] = append(s.saved[origin], cp)
		}
		s.mu.Unlock()
	}
	return signed, rev, err
}

func (s *recordingStore) accepted(origin string) []audit.Checkpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.saved[origin])
}

func (s *recordingStore) latest(origin string) audit.Checkpoint {
	a := s.accepted(origin)
	if len(a) == 0 {
		return audit.Checkpoint{}
	}
	return a[len(a)-1]
}

type fleet struct {
	c        *itest.NATSCluster
	store    *recordingStore
	rec      *audittest.Recorder
	w        *witness.Witness
	follower *natswitness.Follower
	mu       sync.Mutex
	marks    []*witness.FlagError
}

// flags is what the witness audited but its first-use events (Outcome
// allow, witness.ActionFirstUse): the flags it raised.
func (f *fleet) flags() []string {
	var out []string
	for _, e := range f.rec.Events() {
		if e.Action != witness.ActionFirstUse {
			out = append(out, e.Action)
		}
	}
	return out
}

// startFleet starts a 3-node cluster, an R3 checkpoint stream, a witness
// for nodes 1..n with its state in an R3 bucket, and its follower on its
// own connection preferring the last NATS node.
func startFleet(t testing.TB, n int) *fleet {
	t.Helper()
	c := itest.StartNATSCluster(t, 3)
	js := connect(t, c.URLsFrom(2))
	ctx := t.Context()
	eventually(t, 30*time.Second, func() (jetstream.Stream, error) {
		return js.CreateOrUpdateStream(ctx, natswitness.StreamConfig(stream, natswitness.DefaultSubjectPrefix, 3))
	})
	kv := eventually(t, 30*time.Second, func() (*natswitness.KVStore, error) {
		return natswitness.NewKVStore(ctx, js, "ztci_witness", 3, natswitness.WithTimeout(2*time.Second))
	})
	f := &fleet{c: c, rec: audittest.NewRecorder()}
	f.store = &recordingStore{Store: kv, saved: map[string][]audit.Checkpoint{}, v: map[string]*audit.Verifier{}, note: make(chan struct{}, 1)}
	var vs []*audit.Verifier
	for i := 1; i <= n; i++ {
		v, err := audit.NewVerifier(originOf(i), nodeKey(i).Public().(ed25519.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
		f.store.v[v.Origin()] = v
	}
	w, err := witness.New(vs, f.store, f.rec, witness.WithLogger(logger(t, "witness")),
		witness.WithOnFlag(func(_ context.Context, fe *witness.FlagError) error {
			f.mu.Lock()
			f.marks = append(f.marks, fe)
			f.mu.Unlock()
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	f.w = w
	fol := eventually(t, 30*time.Second, func() (*natswitness.Follower, error) {
		return natswitness.Follow(ctx, js, stream, w, natswitness.WithTimeout(2*time.Second), natswitness.WithLogger(logger(t, "follower")))
	})
	t.Cleanup(func() { fol.Close() })
	f.follower = fol
	return f
}

func (f *fleet) publisher(t testing.TB, node int, l natswitness.Log) *natswitness.Publisher {
	t.Helper()
	p, err := natswitness.NewPublisher(connect(t, f.c.URLsFrom(node%3)), stream, l,
		natswitness.WithTimeout(2*time.Second), natswitness.WithLogger(logger(t, originOf(node))))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// publish publishes until the stream acknowledges.
func publish(t testing.TB, p *natswitness.Publisher) audit.Checkpoint {
	t.Helper()
	return eventually(t, 60*time.Second, func() (audit.Checkpoint, error) { return p.Publish(t.Context()) })
}

// waitAccepted waits until the witness holds cp for origin.
func (f *fleet) waitAccepted(t testing.TB, origin string, cp audit.Checkpoint) {
	t.Helper()
	waitFor(t, 60*time.Second, fmt.Sprintf("witness accepts %s size %d", origin, cp.Size), func() bool {
		return f.store.latest(origin).Size == cp.Size
	})
}

func (f *fleet) waitFlag(t testing.TB, origin string, want error) *witness.FlagError {
	t.Helper()
	var got *witness.FlagError
	waitFor(t, 60*time.Second, fmt.Sprintf("witness flags %s with %v", origin, want), func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, m := range f.marks {
			if m.Origin == origin && errors.Is(m, want) {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

// A fleet of nodes publishes honestly and is never flagged; then one node
// rewrites an entry and re-signs with its own key, another truncates its
// log, and each restarts and publishes on: the witness flags a fork and a
// rollback, and keeps accepting the honest node.
func TestWitnessFlagsRewrittenAndTruncatedLogs(t *testing.T) {
	f := startFleet(t, 3)
	dir := t.TempDir()
	path := func(i int) string { return filepath.Join(dir, fmt.Sprintf("node-%d.log", i)) }
	logs := map[int]*audit.Log{}
	pubs := map[int]*natswitness.Publisher{}
	for i := 1; i <= 3; i++ {
		logs[i] = openLog(t, path(i), i, 0, 0)
		pubs[i] = f.publisher(t, i, logs[i])
	}
	size := 0
	for round := 1; round <= 8; round++ {
		for i := 1; i <= 3; i++ {
			appendEvents(t, logs[i], size, size+round)
			cp := publish(t, pubs[i])
			if cp.Size != uint64(size+round) {
				t.Fatalf("node %d published size %d, want %d", i, cp.Size, size+round)
			}
		}
		size += round
	}
	for i := 1; i <= 3; i++ {
		f.waitAccepted(t, originOf(i), logs[i].Latest())
	}
	if got := f.flags(); len(got) != 0 {
		t.Fatalf("honest nodes flagged: %v", got)
	}

	// Node 2 rewrites entry 7 and appends; node 3 cuts its log to 20
	// entries. Both restart: a new log file under the same key, a new
	// publisher that reads back what it published and proves from there.
	logs[2].Close()
	logs[2] = openLog(t, path(2)+".forged", 2, 0, size+3, 7)
	pubs[2] = f.publisher(t, 2, logs[2])
	publish(t, pubs[2])
	logs[3].Close()
	logs[3] = openLog(t, path(3)+".cut", 3, 0, 20)
	pubs[3] = f.publisher(t, 3, logs[3])
	publish(t, pubs[3])
	appendEvents(t, logs[1], size, size+5)
	honest := publish(t, pubs[1])

	fork := f.waitFlag(t, originOf(2), witness.ErrFork)
	rollback := f.waitFlag(t, originOf(3), witness.ErrRollback)
	if fork.Accepted.Size != uint64(size) || rollback.Accepted.Size != uint64(size) || rollback.Size != 20 {
		t.Fatalf("fork %v; rollback %v", fork, rollback)
	}
	f.waitAccepted(t, originOf(1), honest)
	for _, e := range f.rec.Events() {
		if e.Resource == originOf(1) && e.Action != witness.ActionFirstUse {
			t.Fatalf("honest node flagged: %+v", e)
		}
	}
	if got := f.rec.Actions(); !slices.Contains(got, witness.ActionFork) || !slices.Contains(got, witness.ActionRollback) {
		t.Fatalf("audited %v", got)
	}
	// The witness holds what it accepted from the liars.
	if f.store.latest(originOf(2)).Size != uint64(size) || f.store.latest(originOf(3)).Size != uint64(size) {
		t.Fatal("a flagged checkpoint was accepted")
	}
}

// Submissions published around the publisher: a withheld checkpoint (gap),
// a checkpoint signed by another key, one under an origin nobody
// configured, and one node's checkpoint under another node's subject.
func TestWitnessFlagsGapsForeignKeysAndStrangers(t *testing.T) {
	f := startFleet(t, 2)
	js := connect(t, f.c.URLs())
	dir := t.TempDir()
	l := openLog(t, filepath.Join(dir, "node-1.log"), 1, 0, 5)
	first := publish(t, f.publisher(t, 1, l))
	f.waitAccepted(t, originOf(1), first)

	raw := func(subject string, s witness.Submission) {
		t.Helper()
		eventually(t, 30*time.Second, func() (*jetstream.PubAck, error) {
			return js.PublishMsg(t.Context(), &nats.Msg{Subject: subject, Data: s.Marshal()})
		})
	}
	// Gap: the node signs a checkpoint at 8 it never publishes, then
	// publishes 12 with a proof from 8.
	appendEvents(t, l, 5, 8)
	_, withheld, err := witness.Prepare(t.Context(), l, first)
	if err != nil {
		t.Fatal(err)
	}
	appendEvents(t, l, 8, 12)
	gap, _, _ := witness.Prepare(t.Context(), l, withheld)
	raw(natswitness.Subject(natswitness.DefaultSubjectPrefix, originOf(1)), gap)
	f.waitFlag(t, originOf(1), witness.ErrGap)

	// Another key, same origin.
	impostor, err := audit.Open(t.Context(), filepath.Join(dir, "impostor.log"), originOf(1), nodeKey(99), audit.WithoutSyncUnsafe())
	if err != nil {
		t.Fatal(err)
	}
	defer impostor.Close()
	appendEvents(t, impostor, 0, 14)
	bad, _, _ := witness.Prepare(t.Context(), impostor, first)
	raw(natswitness.Subject(natswitness.DefaultSubjectPrefix, originOf(1)), bad)
	f.waitFlag(t, originOf(1), witness.ErrBadSignature)

	// Node 2's honest checkpoint published under node 1's subject, and
	// under a subject naming no configured origin.
	l2 := openLog(t, filepath.Join(dir, "node-2.log"), 2, 0, 3)
	s2, _, _ := witness.Prepare(t.Context(), l2, audit.Checkpoint{})
	raw(natswitness.Subject(natswitness.DefaultSubjectPrefix, originOf(1)), s2)
	f.waitFlag(t, originOf(1), witness.ErrOriginMismatch)
	raw(natswitness.Subject(natswitness.DefaultSubjectPrefix, "example.com/elsewhere"), s2)
	f.waitFlag(t, "example.com/elsewhere", witness.ErrUnknownOrigin)

	// None of it moved the witness: node 1 still extends from size 5.
	if got := f.store.latest(originOf(1)); got.Size != first.Size {
		t.Fatalf("witness holds size %d, want %d", got.Size, first.Size)
	}
	if got := len(f.store.accepted(originOf(2))); got != 0 {
		t.Fatalf("node 2 accepted %d checkpoints from another subject", got)
	}
}

// Losing the stream's leader (SIGKILL) while a node publishes loses no
// acknowledged checkpoint: the witness accepts every one of them, in
// order, and flags nothing.
func TestKillStreamLeaderLosesNoAcknowledgedCheckpoint(t *testing.T) {
	f := startFleet(t, 1)
	l := openLog(t, filepath.Join(t.TempDir(), "node-1.log"), 1, 0, 0)
	p := f.publisher(t, 1, l)
	js := connect(t, f.c.URLs())
	var acked []audit.Checkpoint
	killed := -1
	for round := range 60 {
		appendEvents(t, l, round*3, round*3+3)
		start := time.Now()
		acked = append(acked, publish(t, p))
		if d := time.Since(start); d > time.Second {
			t.Logf("round %d: acknowledged after %v", round, d.Round(time.Millisecond))
		}
		switch round {
		case 20:
			info := eventually(t, 30*time.Second, func() (*jetstream.StreamInfo, error) {
				s, err := js.Stream(t.Context(), stream)
				if err != nil {
					return nil, err
				}
				return s.Info(t.Context())
			})
			for i, n := range f.c.Nodes {
				if info.Cluster != nil && n.Name == info.Cluster.Leader {
					killed = i
				}
			}
			if killed < 0 {
				t.Fatalf("no stream leader in %+v", info.Cluster)
			}
			t.Logf("killing stream leader %s", f.c.Nodes[killed].Name)
			f.c.Nodes[killed].Kill(t)
		case 40:
			f.c.Nodes[killed].Restart(t)
		}
	}
	start := time.Now()
	f.waitAccepted(t, originOf(1), acked[len(acked)-1])
	t.Logf("witness caught up %v after the last acknowledgement", time.Since(start).Round(time.Millisecond))
	got := map[uint64]bool{}
	for _, cp := range f.store.accepted(originOf(1)) {
		got[cp.Size] = true
	}
	for _, cp := range acked {
		if !got[cp.Size] {
			t.Errorf("acknowledged checkpoint of size %d never reached the witness", cp.Size)
		}
	}
	if got := f.flags(); len(got) != 0 {
		t.Fatalf("flags: %v", got)
	}
}

// A witness that cannot store its state decides nothing; the stream
// redelivers until it can, and nothing is skipped, from the empty log's
// size-0 checkpoint on. A closed follower leaves no goroutine behind.
func TestUndecidedIsRedelivered(t *testing.T) {
	f := startFleet(t, 1)
	l := openLog(t, filepath.Join(t.TempDir(), "node-1.log"), 1, 0, 0)
	p := f.publisher(t, 1, l)
	f.store.failSaves.Store(3)
	empty := publish(t, p)
	if empty.Size != 0 {
		t.Fatalf("empty log: published size %d", empty.Size)
	}
	appendEvents(t, l, 0, 2)
	first := publish(t, p)
	appendEvents(t, l, 2, 4)
	second := publish(t, p)
	f.waitAccepted(t, originOf(1), second)
	if got := f.store.accepted(originOf(1)); len(got) != 3 || got[0].Size != 0 || got[1].Size != first.Size {
		t.Fatalf("accepted %v", got)
	}
	if got := f.flags(); len(got) != 0 {
		t.Fatalf("flags: %v", got)
	}
	f.follower.Close()
	var b strings.Builder
	pprof.Lookup("goroutine").WriteTo(&b, 1)
	if strings.Contains(b.String(), "natswitness.(*Follower).run") {
		t.Fatalf("follower goroutine still running after Close:\n%s", b.String())
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tests := []struct {
		name string
		err  func() error
	}{
		{"publisher without JetStream", func() error { _, err := natswitness.NewPublisher(nil, stream, nil); return err }},
		{"consumer option on publisher", func() error {
			_, err := natswitness.NewPublisher(fakeJS{}, stream, openLog(t, filepath.Join(t.TempDir(), "l"), 1, 0, 0), natswitness.WithConsumer("w"))
			return err
		}},
		{"bad prefix", func() error {
			_, err := natswitness.NewPublisher(fakeJS{}, stream, openLog(t, filepath.Join(t.TempDir(), "l"), 1, 0, 0), natswitness.WithSubjectPrefix("a.*"))
			return err
		}},
		{"zero option", func() error {
			_, err := natswitness.NewPublisher(fakeJS{}, stream, openLog(t, filepath.Join(t.TempDir(), "l"), 1, 0, 0), natswitness.Option{})
			return err
		}},
		{"follow without witness", func() error { _, err := natswitness.Follow(ctx, fakeJS{}, stream, nil); return err }},
		{"store without bucket", func() error { _, err := natswitness.NewKVStore(ctx, fakeJS{}, "", 3); return err }},
		{"store with prefix", func() error {
			_, err := natswitness.NewKVStore(ctx, fakeJS{}, "b", 3, natswitness.WithSubjectPrefix("x"))
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.err(); !errors.Is(err, natswitness.ErrConfig) {
				t.Fatalf("got %v, want ErrConfig", err)
			}
		})
	}
}

// fakeJS is only ever rejected by constructors.
type fakeJS struct{ jetstream.JetStream }
