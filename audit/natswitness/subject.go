package natswitness

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit/witness"
)

// Subject returns the subject the checkpoints of origin are published to:
// "<prefix>.<token>", the token being the origin in unpadded base64url, so
// that every origin is one subject token (origins contain dots and
// slashes) and no origin can reach into another's subject. Grant each node
// publish permission on its own subject only.
func Subject(prefix, origin string) string {
	return prefix + "." + base64.RawURLEncoding.EncodeToString([]byte(origin))
}

// originOf returns the origin a subject of prefix names, or "" (an origin
// no witness knows) when it names none.
func originOf(prefix, subject string) string {
	tok, ok := strings.CutPrefix(subject, prefix+".")
	if !ok || strings.Contains(tok, ".") {
		return ""
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(tok)
	// The decoder skips CR and LF: only the canonical token names an origin.
	if err != nil || base64.RawURLEncoding.EncodeToString(b) != tok {
		return ""
	}
	return string(b)
}

// StreamConfig returns the recommended configuration of the stream that
// carries the checkpoints published under prefix: file storage on replicas
// servers (3 in a cluster, so that losing a node loses no acknowledged
// checkpoint), no age or count limit (a witness that was down catches up
// on everything), a de-duplication window for publish retries, messages
// bounded to a submission's maximum size, and deletes and purges denied so
// that a node cannot erase what it published. AllowDirect stays off: a
// publisher reading its last checkpoint back must get it from the stream
// leader, not from a replica that may lag. It passes [CheckStream].
func StreamConfig(name, prefix string, replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:       name,
		Subjects:   []string{prefix + ".>"},
		Storage:    jetstream.FileStorage,
		Replicas:   replicas,
		Retention:  jetstream.LimitsPolicy,
		Discard:    jetstream.DiscardNew,
		Duplicates: 2 * time.Minute,
		MaxMsgSize: witness.MaxSubmissionSize,
		DenyDelete: true,
		DenyPurge:  true,
	}
}
