// Package kvconf checks that the stream behind a JetStream KV bucket keeps
// every value written to it until it is deleted, replaced or reaches its
// own per-key TTL.
//
// The fleet packages bind to an existing bucket when one of that name
// exists, and jetstream.KeyValue binds to any stream named KV_<bucket> that
// keeps one message per subject. A stream created or edited by hand may
// still drop values by itself: interest or work-queue retention removes a
// message as soon as no consumer wants it (so a create-only write never
// finds the value it must collide with), discard-old limits evict the
// oldest values when the bucket is full, a max age expires them, memory
// storage loses them all when its servers restart, a stream that allows
// deletes lets whoever may call its message-delete API erase one without
// the marker a KV delete leaves (jetstream creates buckets with deny
// delete on), async persistence loses
// acknowledged ones when a server crashes, fewer replicas than asked for
// lose them with one server, a subject transform files a value under
// another key than written (every key onto one, each write evicting the
// others), and a source or a mirror fills the bucket from the writers of
// another stream. Each of these undoes a guarantee
// that rests on the value being there (a spent token id, a kill mark, a
// revocation, a lease record, a witness's state), so the packages refuse
// such a bucket at startup.
package kvconf

import (
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Check returns nil when cfg, the configuration of a KV bucket's stream,
// keeps every value until it is deleted, replaced or its per-key TTL
// passes, on at least replicas servers; otherwise an error naming every
// setting that does not.
func Check(cfg jetstream.StreamConfig, replicas int) error {
	var why []string
	if cfg.Retention != jetstream.LimitsPolicy {
		why = append(why, fmt.Sprintf("retention %s removes values that no consumer holds", cfg.Retention))
	}
	if cfg.Discard == jetstream.DiscardOld && (cfg.MaxMsgs > 0 || cfg.MaxBytes > 0) {
		why = append(why, fmt.Sprintf("discard old with a limit (max msgs %d, max bytes %d) evicts the oldest values when the bucket is full", cfg.MaxMsgs, cfg.MaxBytes))
	}
	if cfg.MaxAge != 0 {
		why = append(why, fmt.Sprintf("max age %v expires values", cfg.MaxAge))
	}
	if cfg.Storage != jetstream.FileStorage {
		why = append(why, fmt.Sprintf("%s storage loses every value when its servers restart", cfg.Storage))
	}
	if !cfg.DenyDelete {
		why = append(why, "deny delete is off: the stream API erases values without a delete marker")
	}
	if cfg.PersistMode != jetstream.DefaultPersistMode {
		why = append(why, "async persistence loses acknowledged values when a server crashes")
	}
	if cfg.SubjectTransform != nil {
		why = append(why, "a subject transform files values under other keys than written")
	}
	if len(cfg.Sources) > 0 || cfg.Mirror != nil {
		why = append(why, "a source or a mirror fills the bucket with values written to another stream")
	}
	if r := max(cfg.Replicas, 1); r < replicas {
		why = append(why, fmt.Sprintf("%d replicas, fewer than the %d asked for", r, replicas))
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("stream %s cannot keep its values: %s", cfg.Name, strings.Join(why, "; "))
}
