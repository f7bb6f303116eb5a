package natswitness_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natswitness"
	"github.com/ztci/ztci/audit/witness"
	"github.com/ztci/ztci/internal/itest"
)

// TestReview32DuplicateOfAnotherNodesMessage: the checkpoint stream's
// de-duplication window is shared by every node's subject, and a node
// chooses the Nats-Msg-Id of what it publishes on its own subject. A node
// that published anything under the id of another node's coming
// submission had that submission dropped while Publish reported it
// published: no witness saw the checkpoint, and the victim's next one,
// proved from it, was flagged as a gap. Publish now checks that the
// message the stream reports it a duplicate of is its own, and otherwise
// fails with ErrUnavailable (and retries it).
func TestReview32DuplicateOfAnotherNodesMessage(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cases := []struct {
		name    string
		from    int    // the node whose subject the earlier message is on
		data    []byte // nil: the victim's own submission (an acknowledgement lost)
		wantErr error
	}{
		{"another node's message under the id", 2, []byte("not a checkpoint"), natswitness.ErrUnavailable},
		{"another node's copy of the submission", 2, nil, natswitness.ErrUnavailable},
		{"own copy, acknowledgement lost", 1, nil, nil},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prefix := fmt.Sprintf("r32.c%d", i)
			sc := natswitness.StreamConfig(fmt.Sprintf("R32_%d", i), prefix, 1)
			if _, err := js.CreateStream(ctx, sc); err != nil {
				t.Fatal(err)
			}
			victim := openLog(t, filepath.Join(t.TempDir(), "audit.log"), 1, 0, 3)
			sub, _, err := witness.Prepare(ctx, victim, audit.Checkpoint{})
			if err != nil {
				t.Fatal(err)
			}
			body := sub.Marshal()
			data := tc.data
			if data == nil {
				data = body
			}
			// Published as node tc.from's permissions allow: on its own
			// subject, with the Nats-Msg-Id it chooses.
			pre := &nats.Msg{Subject: natswitness.Subject(prefix, originOf(tc.from)), Data: data}
			if _, err := js.PublishMsg(ctx, pre, jetstream.WithMsgID(witness.ID(body))); err != nil {
				t.Fatal(err)
			}
			p, err := natswitness.NewPublisher(js, sc.Name, victim, natswitness.WithSubjectPrefix(prefix))
			if err != nil {
				t.Fatal(err)
			}
			cp, err := p.Publish(ctx)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("Publish: size %d, %v; want %v", cp.Size, err, tc.wantErr)
			}
		})
	}
}
