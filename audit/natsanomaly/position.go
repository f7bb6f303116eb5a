package natsanomaly

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrPosition: the feeder's persisted position ([WithPosition]) could not
// be read, or its value is not a position: Run does not start, since it
// could not tell the events a previous feeder examined from those stored
// while no feeder ran.
var ErrPosition = errors.New("natsanomaly: feeder position unusable")

// maxPositionLen bounds a stored position: two decimal numbers and a space.
const maxPositionLen = 64

// positionKey is a KV key the NATS client accepts (dot-separated tokens).
var positionKey = regexp.MustCompile(`^[-/_=a-zA-Z0-9]+(\.[-/_=a-zA-Z0-9]+)*$`)

// WithPosition persists the feeder's position in kv under key: the stream
// sequence up to which it has written every anomaly. A restarted feeder
// then writes the anomalies of every event after that position, including
// the events stored while no feeder ran; without it, Run treats every
// event already stored when it starts as examined by a previous feeder.
//
// The position is saved at most every [WithStallTimeout] and when Run
// returns, and only once the anomalies up to it are written, so it may lag
// (a restart writes those anomalies again, under the same ids) but never
// runs ahead. With no position under key, or one saved on another
// incarnation of the stream (deleted and created again) or beyond its last
// sequence, the feeder writes the anomalies of every event it reads. A
// position that cannot be read or does not parse makes Run fail with
// [ErrPosition]. Events the stream's retention removed after the position
// before any feeder read them cannot be examined: Run logs that gap at
// error level.
//
// Give each feeder its own key: a feeder that read another's position
// (another output, other subjects) would skip anomalies it never wrote.
// Whoever can write the key can make a feeder skip anomalies: grant write
// access to the feeder only.
func WithPosition(kv jetstream.KeyValue, key string) Option {
	return func(c *config) error {
		if kv == nil {
			return errors.New("WithPosition: nil bucket")
		}
		if !positionKey.MatchString(key) {
			return fmt.Errorf("WithPosition: key %q (letters, digits, -/_= and dots between them)", key)
		}
		c.posKV, c.posKey = kv, key
		return nil
	}
}

// position is how far a feeder wrote anomalies on one incarnation of its
// stream, which its creation time names.
type position struct {
	seq     uint64
	created int64 // the stream's creation time, Unix nanoseconds
}

func (p position) encode() []byte { return fmt.Appendf(nil, "%d %d", p.seq, p.created) }

// decodePosition reads what encode wrote, and nothing else: a value that
// encode would not write back byte for byte (signs, leading zeros, other
// spacing) is refused.
func decodePosition(b []byte) (position, error) {
	if len(b) > maxPositionLen {
		return position{}, fmt.Errorf("%d bytes, want at most %d", len(b), maxPositionLen)
	}
	seq, created, _ := strings.Cut(string(b), " ")
	var p position
	var err1, err2 error
	p.seq, err1 = strconv.ParseUint(seq, 10, 64)
	p.created, err2 = strconv.ParseInt(created, 10, 64)
	if err1 != nil || err2 != nil || string(p.encode()) != string(b) {
		return position{}, errors.New("not \"<sequence> <stream creation, Unix ns>\"")
	}
	return p, nil
}

// loadPosition returns the last stream sequence whose anomalies a previous
// feeder wrote: the stream's last sequence without WithPosition (every
// stored event counts as examined), 0 when the stored position is missing
// or does not fit the stream (every anomaly is written).
func (f *Feeder) loadPosition(ctx context.Context, info *jetstream.StreamInfo) (uint64, error) {
	if f.cfg.posKV == nil {
		return info.State.LastSeq, nil
	}
	ent, err := f.cfg.posKV.Get(ctx, f.cfg.posKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		f.cfg.logger.InfoContext(ctx, "natsanomaly: no position saved, writing the anomalies of every event", "stream", f.name, "key", f.cfg.posKey)
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("%w: key %q: %w", ErrPosition, f.cfg.posKey, err)
	}
	p, err := decodePosition(ent.Value())
	if err != nil {
		return 0, fmt.Errorf("%w: key %q: %w", ErrPosition, f.cfg.posKey, err)
	}
	if p.created != f.created || p.seq > info.State.LastSeq {
		f.cfg.logger.WarnContext(ctx, "natsanomaly: saved position does not fit the stream (recreated?), writing the anomalies of every event",
			"stream", f.name, "key", f.cfg.posKey, "position", p.seq, "last_seq", info.State.LastSeq)
		return 0, nil
	}
	if info.State.FirstSeq > p.seq+1 {
		// Retention removed them before any feeder read them: nothing can
		// examine them now, but the gap is not passed over in silence.
		f.cfg.logger.ErrorContext(ctx, "natsanomaly: events removed from the stream before any feeder examined them",
			"stream", f.name, "from_seq", p.seq+1, "to_seq", info.State.FirstSeq-1)
	}
	return p.seq, nil
}

// savePosition saves the last sequence examined when it is past the one
// saved, within the stall timeout. A failure is logged, not fatal: a
// position that lags only makes a restart write some anomalies again.
func (f *Feeder) savePosition(ctx context.Context) {
	seq := f.seq.Load()
	if f.cfg.posKV == nil || seq <= f.saved.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.stall)
	defer cancel()
	if _, err := f.cfg.posKV.Put(ctx, f.cfg.posKey, position{seq: seq, created: f.created}.encode()); err != nil {
		f.cfg.logger.ErrorContext(ctx, "natsanomaly: position not saved", "stream", f.name, "key", f.cfg.posKey, "seq", seq, "error", err)
		return
	}
	f.saved.Store(seq)
}
