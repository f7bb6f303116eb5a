package natsanomaly

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// review15Msg is a stored stream message: its data, subject and sequence.
type review15Msg struct {
	jetstream.Msg // other methods are not called
	data          []byte
	seq           uint64
}

func (m review15Msg) Data() []byte    { return m.data }
func (m review15Msg) Subject() string { return "ztci.audit.t" }
func (m review15Msg) Metadata() (*jetstream.MsgMetadata, error) {
	return &jetstream.MsgMetadata{Sequence: jetstream.SequencePair{Stream: m.seq}}, nil
}

// TestReview15UndecodableNeverLogged: the feeder logs an undecodable
// message "with its sequence, subject and size, never its content" (a
// publisher may have written anything there). It logged audit.Decode's
// error, which quotes what it found: the text of a time or an outcome, the
// name of an unknown or repeated member, a number, up to 64 KiB of it.
func TestReview15UndecodableNeverLogged(t *testing.T) {
	const canary = "CANARY-ztci-review15"
	const ok = `"source":"s","action":"a","actor":{"id":"x"}`
	for name, data := range map[string]string{
		"time":            `{"id":"1","time":"` + canary + `","outcome":"allow",` + ok + `}`,
		"outcome":         `{"id":"1","time":"2026-01-02T03:04:05Z","outcome":"` + canary + `",` + ok + `}`,
		"unknown member":  `{"id":"1","time":"2026-01-02T03:04:05Z","outcome":"allow",` + ok + `,"` + canary + `":"v"}`,
		"repeated key":    `{"id":"1","time":"2026-01-02T03:04:05Z","outcome":"allow",` + ok + `,"attributes":{"` + canary + `":"v","` + canary + `":"w"}}`,
		"number":          `{"id":1234567` + strings.Repeat("9", 20) + `,"time":"2026-01-02T03:04:05Z","outcome":"allow",` + ok + `}`,
		"long outcome":    `{"id":"1","time":"2026-01-02T03:04:05Z","outcome":"` + strings.Repeat("A", 60<<10) + `",` + ok + `}`,
		"syntax":          `{"id":"1",` + canary,
		"trailing":        `{"id":"1","time":"2026-01-02T03:04:05Z","outcome":"allow",` + ok + `} ` + canary,
		"misspelt member": `{"id":"1","time":"2026-01-02T03:04:05Z","outcome":"allow",` + ok + `,"Reason":"` + canary + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			f := &Feeder{name: "AUDIT", cfg: config{logger: slog.New(slog.NewTextHandler(&logs, nil))}}
			if err := f.handle(context.Background(), review15Msg{data: []byte(data), seq: 7}); err != nil {
				t.Fatal(err)
			}
			if st := f.Stats(); st.Undecodable != 1 || st.LastUndecodable != 7 {
				t.Fatalf("stats %+v, want one undecodable message at seq 7", st)
			}
			out := logs.String()
			if !strings.Contains(out, "undecodable audit event skipped") || !strings.Contains(out, "seq=7") {
				t.Fatalf("no log of the skipped message: %s", out)
			}
			if strings.Contains(out, canary) || strings.Contains(out, "AAAA") || strings.Contains(out, "12345") {
				t.Fatalf("the log quotes the message's content: %.300s", out)
			}
			if len(out) > 1024 {
				t.Fatalf("log line of %d bytes for one message", len(out))
			}
		})
	}
}
