package kvconf

import (
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// AppendOnly returns why cfg, the configuration of a stream that must keep
// every message stored in it for its max age (an audit trail: events,
// checkpoints), does not, or nil: each reason names a setting that lets
// the stream lose a message by itself (interest or work-queue retention,
// memory storage, async persistence, a limit with discard old), lets
// whoever may publish to or manage it erase one (deletes, purges, rollup,
// per-message TTL), or lets messages in under other subjects (schedules,
// sources, a mirror, a subject transform, a subject outside
// "<prefix>.", whose writers share the de-duplication window and can
// pre-empt a message's id). what names the messages ("events") and owner
// whose subject a message belongs to ("tenant"); an empty prefix skips the
// subject check. The caller judges MaxMsgsPerSubject, which its design
// decides, and the max age, which is the operator's retention.
func AppendOnly(cfg jetstream.StreamConfig, what, owner, prefix string) []string {
	var why []string
	add := func(bad bool, reason string) {
		if bad {
			why = append(why, reason)
		}
	}
	add(cfg.Retention != jetstream.LimitsPolicy, fmt.Sprintf("retention %s removes %s once consumed or unwanted", cfg.Retention, what))
	add(cfg.Storage != jetstream.FileStorage, fmt.Sprintf("%s storage loses every %s when its servers restart", cfg.Storage, strings.TrimSuffix(what, "s")))
	add(cfg.PersistMode != jetstream.DefaultPersistMode, "async persistence can lose acknowledged "+what)
	add(cfg.Discard == jetstream.DiscardOld && (cfg.MaxMsgs > 0 || cfg.MaxBytes > 0),
		"discard old with max msgs or max bytes lets a flood evict the oldest "+what)
	add(!cfg.DenyDelete, "deny delete is off: "+what+" can be deleted")
	add(!cfg.DenyPurge, "deny purge is off: "+what+" can be purged")
	add(cfg.AllowRollup, "rollup headers let a publisher purge "+what)
	add(cfg.AllowMsgTTL, "per-message TTL headers let a publisher make "+what+" expire")
	add(cfg.AllowMsgSchedules, "schedule headers let a publisher store messages under another "+owner+"'s subject")
	add(len(cfg.Sources) > 0, fmt.Sprintf("%d sources copy in messages published elsewhere", len(cfg.Sources)))
	add(cfg.Mirror != nil, "a mirror copies in messages published to another stream")
	add(cfg.SubjectTransform != nil, "a subject transform files "+what+" under other subjects than published")
	if prefix != "" {
		for i, s := range cfg.Subjects {
			// Not the subject itself: whoever created the stream chose it.
			add(!strings.HasPrefix(s, prefix+"."), fmt.Sprintf("subject %d of %d bytes lies outside %s.>", i, len(s), prefix))
		}
	}
	return why
}
