package natswitness

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/internal/kvconf"
)

// ErrStream: the checkpoint stream's settings let it drop checkpoints by
// itself, let anyone who may publish to or manage it erase, pre-empt or
// re-file them, or let other subjects into it. It wraps [ErrConfig];
// [Publisher.Publish] and [Follow] return it having published or consumed
// nothing.
var ErrStream = fmt.Errorf("%w: checkpoint stream unsafe", ErrConfig)

// CheckStream returns nil when cfg, the configuration of a checkpoint
// stream under prefix, keeps every checkpoint stored in it, under the
// subject it was published to, for its max age (0: for ever; [StreamConfig]
// sets none) and lets nobody erase one sooner: limits retention, file
// storage persisted before the acknowledgement, no limit that evicts old
// checkpoints (MaxMsgs or MaxBytes with discard old), no per-subject
// limit, deletes and purges denied, no rollup, per-message TTL or schedule
// headers, no sources, mirror or subject transform, and every subject
// under "<prefix>.". [StreamConfig] passes it.
//
// Why each: an erased checkpoint is one the witness never saw (a fork
// shown to others and then removed), and the next one of that node reads
// as a gap, flagging an honest node; a flood, a rollup or a TTL header
// from any node erases the others' checkpoints. A per-subject limit only
// suits a design keeping each node's latest checkpoint, which this is not
// (witnesses that were down catch up on every checkpoint): with discard
// old it evicts a node's chain, with discard new per subject it refuses a
// node's checkpoints past the limit for ever. Scheduled messages and
// sources store messages under a node's subject that the node never
// published, past the permissions that confine each node to its own; a
// mirror or a transform files checkpoints under other subjects than the
// ones published, and the subject names the origin. The de-duplication
// window is shared by all subjects, so a writer outside the prefix could
// store a message under a checkpoint's id first and have it dropped. A
// limit with discard new makes a full stream refuse checkpoints (the
// publisher fails, loudly) and is accepted, as is a max age: a checkpoint
// expired before a witness read it shows as a gap, which is flagged.
//
// Otherwise it returns an error wrapping [ErrStream] naming every setting
// that does not hold (not the subjects themselves: the stream's creator
// chose them).
func CheckStream(cfg jetstream.StreamConfig, prefix string) error {
	return checkConfig(cfg, prefix, 1)
}

// checkConfig is [CheckStream] that also wants at least replicas replicas
// (a stream's 0 is 1).
func checkConfig(cfg jetstream.StreamConfig, prefix string, replicas int) error {
	why := kvconf.AppendOnly(cfg, "checkpoints", "node", prefix)
	if cfg.MaxMsgsPerSubject > 0 {
		why = append(why, fmt.Sprintf("max msgs per subject %d evicts or refuses a node's checkpoints past the limit", cfg.MaxMsgsPerSubject))
	}
	if r := max(cfg.Replicas, 1); r < replicas {
		why = append(why, fmt.Sprintf("%d replica(s), fewer than %d: losing a server loses checkpoints", r, replicas))
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("%w: stream %s: %s", ErrStream, cfg.Name, strings.Join(why, "; "))
}

// checkStream reads the settings of stream, within c's timeout, and checks
// them with [CheckStream] and c's minimum replicas.
func checkStream(ctx context.Context, js jetstream.JetStream, stream string, c config) error {
	_, err := checkedStream(ctx, js, stream, c)
	return err
}

// checkedStream is checkStream that also returns the stream's information.
func checkedStream(ctx context.Context, js jetstream.JetStream, stream string, c config) (*jetstream.StreamInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("%w: stream %s settings: %w", ErrUnavailable, stream, err)
	}
	info := st.CachedInfo()
	return info, checkConfig(info.Config, c.prefix, c.replicas)
}
