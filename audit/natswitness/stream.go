package natswitness

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
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
	var why []string
	add := func(bad bool, reason string) {
		if bad {
			why = append(why, reason)
		}
	}
	add(cfg.Retention != jetstream.LimitsPolicy, fmt.Sprintf("retention %s removes checkpoints once consumed or unwanted", cfg.Retention))
	add(cfg.Storage != jetstream.FileStorage, fmt.Sprintf("%s storage loses every checkpoint when its servers restart", cfg.Storage))
	add(cfg.PersistMode != jetstream.DefaultPersistMode, "async persistence can lose acknowledged checkpoints")
	add(cfg.Discard == jetstream.DiscardOld && (cfg.MaxMsgs > 0 || cfg.MaxBytes > 0),
		"discard old with max msgs or max bytes lets a flood evict the oldest checkpoints")
	add(cfg.MaxMsgsPerSubject > 0, fmt.Sprintf("max msgs per subject %d evicts or refuses a node's checkpoints past the limit", cfg.MaxMsgsPerSubject))
	add(!cfg.DenyDelete, "deny delete is off: checkpoints can be deleted")
	add(!cfg.DenyPurge, "deny purge is off: checkpoints can be purged")
	add(cfg.AllowRollup, "rollup headers let a publisher purge checkpoints")
	add(cfg.AllowMsgTTL, "per-message TTL headers let a publisher make checkpoints expire")
	add(cfg.AllowMsgSchedules, "schedule headers let a publisher store messages under another node's subject")
	add(len(cfg.Sources) > 0, fmt.Sprintf("%d sources copy in messages published elsewhere", len(cfg.Sources)))
	add(cfg.Mirror != nil, "a mirror copies in messages published to another stream")
	add(cfg.SubjectTransform != nil, "a subject transform files checkpoints under other subjects than published")
	for i, s := range cfg.Subjects {
		add(!strings.HasPrefix(s, prefix+"."), fmt.Sprintf("subject %d of %d bytes lies outside %s.>", i, len(s), prefix))
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("%w: stream %s: %s", ErrStream, cfg.Name, strings.Join(why, "; "))
}

// checkStream reads the settings of stream and checks them with
// [CheckStream].
func checkStream(ctx context.Context, js jetstream.JetStream, stream, prefix string) error {
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("%w: stream %s settings: %w", ErrUnavailable, stream, err)
	}
	return CheckStream(st.CachedInfo().Config, prefix)
}
