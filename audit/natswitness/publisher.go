package natswitness

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/witness"
	"github.com/ztci/ztci/internal/jsleader"
)

// Log is what a [Publisher] needs of a node's log; an [*audit.Log]
// satisfies it.
type Log interface {
	witness.Log
	// Verifier returns the verifier of the log's origin and public key.
	Verifier() *audit.Verifier
}

// Publisher publishes a node's checkpoints, each with the consistency
// proof from the one it published before, to a JetStream stream. It is
// safe for concurrent use (publishes are serialized) and holds no
// resources of its own.
type Publisher struct {
	js      jetstream.JetStream
	stream  string
	log     Log
	v       *audit.Verifier
	subject string
	cfg     config

	mu      sync.Mutex
	known   bool             // prev was read back from the stream
	prev    audit.Checkpoint // the last acknowledged checkpoint
	pending []byte           // a submission not acknowledged yet
	pendCP  audit.Checkpoint // its checkpoint
}

// NewPublisher returns a publisher of log's checkpoints to stream (see
// [StreamConfig]; its settings must pass [CheckStream]), under
// [Subject](prefix, log's origin).
//
// Options: [WithSubjectPrefix], [WithLogger], [WithTimeout],
// [WithMinReplicas].
func NewPublisher(js jetstream.JetStream, stream string, log Log, opts ...Option) (*Publisher, error) {
	if js == nil || stream == "" || log == nil || log.Verifier() == nil {
		return nil, fmt.Errorf("%w: JetStream, stream name and log are required", ErrConfig)
	}
	c, err := build(forPublisher, "NewPublisher", opts)
	if err != nil {
		return nil, err
	}
	v := log.Verifier()
	return &Publisher{js: js, stream: stream, log: log, v: v, subject: Subject(c.prefix, v.Origin()), cfg: c}, nil
}

// Subject returns the subject the publisher publishes to.
func (p *Publisher) Subject() string { return p.subject }

// Publish signs a checkpoint of the log (if new entries need one),
// publishes it with the consistency proof from the last acknowledged one,
// and returns it once the stream has acknowledged storing it. A checkpoint
// counts as published only then: on error, the same submission is
// published again first by the next call (at-least-once; the stream
// de-duplicates by its content, see [witness.ID]), so the published
// checkpoints always form one chain of proofs.
//
// Each call first reads the stream's settings and checks them with
// [CheckStream] (and [WithMinReplicas]): while they fail, Publish
// publishes nothing, not even a pending submission, and fails with
// [ErrStream]; it publishes again once the stream is safe again. Before
// its first publish, the publisher also reads its last published
// checkpoint back from the stream, so a restarted node continues the chain; if that read fails,
// Publish fails rather than publish a checkpoint without a proof. A log
// that no longer extends what was published (rewritten or truncated) is
// still published, as it is — the witness flags it — and logged at Error.
//
// An empty log publishes its size-0 checkpoint (the empty tree), which
// every later checkpoint extends.
// Errors wrap [ErrUnavailable] (stream), [ErrStream] or the log's error.
func (p *Publisher) Publish(ctx context.Context) (audit.Checkpoint, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// Every time, not once: a stream edited (or deleted and made again)
	// since the last publish would lose the checkpoints published into it.
	if err := checkStream(ctx, p.js, p.stream, p.cfg); err != nil {
		return audit.Checkpoint{}, err
	}
	if p.pending != nil {
		if err := p.send(ctx, p.pending); err != nil {
			return audit.Checkpoint{}, err
		}
		p.prev, p.pending = p.pendCP, nil
	}
	if !p.known {
		// Read back before the first publish: a pending submission exists
		// only once it succeeded.
		prev, err := p.last(ctx)
		if err != nil {
			return audit.Checkpoint{}, err
		}
		p.prev, p.known = prev, true
	}
	sub, cp, err := witness.Prepare(ctx, p.log, p.prev)
	if err != nil {
		return audit.Checkpoint{}, err
	}
	if p.prev.Signed != nil && cp.Size == p.prev.Size && bytes.Equal(cp.Root, p.prev.Root) {
		return p.prev, nil // published already
	}
	if p.prev.Signed != nil {
		if err := p.v.Consistency(p.prev, cp, sub.Proof); err != nil {
			p.cfg.logger.ErrorContext(ctx, "natswitness: the log does not extend the checkpoint this node published (rewritten or truncated); publishing it for the witnesses to flag",
				"origin", p.v.Origin(), "published_size", p.prev.Size, "size", cp.Size, "error", err)
		}
	}
	body := sub.Marshal()
	p.pending, p.pendCP = body, cp
	if err := p.send(ctx, body); err != nil {
		return audit.Checkpoint{}, err
	}
	p.prev, p.pending = cp, nil
	return cp, nil
}

