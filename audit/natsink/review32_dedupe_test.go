package natsink_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natsink"
)

// TestReview32DedupeScopedByTenant: the Nats-Msg-Id was the event id for
// every tenant, and the stream's de-duplication window is shared by all
// its subjects: a tenant that can choose its event ids wrote one with the
// id of another tenant's coming event, whose Write then returned nil while
// the stream dropped it as a duplicate. Each tenant's events are now
// de-duplicated among themselves only; a retry is still one message.
func TestReview32DedupeScopedByTenant(t *testing.T) {
	js, st, _ := startNATS(t)
	sink, err := natsink.New(js, "AUDIT", natsink.TenantAttribute("tenant"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	writes := []struct {
		name   string
		id     string
		tenant string
	}{
		{"attacker first", "evt-42", "mallory"},
		{"victim, same id", "evt-42", "acme"},
		{"victim retry", "evt-42", "acme"},
		{"long id, attacker", strings.Repeat("x", 200), "mallory"},
		{"long id, victim", strings.Repeat("x", 200), "acme"},
	}
	for _, w := range writes {
		e := event(w.id, w.tenant)
		if err := sink.Write(ctx, e); err != nil {
			t.Fatalf("%s: Write: %v", w.name, err)
		}
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter("ztci.audit.>"))
	if err != nil {
		t.Fatal(err)
	}
	for tenant, want := range map[string]uint64{"mallory": 2, "acme": 2} {
		if got := info.State.Subjects["ztci.audit."+tenant]; got != want {
			t.Errorf("%s subject holds %d events, want %d (another tenant's event with the same id was dropped)", tenant, got, want)
		}
	}
	m, err := st.GetLastMsgForSubject(ctx, "ztci.audit.acme")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := audit.Decode(m.Data); err != nil || got.Attributes["tenant"] != "acme" {
		t.Errorf("acme's last event: %+v, %v", got, err)
	}
}

// TestReview32DuplicateOnAnotherSubject: a writer allowed to publish on its
// own tenant's subject only chooses the Nats-Msg-Id of what it publishes
// there; under the id the sink would give another tenant's coming event,
// it had that event dropped while Write returned nil. Write now fails
// when the message the stream holds under the id is on another subject,
// and a true retry stays a quiet duplicate.
func TestReview32DuplicateOnAnotherSubject(t *testing.T) {
	js, st, _ := startNATS(t)
	sink, err := natsink.New(js, "AUDIT", natsink.TenantAttribute("tenant"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	pre := &nats.Msg{Subject: sink.Subject("mallory"), Data: []byte("{}")}
	if _, err := js.PublishMsg(ctx, pre, jetstream.WithMsgID("acme:evt-7")); err != nil {
		t.Fatal(err)
	}
	if err := sink.Write(ctx, event("evt-7", "acme")); !errors.Is(err, audit.ErrSink) {
		t.Fatalf("Write of an event whose id another subject took: %v; want ErrSink", err)
	}
	if err := sink.Write(ctx, event("evt-8", "acme")); err != nil {
		t.Fatal(err)
	}
	if err := sink.Write(ctx, event("evt-8", "acme")); err != nil {
		t.Fatalf("retry: %v", err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter("ztci.audit.>"))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.State.Subjects["ztci.audit.acme"]; got != 1 {
		t.Errorf("acme holds %d events, want 1", got)
	}
}
