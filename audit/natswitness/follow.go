package natswitness

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit/witness"
)

// retryDelay is how long an undecided submission waits before the stream
// redelivers it.
const retryDelay = 500 * time.Millisecond

// Follower feeds a [witness.Witness] from the checkpoint stream through a
// durable consumer. Submissions are decided one at a time, in stream
// order; each is acknowledged once decided (accepted or flagged), and
// redelivered when the witness could not decide ([witness.ErrUndecided]).
// Each is given to the witness with its stream position
// ([witness.Witness.AddAt]), so a message stored at or before the one
// whose checkpoint the witness accepted last for its origin (a stream
// replayed by a new consumer, a redelivery) is acknowledged as witnessed
// already, not flagged as a rollback.
type Follower struct {
	msgs   jetstream.MessagesContext
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Follow creates (or resumes) the durable consumer of stream and starts
// feeding w with every checkpoint published under the subject prefix.
// The origin of each submission is the one its subject names ([Subject]),
// which the checkpoint must match. ctx bounds the setup only; call
// [Follower.Close] to stop.
//
// It first checks the stream's settings with [CheckStream] (and
// [WithMinReplicas]): a stream that lets checkpoints be erased or filed
// under another node's subject fails with [ErrStream], before any consumer
// is created. It checks them again before deciding each submission (one
// request to the server each): while they fail, it decides nothing, logs
// the failure as an error and has the submission redelivered, so the
// witness falls behind rather than reading a stream that can lose or
// re-file checkpoints. Other errors wrap
// [ErrConfig] or [ErrUnavailable]. A witness whose store keeps no
// positions (not a [witness.PositionStore], e.g. a wrapper around
// [KVStore] that does not forward them) is followed, with a warning: for
// it a replayed stream flags every old checkpoint as a rollback.
//
// Options: [WithSubjectPrefix], [WithConsumer], [WithLogger],
// [WithTimeout], [WithMinReplicas].
func Follow(ctx context.Context, js jetstream.JetStream, stream string, w *witness.Witness, opts ...Option) (*Follower, error) {
	if js == nil || stream == "" || w == nil {
		return nil, fmt.Errorf("%w: JetStream, stream name and witness are required", ErrConfig)
	}
	c, err := build(forFollow, "Follow", opts)
	if err != nil {
		return nil, err
	}
	if err := checkStream(ctx, js, stream, c); err != nil {
		return nil, err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable:       c.consumer,
		FilterSubject: c.prefix + ".>",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		// One at a time: a redelivered submission is decided before any
		// later one of the stream, so each origin's chain stays in order.
		MaxAckPending: 1,
		// Long enough to decide (bounded by 4 timeouts) and acknowledge;
		// short, since an acknowledgement lost with a server stalls the
		// consumer until the redelivery.
		AckWait:    5 * c.timeout,
		MaxDeliver: -1,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: consumer %s on %s: %w", ErrUnavailable, c.consumer, stream, err)
	}
	// Short pulls with heartbeats: after losing the server that held the
	// pull, the client notices within a few heartbeats and pulls again.
	expiry := max(c.timeout, 2*time.Second)
	msgs, err := cons.Messages(jetstream.PullMaxMessages(8), jetstream.PullExpiry(expiry), jetstream.PullHeartbeat(min(expiry/4, 30*time.Second)))
	if err != nil {
		return nil, fmt.Errorf("%w: consume %s: %w", ErrUnavailable, stream, err)
	}
	if !w.KeepsPositions() {
		c.logger.WarnContext(ctx, "natswitness: the witness's store keeps no stream positions (not a witness.PositionStore): a consumer replaying the stream has old checkpoints flagged as rollbacks")
	}
	life, cancel := context.WithCancel(context.Background())
	f := &Follower{msgs: msgs, cancel: cancel}
	f.wg.Add(1)
	go f.run(life, js, stream, w, c)
	return f, nil
}

func (f *Follower) run(life context.Context, js jetstream.JetStream, stream string, w *witness.Witness, c config) {
	defer f.wg.Done()
	unsafe := false // the last check failed
	for {
		msg, err := f.msgs.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return
		}
		if err != nil {
			c.logger.WarnContext(life, "natswitness: consumer", "error", err)
			continue
		}
		// The stream is checked again before each submission, as the
		// publisher does before each publish: from a stream edited (or
		// made again) to let checkpoints be erased or filed under another
		// node's subject, nothing is decided; the submission waits.
		info, err := checkedStream(life, js, stream, c)
		if err != nil {
			if !unsafe || !errors.Is(err, ErrStream) {
				c.logger.ErrorContext(life, "natswitness: the checkpoint stream fails its check; deciding nothing until it passes", "error", err)
			}
			unsafe = errors.Is(err, ErrStream)
			if err := msg.NakWithDelay(retryDelay); err != nil {
				c.logger.WarnContext(life, "natswitness: nak", "error", err)
			}
			continue
		}
		unsafe = false
		origin := originOf(c.prefix, msg.Subject())
		ctx, cancel := context.WithTimeout(life, 4*c.timeout)
		res, err := w.AddAt(ctx, origin, msg.Data(), position(msg, stream, info, c.prefix))
		switch {
		case err == nil && res.Replayed:
			c.logger.DebugContext(ctx, "natswitness: submission witnessed already (stream replayed)", "subject", msg.Subject())
			ackDecided(life, msg, c)
		case errors.Is(err, witness.ErrUndecided):
			c.logger.WarnContext(ctx, "natswitness: witness could not decide, redelivering", "subject", msg.Subject(), "error", err)
			if err := msg.NakWithDelay(retryDelay); err != nil {
				c.logger.WarnContext(ctx, "natswitness: nak", "error", err)
			}
		default: // accepted or flagged (the witness audited the flag)
			ackDecided(life, msg, c)
		}
		cancel()
	}
}

