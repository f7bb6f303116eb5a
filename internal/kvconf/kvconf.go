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
// others), a source or a mirror fills the bucket from the writers of
// another stream, and a stream whose subjects do not cover every key
// ("$KV.<bucket>.>") has the bucket's writes stored by another stream,
// whose settings nobody checked, or by none. Each of these undoes a guarantee
// that rests on the value being there (a spent token id, a kill mark, a
// revocation, a lease record, a witness's state), so the packages refuse
// such a bucket at startup.
package kvconf

import (
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Check returns nil when cfg, the configuration of a KV bucket's stream
// (named "KV_<bucket>"), stores every key of the bucket and keeps every
// value until it is deleted, replaced or its per-key TTL passes, on at
// least replicas servers; otherwise an error naming every setting that
// does not.
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
	if cfg.Mirror == nil && !ownsKeys(cfg) {
		why = append(why, fmt.Sprintf("no subject of the stream covers %s.>: the bucket's writes land in another stream, or nowhere", keyPrefix(cfg)))
	}
	if r := max(cfg.Replicas, 1); r < replicas {
		why = append(why, fmt.Sprintf("%d replicas, fewer than the %d asked for", r, replicas))
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("stream %s cannot keep its values: %s", cfg.Name, strings.Join(why, "; "))
}

// keyPrefix is the subject prefix of the keys of the bucket whose stream
// cfg is: "$KV.<bucket>" for the stream "KV_<bucket>".
func keyPrefix(cfg jetstream.StreamConfig) string {
	return "$KV." + strings.TrimPrefix(cfg.Name, "KV_")
}

// ownsKeys reports whether one of cfg's subjects covers every key of its
// bucket ("$KV.<bucket>.>"). A KV write is a publish to
// "$KV.<bucket>.<key>", stored by whichever stream of the account captures
// that subject, not by the stream named KV_<bucket>: a stream of that name
// with other subjects passes every check of its settings while the
// bucket's writes go to a stream nobody checked (one that stores nothing,
// so every create-only write succeeds). The server refuses two streams
// with overlapping subjects, so a stream covering the whole key space is
// the only one that can store a key.
func ownsKeys(cfg jetstream.StreamConfig) bool {
	if !strings.HasPrefix(cfg.Name, "KV_") {
		return false
	}
	want := strings.Split(keyPrefix(cfg)+".>", ".")
	for _, s := range cfg.Subjects {
		if covers(strings.Split(s, "."), want) {
			return true
		}
	}
	return false
}

// covers reports whether the subject filter f (tokens) matches every
// subject the filter want (tokens) matches.
func covers(f, want []string) bool {
	for i, tok := range f {
		if tok == ">" {
			return i < len(want)
		}
		if i >= len(want) || want[i] == ">" || tok != "*" && tok != want[i] {
			return false
		}
	}
	return len(f) == len(want)
}
