package natswitness_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natswitness"
	"github.com/ztci/ztci/audit/witness"
)

// TestReview37ReplayAfterNewConsumerIsNotFlagged: a witness whose state
// persists in the bucket, following the stream with a durable consumer
// that was deleted (or expired, or renamed), was handed the whole stream
// again from its first message by the new consumer (DeliverAllPolicy), and
// flagged every earlier checkpoint of each node as a rollback: a kill
// switch raised against honest nodes. A message the stream stored at or
// before the one whose checkpoint the witness accepted last is now
// recognised as already witnessed (acknowledged, no flag), while a node
// publishing a NEW message with an old checkpoint — a rollback, or a fork
// at an old size — is still flagged.
func TestReview37ReplayAfterNewConsumerIsNotFlagged(t *testing.T) {
	f := startFleet(t, 2)
	ctx := t.Context()
	js := connect(t, f.c.URLsFrom(1))
	dir := t.TempDir()
	logs := map[int]*audit.Log{}
	var bodies [][]byte // every submission of node 1, in order
	var last audit.Checkpoint
	for i := 1; i <= 2; i++ {
		logs[i] = openLog(t, filepath.Join(dir, "node-"+string(rune('0'+i))+".log"), i, 0, 0)
	}
	pubs := map[int]*natswitness.Publisher{1: f.publisher(t, 1, logs[1]), 2: f.publisher(t, 2, logs[2])}
	for round := range 5 {
		for i := 1; i <= 2; i++ {
			appendEvents(t, logs[i], round*2, round*2+2)
			cp := publish(t, pubs[i])
			if i == 1 {
				last = cp
			}
		}
	}
	for i := 1; i <= 2; i++ {
		f.waitAccepted(t, originOf(i), logs[i].Latest())
	}
	st := eventually(t, 30*time.Second, func() (jetstream.Stream, error) { return js.Stream(ctx, stream) })
	for seq := uint64(1); ; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject == natswitness.Subject(natswitness.DefaultSubjectPrefix, originOf(1)) {
			bodies = append(bodies, m.Data)
		}
	}
	if len(bodies) != 5 {
		t.Fatalf("node 1 has %d messages in the stream, want 5", len(bodies))
	}

	// The operator edits the stream (still safe): it is the same stream,
	// its sequences go on.
	edited := natswitness.StreamConfig(stream, natswitness.DefaultSubjectPrefix, 3)
	edited.Description = "checkpoints, edited"
	eventually(t, 30*time.Second, func() (jetstream.Stream, error) { return js.UpdateStream(ctx, edited) })

	// The follower stops; its durable consumer is deleted. A new witness
	// on the same persisted state follows the stream again, under the
	// same consumer name and under another.
	f.follower.Close()
	eventually(t, 30*time.Second, func() (struct{}, error) {
		return struct{}{}, js.DeleteConsumer(ctx, stream, "ztci-witness")
	})
	for _, name := range []string{"ztci-witness", "ztci-witness-2"} {
		rec := audittest.NewRecorder()
		w := f.newWitness(t, rec)
		fol := eventually(t, 30*time.Second, func() (*natswitness.Follower, error) {
			return natswitness.Follow(ctx, js, stream, w, natswitness.WithConsumer(name), natswitness.WithTimeout(2*time.Second), natswitness.WithLogger(logger(t, "follower")))
		})
		waitConsumed(t, js, name)
		fol.Close()
		if got := rec.Actions(); len(got) != 0 {
			t.Fatalf("consumer %s: replay of what was witnessed audited %v", name, got)
		}
	}
	if got := f.store.latest(originOf(1)); got.Size != last.Size {
		t.Fatalf("witness holds size %d, want %d", got.Size, last.Size)
	}

	// A NEW message carrying an old checkpoint is still misbehaviour: node
	// 1 publishes its second submission again, byte for byte (rollback),
	// and a fork at an old size.
	rec := audittest.NewRecorder()
	var mu = make(chan *witness.FlagError, 8)
	w := f.newWitness(t, rec, witness.WithOnFlag(func(_ context.Context, fe *witness.FlagError) error {
		mu <- fe
		return nil
	}))
	fol := eventually(t, 30*time.Second, func() (*natswitness.Follower, error) {
		return natswitness.Follow(ctx, js, stream, w, natswitness.WithConsumer("ztci-witness-3"), natswitness.WithTimeout(2*time.Second), natswitness.WithLogger(logger(t, "follower")))
	})
	t.Cleanup(func() { fol.Close() })
	subject := natswitness.Subject(natswitness.DefaultSubjectPrefix, originOf(1))
	raw := func(body []byte) {
		t.Helper()
		eventually(t, 30*time.Second, func() (*jetstream.PubAck, error) {
			return js.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: body})
		})
	}
	raw(bodies[1])
	if fe := <-mu; !errors.Is(fe, witness.ErrRollback) || fe.Origin != originOf(1) {
		t.Fatalf("re-published old checkpoint: flag %v, want ErrRollback", fe)
	}
	forgedLog := openLog(t, filepath.Join(dir, "forged.log"), 1, 0, 4, 1)
	fork, _, err := witness.Prepare(ctx, forgedLog, audit.Checkpoint{})
	if err != nil {
		t.Fatal(err)
	}
	raw(fork.Marshal())
	if fe := <-mu; !errors.Is(fe, witness.ErrRollback) && !errors.Is(fe, witness.ErrFork) {
		t.Fatalf("fork at an old size: flag %v, want misbehaviour", fe)
	}
}

