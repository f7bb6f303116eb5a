package natswitness_test

import (
	"encoding/base64"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natswitness"
	"github.com/ztci/ztci/audit/witness"
)

// TestReview37LargestCheckpointDoesNotStallTheWitness: a node pads its
// first checkpoint note with a signature line of another key (which
// verifiers ignore) up to the largest submission. The witness accepted it, but the
// state bucket, bounded to a submission's size, refused the write (the
// compare-and-swap headers count too): the witness could not decide, the
// submission was redelivered for ever, and the follower, one submission
// at a time, witnessed nothing else from any node.
func TestReview37LargestCheckpointDoesNotStallTheWitness(t *testing.T) {
	f := startFleet(t, 2)
	ctx := t.Context()
	js := connect(t, f.c.URLsFrom(1))
	// Node 1's first checkpoint (no proof: the most room for the note).
	l := openLog(t, filepath.Join(t.TempDir(), "node-1.log"), 1, 0, 3)
	s, cp, err := witness.Prepare(ctx, l, audit.Checkpoint{})
	if err != nil {
		t.Fatal(err)
	}
	room := witness.MaxSubmissionSize - len(s.Marshal()) - len("— other \n")
	pad := base64.StdEncoding.EncodeToString(make([]byte, room/4*3))
	s.Checkpoint = append(append(append(s.Checkpoint, "— other "...), pad...), '\n')
	body := s.Marshal()
	if len(body) > witness.MaxSubmissionSize || len(body) < witness.MaxSubmissionSize-8 {
		t.Fatalf("submission of %d bytes", len(body))
	}
	eventually(t, 30*time.Second, func() (*jetstream.PubAck, error) {
		return js.PublishMsg(ctx, &nats.Msg{Subject: natswitness.Subject(natswitness.DefaultSubjectPrefix, originOf(1)), Data: body})
	})
	f.waitAccepted(t, originOf(1), cp)

	// And the follower goes on with the other nodes.
	l2 := openLog(t, filepath.Join(t.TempDir(), "node-2.log"), 2, 0, 2)
	f.waitAccepted(t, originOf(2), publish(t, f.publisher(t, 2, l2)))
	if got := f.flags(); len(got) != 0 {
		t.Fatalf("flags: %v", got)
	}
}