// ackDecided acknowledges a decided submission. One whose acknowledgement
// is lost is redelivered after the ack wait: at the position it was
// stored, which the witness recognises if it accepted it.
func ackDecided(life context.Context, msg jetstream.Msg, c config) {
	actx, acancel := context.WithTimeout(life, c.timeout)
	defer acancel()
	if err := msg.DoubleAck(actx); err != nil {
		c.logger.WarnContext(actx, "natswitness: ack", "subject", msg.Subject(), "error", err)
	}
}

// position is where the stream stored msg, as the witness keeps it
// ([witness.Position]): its stream sequence, which the server assigns (a
// node publishing a checkpoint anew gets a higher one, whatever it holds),
// in a Log naming the stream, its creation time (a stream deleted and made
// again numbers from 1 again, and is another Log) and the subject prefix
// (which subjects name which origins). The zero Position, when the
// message carries no metadata from this stream: the witness then decides
// it as [witness.Witness.Add] does.
func position(msg jetstream.Msg, stream string, info *jetstream.StreamInfo, prefix string) witness.Position {
	md, err := msg.Metadata()
	// A sequence past the stream's last one (read after msg arrived) is
	// not the server's: a message injected into the consumer's inbox,
	// which would otherwise have every later message of its origin taken
	// as witnessed.
	if err != nil || md.Stream != stream || info == nil || info.Config.Name != stream ||
		md.Sequence.Stream == 0 || md.Sequence.Stream > info.State.LastSeq {
		return witness.Position{}
	}
	return witness.Position{
		Log: stream + "@" + strconv.FormatInt(info.Created.UnixNano(), 10) + " " + prefix,
		Seq: md.Sequence.Stream,
	}
}

// Close stops consuming and waits for the submission being decided, if
// any. The durable consumer stays: a new [Follow] with the same name
// resumes after the last acknowledged submission.
func (f *Follower) Close() error {
	f.msgs.Stop()
	f.cancel()
	f.wg.Wait()
	return nil
}