// newWitness is a witness of the fleet's nodes on the fleet's persisted
// state, auditing to rec.
func (f *fleet) newWitness(t testing.TB, rec *audittest.Recorder, opts ...witness.Option) *witness.Witness {
	t.Helper()
	var vs []*audit.Verifier
	for i := 1; i <= len(f.store.v); i++ {
		v, err := audit.NewVerifier(originOf(i), nodeKey(i).Public().(ed25519.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	w, err := witness.New(vs, f.store, rec, append([]witness.Option{witness.WithLogger(logger(t, "witness"))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// waitConsumed waits until the consumer name has acknowledged every
// message of the stream.
func waitConsumed(t testing.TB, js jetstream.JetStream, name string) {
	t.Helper()
	waitFor(t, 60*time.Second, "consumer "+name+" acknowledges the stream", func() bool {
		c, err := js.Consumer(t.Context(), stream, name)
		if err != nil {
			return false
		}
		info, err := c.Info(t.Context())
		if err != nil {
			return false
		}
		st, err := js.Stream(t.Context(), stream)
		if err != nil {
			return false
		}
		return info.NumAckPending == 0 && info.NumPending == 0 && info.AckFloor.Stream == st.CachedInfo().State.LastSeq
	})
}

// SavePosition and LoadPosition make the recording store a
// witness.PositionStore when the store it wraps is one, recording as Save
// and Load do.
func (s *recordingStore) SavePosition(ctx context.Context, origin string, signed []byte, pos witness.Position, rev uint64) (uint64, error) {
	if s.failSaves.Add(-1) >= 0 {
		return 0, errors.New("bucket unreachable")
	}
	r, err := s.Store.(witness.PositionStore).SavePosition(ctx, origin, signed, pos, rev)
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

func (s *recordingStore) LoadPosition(ctx context.Context, origin string) ([]byte, witness.Position, uint64, error) {
	signed, pos, rev, err := s.Store.(witness.PositionStore).LoadPosition(ctx, origin)
	if err == nil && signed != nil {
		cp, _ := s.v[origin].Checkpoint(signed)
		s.mu.Lock()
		if n := len(s.saved[origin]); n == 0 || s.saved[origin][n-1].Size != cp.Size {
			s.saved[origin] = append(s.saved[origin], cp)
		}
		s.mu.Unlock()
	}
	return signed, pos, rev, err
}
