package natswitness

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit/witness"
	"github.com/ztci/ztci/internal/jsleader"
	"github.com/ztci/ztci/internal/kvconf"
)

// KVStore is a [witness.PositionStore] on a JetStream KV bucket: one key
// per origin holding the last accepted checkpoint note, written
// compare-and-swap on the key's revision, with the stream position of the
// submission that carried it as headers of the same message. With a replicated bucket, a witness that restarts —
// on any machine — resumes from the state it had, so a node cannot roll
// its log back across the witness's restart.
type KVStore struct {
	js     jetstream.JetStream
	stream string // the bucket's stream
	maxMsg int    // the largest message the bucket's stream stores, headers included (<= 0: no limit)
	prefix string // the subject prefix of the bucket's keys
	cfg    config
}

var _ witness.PositionStore = (*KVStore)(nil)

// Headers of a state message holding the stream position of the
// submission whose checkpoint it is ([witness.PositionStore]). They ride
// on the value's own message, so the checkpoint and its position are one
// write (one revision); a witness of an older version reads the value as
// it always did and, saving without them, removes the position.
const (
	hdrPosLog = "Ztci-Witness-Log"
	hdrPosSeq = "Ztci-Witness-Seq"
)

// maxStateMsg bounds a state message: the largest checkpoint note a
// submission can carry, with room for the headers of a compare-and-swap
// write and of the position. A bucket bounded to the submission's size
// alone (as made before) refused the largest notes the witness accepts: a
// node padding its note with other keys' signature lines had its
// checkpoint accepted and never saved, redelivered for ever, and the
// follower, one submission at a time, witnessed nothing else.
const maxStateMsg = witness.MaxSubmissionSize + 1<<10

// NewKVStore opens the bucket, creating it on replicas servers (3 in a
// cluster) if it does not exist. It refuses a bucket whose values expire
// (a max age), since an expired state would be trusted on first use again.
// A bucket whose values are bounded below the largest checkpoint a
// submission can carry, with its headers (as this package made them
// before), is widened; when that fails (no right to edit the bucket), it
// logs an error and goes on.
//
// Options: [WithLogger], [WithTimeout].
func NewKVStore(ctx context.Context, js jetstream.JetStream, bucket string, replicas int, opts ...Option) (*KVStore, error) {
	if js == nil || bucket == "" || replicas < 1 || replicas > 5 {
		return nil, fmt.Errorf("%w: JetStream, bucket name and 1 to 5 replicas are required", ErrConfig)
	}
	c, err := build(forStore, "NewKVStore", opts)
	if err != nil {
		return nil, err
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:       bucket,
		Description:  "ztci audit witness: last accepted checkpoint per origin",
		History:      8,
		MaxValueSize: maxStateMsg,
		Storage:      jetstream.FileStorage,
		Replicas:     replicas,
	})
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = js.KeyValue(ctx, bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: bucket %s: %w", ErrUnavailable, bucket, err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: bucket %s: %w", ErrUnavailable, bucket, err)
	}
	if st.TTL() != 0 {
		return nil, fmt.Errorf("%w: bucket %s expires values after %v: a witness's state must not expire", ErrConfig, bucket, st.TTL())
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok {
		return nil, fmt.Errorf("%w: bucket %s: no stream status", ErrUnavailable, bucket)
	}
	// A stream that drops an origin's state by itself (interest retention,
	// discard old, memory storage, fewer replicas than asked) makes the
	// witness trust that log's next checkpoint on first use: a rollback.
	if err := kvconf.Check(bs.StreamInfo().Config, replicas); err != nil {
		return nil, fmt.Errorf("%w: bucket %s: %w", ErrConfig, bucket, err)
	}
	sc := bs.StreamInfo().Config
	if sc.MaxMsgSize > 0 && sc.MaxMsgSize < maxStateMsg {
		// A bucket made by an older version: widen it, or the largest
		// checkpoints are never saved.
		wider := sc
		wider.MaxMsgSize = maxStateMsg
		if _, err := js.UpdateStream(ctx, wider); err != nil {
			c.logger.ErrorContext(ctx, "natswitness: the state bucket's values are bounded below the largest checkpoint, and could not be widened: such a checkpoint is never saved and stalls the follower",
				"bucket", bucket, "max_value_size", sc.MaxMsgSize, "want", maxStateMsg, "error", err)
		} else {
			sc.MaxMsgSize = maxStateMsg
		}
	}
	return &KVStore{js: js, stream: sc.Name, maxMsg: int(sc.MaxMsgSize), prefix: "$KV." + bucket + ".", cfg: c}, nil
}

