package natsink_test

import (
	"context"
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
	fmt.Println("options:", len(opts), "(Nats-Msg-Id = event id, expected stream)")
	return &jetstream.PubAck{Stream: "AUDIT", Sequence: 1}, nil
}

func Example() {
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
	// options: 2 (Nats-Msg-Id = event id, expected stream)
	// acknowledged: true
}
