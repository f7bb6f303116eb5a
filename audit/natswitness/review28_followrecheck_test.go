package natswitness_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit/natswitness"
	"github.com/ztci/ztci/audit/witness"
)

// errorSignal is a slog handler that signals each error record.
type errorSignal chan struct{}

func (errorSignal) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (e errorSignal) Handle(context.Context, slog.Record) error {
	select {
	case e <- struct{}{}:
	default:
	}
	return nil
}
func (e errorSignal) WithAttrs([]slog.Attr) slog.Handler { return e }
func (e errorSignal) WithGroup(string) slog.Handler      { return e }

// TestReview28FollowerRechecksEditedStream: the follower checked the
// stream's settings once, when it started, while the publisher checks
// before every publish. Someone with stream-edit rights who then widened
// its subjects (or made it again allowing purges) had the witness keep
// deciding checkpoints from a stream that lets them be erased or filed
// under another node's subject. The follower must check again before each
// submission and decide nothing while the check fails, then resume once
// the stream is safe again.
func TestReview28FollowerRechecksEditedStream(t *testing.T) {
	f := startFleet(t, 1)
	js := connect(t, f.c.URLsFrom(2))
	ctx := t.Context()
	l := openLog(t, filepath.Join(t.TempDir(), "node-1.log"), 1, 0, 3)
	first := publish(t, f.publisher(t, 1, l))
	f.waitAccepted(t, originOf(1), first)

	// The same witness and durable consumer, followed with a logger that
	// signals errors.
	f.follower.Close()
	refused := make(errorSignal, 1)
	fol := eventually(t, 30*time.Second, func() (*natswitness.Follower, error) {
		return natswitness.Follow(ctx, js, stream, f.w, natswitness.WithTimeout(2*time.Second), natswitness.WithLogger(slog.New(refused)))
	})
	t.Cleanup(func() { fol.Close() })

	safe := natswitness.StreamConfig(stream, natswitness.DefaultSubjectPrefix, 3)
	unsafe := safe
	unsafe.Subjects = append(append([]string(nil), safe.Subjects...), "r28elsewhere.>")
	eventually(t, 30*time.Second, func() (jetstream.Stream, error) { return js.UpdateStream(ctx, unsafe) })

	appendEvents(t, l, 3, 6)
	next, cp, err := witness.Prepare(ctx, l, first)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, func() (*jetstream.PubAck, error) {
		return js.PublishMsg(ctx, &nats.Msg{Subject: natswitness.Subject(natswitness.DefaultSubjectPrefix, originOf(1)), Data: next.Marshal()})
	})
	select {
	case <-refused:
	case <-time.After(60 * time.Second):
		t.Fatal("the follower did not refuse the edited stream")
	}
	if got := f.store.latest(originOf(1)); got.Size != first.Size {
		t.Fatalf("the witness decided a checkpoint of size %d from the edited stream", got.Size)
	}

	eventually(t, 30*time.Second, func() (jetstream.Stream, error) { return js.UpdateStream(ctx, safe) })
	f.waitAccepted(t, originOf(1), cp)
}