// Run publishes every interval until ctx ends, logging failures (the next
// tick retries), and returns ctx's error.
func (p *Publisher) Run(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		return fmt.Errorf("%w: interval %v", ErrConfig, every)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := p.Publish(ctx); err != nil && ctx.Err() == nil {
			p.cfg.logger.WarnContext(ctx, "natswitness: publish failed, retrying", "origin", p.v.Origin(), "error", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// send publishes body and waits for the stream's acknowledgement.
func (p *Publisher) send(ctx context.Context, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.timeout)
	defer cancel()
	msg := &nats.Msg{Subject: p.subject, Data: body}
	ack, err := p.js.PublishMsg(ctx, msg, jetstream.WithMsgID(witness.ID(body)), jetstream.WithExpectStream(p.stream))
	switch {
	case err != nil:
		return fmt.Errorf("%w: publish to %s: %w", ErrUnavailable, p.subject, err)
	case ack == nil || ack.Stream != p.stream:
		return fmt.Errorf("%w: publish to %s: not acknowledged by stream %q", ErrUnavailable, p.subject, p.stream)
	}
	if ack.Duplicate {
		if err := p.stored(ctx, ack.Sequence, body); err != nil {
			return err
		}
		p.cfg.logger.DebugContext(ctx, "natswitness: checkpoint was stored already", "subject", p.subject, "seq", ack.Sequence)
	}
	return nil
}

// stored checks that the message the stream reported body a duplicate of,
// at seq, is body under the publisher's subject. The stream's
// de-duplication window is shared by every node's subject and the
// Nats-Msg-Id is the publisher's choice: another node, publishing on its
// own subject under this checkpoint's id first, had the checkpoint
// dropped and acknowledged as stored. No witness saw it, and the node's
// next checkpoint, proved from it, was flagged as a gap: a false flag of
// an honest node. Such a checkpoint is not published (the next call
// retries it, and is stored once the window has passed).
func (p *Publisher) stored(ctx context.Context, seq uint64, body []byte) error {
	st, err := p.js.Stream(ctx, p.stream)
	if err != nil {
		return fmt.Errorf("%w: publish to %s: stored duplicate not read: %w", ErrUnavailable, p.subject, err)
	}
	m, err := st.GetMsg(ctx, seq)
	switch {
	case err != nil:
		return fmt.Errorf("%w: publish to %s: stored duplicate not read: %w", ErrUnavailable, p.subject, err)
	case m.Subject != p.subject || !bytes.Equal(m.Data, body):
		return fmt.Errorf("%w: publish to %s: the stream holds another message (seq %d) under this checkpoint's Nats-Msg-Id; not published", ErrUnavailable, p.subject, seq)
	}
	return nil
}

// last reads the last checkpoint published under the publisher's subject
// (zero if none). A last message that is not a submission of a checkpoint
// signed by the log's key is logged and ignored: the next submission then
// carries no proof, and witnesses flag it.
func (p *Publisher) last(ctx context.Context) (audit.Checkpoint, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.timeout)
	defer cancel()
	// From the stream leader: GetLastMsgForSubject is a direct get when the
	// stream allows them, and a lagging replica would answer with an older
	// checkpoint, so the next proof would start from the wrong size.
	m, found, err := jsleader.LastMsg(ctx, p.js, p.stream, p.subject)
	switch {
	case err != nil:
		return audit.Checkpoint{}, fmt.Errorf("%w: last checkpoint on %s: %w", ErrUnavailable, p.subject, err)
	case !found:
		return audit.Checkpoint{}, nil
	case m.Subject != p.subject:
		return audit.Checkpoint{}, fmt.Errorf("%w: last checkpoint on %s: answer holds a message for %q", ErrUnavailable, p.subject, m.Subject)
	}
	sub, err := witness.ParseSubmission(m.Data)
	var cp audit.Checkpoint
	if err == nil {
		cp, err = p.v.Checkpoint(sub.Checkpoint)
	}
	if err != nil {
		p.cfg.logger.ErrorContext(ctx, "natswitness: the last message on this node's subject is not its checkpoint; publishing without a proof",
			"subject", p.subject, "seq", m.Seq, "error", err)
		return audit.Checkpoint{}, nil
	}
	return cp, nil
}
