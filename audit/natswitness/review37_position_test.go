package natswitness

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit/witness"
)

type metaMsg struct {
	jetstream.Msg
	md *jetstream.MsgMetadata
}

func (m metaMsg) Metadata() (*jetstream.MsgMetadata, error) { return m.md, nil }

// TestReview37PositionIsTheStreams: the position the witness keeps is the
// stream's: a message whose metadata names another stream, or a sequence
// past the stream's last one (a message injected into the consumer's
// inbox, not delivered by the server), has none, so it cannot have the
// witness take every later message of its origin as witnessed.
func TestReview37PositionIsTheStreams(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	info := &jetstream.StreamInfo{Config: jetstream.StreamConfig{Name: "CHECKPOINTS"}, Created: created, State: jetstream.StreamState{LastSeq: 10}}
	tests := []struct {
		name   string
		stream string
		seq    uint64
		info   *jetstream.StreamInfo
		want   bool
	}{
		{"delivered", "CHECKPOINTS", 7, info, true},
		{"last", "CHECKPOINTS", 10, info, true},
		{"past the stream's end", "CHECKPOINTS", 1 << 62, info, false},
		{"another stream", "OTHER", 7, info, false},
		{"sequence 0", "CHECKPOINTS", 0, info, false},
		{"no stream information", "CHECKPOINTS", 7, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			md := &jetstream.MsgMetadata{Stream: tc.stream}
			md.Sequence.Stream = tc.seq
			got := position(metaMsg{md: md}, "CHECKPOINTS", tc.info, DefaultSubjectPrefix)
			if got.IsZero() == tc.want {
				t.Fatalf("position = %+v, want a position: %v", got, tc.want)
			}
			if tc.want && got != (witness.Position{Log: got.Log, Seq: tc.seq}) {
				t.Fatalf("position = %+v", got)
			}
		})
	}
	// Another incarnation of the stream, or another prefix, is another log.
	a := position(metaMsg{md: &jetstream.MsgMetadata{Stream: "CHECKPOINTS", Sequence: jetstream.SequencePair{Stream: 3}}}, "CHECKPOINTS", info, DefaultSubjectPrefix)
	again := *info
	again.Created = created.Add(time.Second)
	b := position(metaMsg{md: &jetstream.MsgMetadata{Stream: "CHECKPOINTS", Sequence: jetstream.SequencePair{Stream: 3}}}, "CHECKPOINTS", &again, DefaultSubjectPrefix)
	c := position(metaMsg{md: &jetstream.MsgMetadata{Stream: "CHECKPOINTS", Sequence: jetstream.SequencePair{Stream: 3}}}, "CHECKPOINTS", info, "other.prefix")
	if a.Log == b.Log || a.Log == c.Log {
		t.Fatalf("logs %q, %q, %q: want three", a.Log, b.Log, c.Log)
	}
}