func key(origin string) string { return base64.RawURLEncoding.EncodeToString([]byte(origin)) }

// Load implements [witness.Store]. It asks the bucket's stream leader
// (STREAM.MSG.GET): a KV Get is a direct get that any replica answers, and
// one that lags would hand the witness an older checkpoint, against which a
// rollback to it looks like a duplicate and an honest successor like a gap.
// A deleted or purged key (no data) reads as no state.
func (s *KVStore) Load(ctx context.Context, origin string) ([]byte, uint64, error) {
	signed, _, rev, err := s.LoadPosition(ctx, origin)
	return signed, rev, err
}

// LoadPosition implements [witness.PositionStore]: Load, and the position
// stored with the checkpoint (zero if none, or if it does not parse).
func (s *KVStore) LoadPosition(ctx context.Context, origin string) ([]byte, witness.Position, uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	subject := s.prefix + key(origin)
	m, found, err := jsleader.LastMsg(ctx, s.js, s.stream, subject)
	switch {
	case err != nil:
		return nil, witness.Position{}, 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	case !found || len(m.Data) == 0:
		return nil, witness.Position{}, 0, nil
	case m.Subject != subject:
		return nil, witness.Position{}, 0, fmt.Errorf("%w: answer holds a message for %q, not the state of %q", ErrUnavailable, m.Subject, origin)
	}
	var pos witness.Position
	if seq, err := strconv.ParseUint(m.Header.Get(hdrPosSeq), 10, 64); err == nil && m.Header.Get(hdrPosLog) != "" {
		pos = witness.Position{Log: m.Header.Get(hdrPosLog), Seq: seq}
	}
	return m.Data, pos, m.Seq, nil
}

// Save implements [witness.Store]; it stores no position.
func (s *KVStore) Save(ctx context.Context, origin string, signed []byte, revision uint64) (uint64, error) {
	return s.SavePosition(ctx, origin, signed, witness.Position{}, revision)
}

// SavePosition implements [witness.PositionStore]: the position rides as
// headers on the value's message, written compare-and-swap on the key's
// revision as a KV update is (a KV create when revision is 0, over a
// deleted or purged key too).
func (s *KVStore) SavePosition(ctx context.Context, origin string, signed []byte, pos witness.Position, revision uint64) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	subject := s.prefix + key(origin)
	rev, err := s.put(ctx, subject, signed, pos, revision)
	if revision == 0 && wrongLastSeq(err) {
		// As a KV create: a key deleted or purged holds a marker, no data.
		m, found, lerr := jsleader.LastMsg(ctx, s.js, s.stream, subject)
		switch {
		case lerr != nil:
			return 0, fmt.Errorf("%w: %w", ErrUnavailable, lerr)
		case found && m.Subject == subject && len(m.Data) == 0:
			rev, err = s.put(ctx, subject, signed, pos, m.Seq)
		}
	}
	switch {
	case wrongLastSeq(err):
		return 0, fmt.Errorf("%w: %w", witness.ErrConflict, err)
	case err != nil:
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return rev, nil
}

// put publishes the state message, expecting the subject's last sequence
// to be revision (0: none).
func (s *KVStore) put(ctx context.Context, subject string, signed []byte, pos witness.Position, revision uint64) (uint64, error) {
	msg := &nats.Msg{Subject: subject, Header: nats.Header{}, Data: signed}
	if !pos.IsZero() {
		seq := strconv.FormatUint(pos.Seq, 10)
		// The stream bounds headers and value together: a checkpoint that
		// fits the bucket only without its position (a node's note padded
		// to the limit) is stored without one, rather than not stored, which
		// would stall the follower on it for ever.
		hdrs := len("NATS/1.0\r\n\r\n") + len(hdrPosLog) + 4 + len(pos.Log) + len(hdrPosSeq) + 4 + len(seq) +
			len(jetstream.ExpectedLastSubjSeqHeader) + 4 + 20 + len(jetstream.ExpectedStreamHeader) + 4 + len(s.stream)
		if s.maxMsg <= 0 || len(signed)+hdrs <= s.maxMsg {
			msg.Header.Set(hdrPosLog, pos.Log)
			msg.Header.Set(hdrPosSeq, seq)
		}
	}
	ack, err := s.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequencePerSubject(revision), jetstream.WithExpectStream(s.stream))
	switch {
	case err != nil:
		return 0, err
	case ack == nil || ack.Stream != s.stream:
		return 0, fmt.Errorf("state of %s not acknowledged by stream %q", subject, s.stream)
	}
	return ack.Sequence, nil
}

// wrongLastSeq reports whether err is JetStream's compare-and-swap failure.
func wrongLastSeq(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
