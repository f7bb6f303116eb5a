package natsink_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit/natsink"
)

type review17NoPublish struct{ t *testing.T }

func (p review17NoPublish) PublishMsg(context.Context, *nats.Msg, ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	p.t.Fatal("an event with an invalid tenant was published")
	return nil, nil
}

// TestReview17TenantNotQuoted: the tenant of an event comes from the event
// (TenantAttribute reads an attribute a producer wrote); an invalid one was
// quoted in full in Write's error, which callers log.
func TestReview17TenantNotQuoted(t *testing.T) {
	t.Parallel()
	sink, err := natsink.New(review17NoPublish{t}, "AUDIT", natsink.TenantAttribute("tenant"), natsink.WithoutStreamCheck())
	if err != nil {
		t.Fatal(err)
	}
	err = sink.Write(context.Background(), event("x1", "CANARY-s3cr3t \x1b]0;pwned\x07"))
	if !errors.Is(err, natsink.ErrInvalidTenant) {
		t.Fatalf("Write = %v, want ErrInvalidTenant", err)
	}
	if msg := err.Error(); strings.Contains(msg, "CANARY") || strings.Contains(msg, "pwned") {
		t.Errorf("error quotes the tenant: %q", msg)
	}
}
