package natsink_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natsink"
	"github.com/ztci/ztci/internal/itest"
)

// startNATS starts a real nats-server with JetStream on a free loopback
// port and returns a JetStream client with an "AUDIT" stream on
// "ztci.audit.>".
func startNATS(t *testing.T) (jetstream.JetStream, jetstream.Stream, *nats.Conn) {
	t.Helper()
	bin := itest.Binary(t, "ZTCI_NATS_SERVER")
	port := itest.FreePort(t)
	p := itest.Start(t, exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", t.TempDir()))
	p.WaitTCP(t, itest.Addr(port), 15*time.Second)
	nc, err := nats.Connect("nats://"+itest.Addr(port), nats.MaxReconnects(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "AUDIT", Subjects: []string{"ztci.audit.>"}, Duplicates: 2 * time.Minute, Storage: jetstream.FileStorage,
		DenyDelete: true, DenyPurge: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return js, st, nc
}

func event(id, tenant string) audit.Event {
	return audit.Event{
		ID: id, Time: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), Source: "ztci/secrets",
		Action: "secrets.lease.issue", Outcome: audit.OutcomeAllow,
		Actor:      audit.Actor{ID: "spiffe://example.org/ci/runner"},
		Attributes: map[string]string{"tenant": tenant},
	}
}

func TestSinkAgainstRealJetStream(t *testing.T) {
	js, st, _ := startNATS(t)
	sink, err := natsink.New(js, "AUDIT", natsink.TenantAttribute("tenant"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for i := range 5 {
		for _, tenant := range []string{"acme", "globex"} {
			if err := sink.Write(ctx, event(fmt.Sprintf("%s-%d", tenant, i), tenant)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A redelivered event (same id) is acknowledged but not stored twice.
	if err := sink.Write(ctx, event("acme-3", "acme")); err != nil {
		t.Fatalf("duplicate: %v", err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter("ztci.audit.>"))
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 10 {
		t.Errorf("stream holds %d messages, want 10 (duplicate must be dropped)", info.State.Msgs)
	}
	if got := info.State.Subjects["ztci.audit.acme"]; got != 5 {
		t.Errorf("acme subject holds %d, want 5 (subjects: %v)", got, info.State.Subjects)
	}
	m, err := st.GetLastMsgForSubject(ctx, "ztci.audit.globex")
	if err != nil {
		t.Fatal(err)
	}
	got, err := audit.Decode(m.Data)
	if err != nil || got.ID != "globex-4" {
		t.Errorf("last globex message: %+v, %v", got, err)
	}
	if m.Header.Get(jetstream.MsgIDHeader) != "globex:globex-4" { // scoped by tenant (review 32)
		t.Errorf("Nats-Msg-Id = %q", m.Header.Get(jetstream.MsgIDHeader))
	}
}

// Distinct event ids are never taken for one: a NATS header value loses
// leading and trailing whitespace and has CR and LF turned into spaces, so
// " z" and "z" were one Nats-Msg-Id and the second event was acknowledged
// as a duplicate — Write returned nil for an event the stream never stored.
func TestSinkDistinctIDsNeverDeduplicated(t *testing.T) {
	js, st, _ := startNATS(t)
	sink, err := natsink.New(js, "AUDIT", natsink.TenantAttribute("tenant"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	long := strings.Repeat("l", 300)
	ids := []string{" z", "z", "v ", "v", "x\r\nA", "x  A", "y\tB", "y B", "w\x00a", "w\x00b", long, long + "!",
		"sha256:" + strings.Repeat("0", 64), "\u00e9", "\u00e9\u00e9"}
	for _, id := range ids {
		if err := sink.Write(ctx, event(id, "acme")); err != nil {
			t.Fatalf("Write(%q): %v", id, err)
		}
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != uint64(len(ids)) {
		t.Errorf("stream holds %d messages, want %d: distinct events were dropped as duplicates", info.State.Msgs, len(ids))
	}
	// A true retry of any of them is still a duplicate.
	if err := sink.Write(ctx, event(" z", "acme")); err != nil {
		t.Fatal(err)
	}
	if info, err = st.Info(ctx); err != nil || info.State.Msgs != uint64(len(ids)) {
		t.Errorf("after a retry: %d messages, %v; want %d", info.State.Msgs, err, len(ids))
	}
}

func TestSinkFailsClosed(t *testing.T) {
	js, _, nc := startNATS(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	sink, err := natsink.New(js, "AUDIT", natsink.TenantAttribute("tenant"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		e    audit.Event
		want error
	}{
		{"no tenant", event("x1", ""), natsink.ErrInvalidTenant},
		{"wildcard tenant", event("x2", "acme.>"), natsink.ErrInvalidTenant},
		{"dotted tenant", event("x3", "acme.globex"), natsink.ErrInvalidTenant},
		{"invalid event", audit.Event{Attributes: map[string]string{"tenant": "acme"}}, audit.ErrInvalidEvent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := sink.Write(ctx, tt.e); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("wrong stream", func(t *testing.T) {
		other, _ := natsink.New(js, "OTHER", natsink.TenantAttribute("tenant"))
		if err := other.Write(ctx, event("x4", "acme")); !errors.Is(err, audit.ErrSink) {
			t.Errorf("got %v, want ErrSink", err)
		}
	})
	t.Run("no stream for subject", func(t *testing.T) {
		other, _ := natsink.New(js, "AUDIT", natsink.TenantAttribute("tenant"), natsink.WithSubjectPrefix("elsewhere.audit"))
		if err := other.Write(ctx, event("x5", "acme")); !errors.Is(err, audit.ErrSink) {
			t.Errorf("got %v, want ErrSink", err)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		cctx, ccancel := context.WithCancel(ctx)
		ccancel()
		if err := sink.Write(cctx, event("x6", "acme")); !errors.Is(err, audit.ErrSink) {
			t.Errorf("got %v, want ErrSink", err)
		}
	})
	t.Run("connection closed", func(t *testing.T) {
		nc.Close()
		if err := sink.Write(ctx, event("x7", "acme")); !errors.Is(err, audit.ErrSink) {
			t.Errorf("got %v, want ErrSink", err)
		}
	})
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  natsink.Option
	}{
		{"wildcard prefix", natsink.WithSubjectPrefix("ztci.*")},
		{"trailing dot", natsink.WithSubjectPrefix("ztci.")},
		{"empty prefix", natsink.WithSubjectPrefix("")},
		{"nil logger", natsink.WithLogger(nil)},
		{"nil option", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := natsink.New(fakeNone{}, "AUDIT", natsink.TenantAttribute("t"), natsink.WithoutStreamCheck(), tt.opt)
			if !errors.Is(err, natsink.ErrConfig) || !errors.Is(err, audit.ErrConfig) {
				t.Errorf("New(%s) = %v, want ErrConfig", tt.name, err)
			}
		})
	}
}

// fakeNone only satisfies the type for constructor validation; it is never
// called.
type fakeNone struct{}

func (fakeNone) PublishMsg(context.Context, *nats.Msg, ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	panic("not called")
}

// publisherFunc adapts a function to natsink.Publisher.
type publisherFunc func(context.Context, *nats.Msg, ...jetstream.PublishOpt) (*jetstream.PubAck, error)

func (f publisherFunc) PublishMsg(ctx context.Context, m *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	return f(ctx, m, opts...)
}

// TestSinkRequiresAcknowledgement: a write counts as recorded only with the
// expected stream's acknowledgement; no ack, or another stream's, fails.
func TestSinkRequiresAcknowledgement(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ack  *jetstream.PubAck
		ok   bool
	}{
		{"acknowledged by the stream", &jetstream.PubAck{Stream: "AUDIT", Sequence: 1}, true},
		{"no acknowledgement", nil, false},
		{"acknowledged by another stream", &jetstream.PubAck{Stream: "OTHER", Sequence: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pub := publisherFunc(func(context.Context, *nats.Msg, ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
				return tt.ack, nil
			})
			sink, err := natsink.New(pub, "AUDIT", natsink.TenantAttribute("tenant"), natsink.WithoutStreamCheck())
			if err != nil {
				t.Fatal(err)
			}
			err = sink.Write(t.Context(), event("e1", "acme"))
			if tt.ok != (err == nil) || (!tt.ok && !errors.Is(err, audit.ErrSink)) {
				t.Fatalf("Write: %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
