package otelsink_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/otelsink"
	"github.com/ztci/ztci/audit/otelsink/ackprocessor"
)

// printer is the vendor's exporter; here it prints what a collector would
// receive.
type printer struct{}

func (printer) Export(_ context.Context, rs []sdklog.Record) error {
	for _, r := range rs {
		fmt.Println(r.EventName(), r.SeverityText())
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			if kv.Key == otelsink.AttrOutcome || kv.Key == otelsink.AttrActorID || strings.HasPrefix(string(kv.Key), "ocsf.") {
				fmt.Printf("  %s=%s\n", kv.Key, kv.Value.String())
			}
			return true
		})
	}
	return nil
}
func (printer) Shutdown(context.Context) error   { return nil }
func (printer) ForceFlush(context.Context) error { return nil }

// An audit event becomes an OTel log record, its actor hashed by the audit
// HMAC and its OCSF class carried as attributes. Write returns nil only
// once the exporter accepted the record (WithAcknowledgement).
func Example() {
	ctx := context.Background()
	p, err := ackprocessor.New(printer{})
	if err != nil {
		panic(err)
	}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(p))
	defer lp.Shutdown(ctx)
	// The HMAC key is a secret (32 random bytes from a secrets manager in
	// production, never a literal): whoever holds it can test guesses of
	// the actors it hides.
	h, err := audit.NewHMAC([]byte("an example key of at least 32 bytes"), audit.FieldActorID)
	if err != nil {
		panic(err)
	}
	sink, err := otelsink.New(lp, otelsink.WithHMAC(h), otelsink.WithAcknowledgement())
	if err != nil {
		panic(err)
	}
	err = sink.Write(ctx, audit.Event{
		ID: "ev-1", Time: time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC),
		Source: "ztci/gate", Action: "gate.decide", Outcome: audit.OutcomeDeny,
		Actor:      audit.Actor{ID: "alice@example.com", Kind: "user"},
		Violations: []string{"deploy.unprotected_ref"},
	})
	fmt.Println(err)
	// Output:
	// gate.decide WARN
	//   ztci.audit.outcome=deny
	//   ztci.audit.actor.id=hmac-sha256:b82499c6388c04dcd4f9ec099535a5bef6df19daa93b8c8a7b584a336b02b0ff
	//   ocsf.class_uid=6003
	//   ocsf.category_uid=6
	//   ocsf.activity_id=99
	//   ocsf.type_uid=600399
	//   ocsf.status_id=2
	//   ocsf.disposition_id=2
	// <nil>
}
