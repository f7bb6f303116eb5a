package natswitness

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit/witness"
	"github.com/ztci/ztci/internal/jsleader"
	"github.com/ztci/ztci/internal/kvconf"
)

// KVStore is a [witness.Store] on a JetStream KV bucket: one key per origin
// holding the last accepted checkpoint note, written compare-and-swap on
// the key's revision. With a replicated bucket, a witness that restarts —
// on any machine — resumes from the state it had, so a node cannot roll
// its log back across the witness's restart.
type KVStore struct {
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	stream string // the bucket's stream
	prefix string // the subject prefix of the bucket's keys
	cfg    config
}

var _ witness.Store = (*KVStore)(nil)

// NewKVStore opens the bucket, creating it on replicas servers (3 in a
// cluster) if it does not exist. It refuses a bucket whose values expire
// (a max age), since an expired state would be trusted on first use again.
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
		MaxValueSize: witness.MaxSubmissionSize,
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
	return &KVStore{js: js, kv: kv, stream: bs.StreamInfo().Config.Name, prefix: "$KV." + bucket + ".", cfg: c}, nil
}

func key(origin string) string { return base64.RawURLEncoding.EncodeToString([]byte(origin)) }

// Load implements [witness.Store]. It asks the bucket's stream leader
// (STREAM.MSG.GET): a KV Get is a direct get that any replica answers, and
// one that lags would hand the witness an older checkpoint, against which a
// rollback to it looks like a duplicate and an honest successor like a gap.
// A deleted or purged key (no data) reads as no state.
func (s *KVStore) Load(ctx context.Context, origin string) ([]byte, uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	subject := s.prefix + key(origin)
	m, found, err := jsleader.LastMsg(ctx, s.js, s.stream, subject)
	switch {
	case err != nil:
		return nil, 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	case !found || len(m.Data) == 0:
		return nil, 0, nil
	case m.Subject != subject:
		return nil, 0, fmt.Errorf("%w: answer holds a message for %q, not the state of %q", ErrUnavailable, m.Subject, origin)
	}
	return m.Data, m.Seq, nil
}

// Save implements [witness.Store].
func (s *KVStore) Save(ctx context.Context, origin string, signed []byte, revision uint64) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	var (
		rev uint64
		err error
	)
	if revision == 0 {
		rev, err = s.kv.Create(ctx, key(origin), signed)
	} else {
		rev, err = s.kv.Update(ctx, key(origin), signed, revision)
	}
	switch {
	case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		return 0, fmt.Errorf("%w: %w", witness.ErrConflict, err)
	case err != nil:
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return rev, nil
}
