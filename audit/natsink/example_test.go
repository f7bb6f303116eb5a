package natsink_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natsink"
)

// printer shows what the sink hands to JetStream. In production pass the
// jetstream.JetStream from jetstream.New(nc), and leave out
// WithoutStreamCheck so the stream's settings are checked (a printer has no
// stream); the tests run against a real nats-server.
type printer struct{}

func (printer) PublishMsg(_ context.Context, m *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	fmt.Println("subject:", m.Subject)
	fmt.Println("options:", len(opts), "(Nats-Msg-Id = tenant and event id, expected stream)")
	return &jetstream.PubAck{Stream: "AUDIT", Sequence: 1}, nil
}

func Example() {
	// WithoutStreamCheck only because a printer has no stream: in production
	// leave it out, so a stream that lets events be evicted or erased is refused.
	sink, err := natsink.New(printer{}, "AUDIT", natsink.TenantAttribute("tenant"), natsink.WithoutStreamCheck())
	if err != nil {
		panic(err)
	}
	err = sink.Write(context.Background(), audit.Event{
		ID: "e1", Time: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), Source: "ztci/policy",
		Action: "policy.evaluate", Outcome: audit.OutcomeDeny,
		Actor:      audit.Actor{ID: "spiffe://acme.example/ci/runner"},
		Attributes: map[string]string{"tenant": "acme"},
	})
	fmt.Println("acknowledged:", err == nil)
	// Output:
	// subject: ztci.audit.acme
	// options: 2 (Nats-Msg-Id = tenant and event id, expected stream)
	// acknowledged: true
}

// A vendor that creates the audit stream itself (or reads one an operator
// made, with js.Stream(ctx, name) and CachedInfo().Config) checks its
// settings before pointing sinks at it; New does the same when it can read
// the stream. A stream that lets events be evicted or erased is refused
// with ErrStream, naming every setting at fault.
func ExampleCheckStream() {
	cfg := jetstream.StreamConfig{
		Name: "AUDIT", Subjects: []string{"ztci.audit.>"}, Storage: jetstream.FileStorage,
		Replicas: 3, Duplicates: 10 * time.Minute, DenyDelete: true, DenyPurge: true,
		MaxAge: 400 * 24 * time.Hour, // the operator's retention: not checked
	}
	fmt.Println("recommended:", natsink.CheckStream(cfg, "ztci.audit"))

	cfg.MaxMsgs = 1_000_000 // discard old: a flood of events pushes the oldest out
	cfg.DenyPurge = false   // anyone who may manage the stream erases it
	err := natsink.CheckStream(cfg, "ztci.audit")
	fmt.Println("refused:", errors.Is(err, natsink.ErrStream))
	fmt.Println(err)
	// Output:
	// recommended: <nil>
	// refused: true
	// audit: invalid configuration: natsink: audit stream unsafe: stream AUDIT: discard old with max msgs or max bytes lets a flood evict the oldest events; deny purge is off: events can be purged
}
