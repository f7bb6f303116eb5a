package otelsink_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/trace"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/otelsink"
)

// memExporter keeps what it is given, in memory, or fails every export
// with err.
type memExporter struct {
	mu      sync.Mutex
	records []sdklog.Record
	err     error
}

func (m *memExporter) Export(_ context.Context, rs []sdklog.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	for _, r := range rs {
		m.records = append(m.records, r.Clone())
	}
	return nil
}
func (m *memExporter) Shutdown(context.Context) error   { return nil }
func (m *memExporter) ForceFlush(context.Context) error { return nil }

func (m *memExporter) all() []sdklog.Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.records)
}

// newSink returns a sink over an SDK provider that exports synchronously
// into memory.
func newSink(t *testing.T, opts ...otelsink.Option) (*otelsink.Sink, *memExporter) {
	t.Helper()
	exp := &memExporter{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	t.Cleanup(func() { _ = lp.Shutdown(context.Background()) })
	s, err := otelsink.New(lp, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s, exp
}

var eventTime = time.Date(2026, 12, 5, 8, 0, 0, 123, time.UTC)

func fullEvent() audit.Event {
	return audit.Event{
		ID:             "ev-1",
		Time:           eventTime,
		Source:         "ztci/gate",
		Action:         "gate.decide",
		Outcome:        audit.OutcomeDeny,
		Actor:          audit.Actor{ID: "https://issuer.example#repo:acme/app:ref:refs/heads/x", Kind: "job", Claims: map[string]string{"repository": "acme/app", "ref": "refs/heads/x"}},
		Resource:       "registry.example/app@sha256:" + strings.Repeat("ab", 32),
		Reason:         "policy denied",
		PolicyRevision: "rev-7",
		Violations:     []string{"deploy.unprotected_ref", "deploy.source_ref_not_allowed"},
		Correlation:    audit.Correlation{JobID: "job-9", RunID: "run-3", TraceID: strings.Repeat("0a", 16)},
		Attributes:     map[string]string{"tenant": "acme", "digest": "sha256:" + strings.Repeat("ab", 32)},
	}
}

// attrs returns a record's attributes by key.
func attrs(r sdklog.Record) map[string]attribute.Value {
	out := map[string]attribute.Value{}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		out[string(kv.Key)] = kv.Value
		return true
	})
	return out
}

func TestMapping(t *testing.T) {
	t.Parallel()
	observed := time.Date(2026, 12, 5, 8, 0, 1, 0, time.UTC)
	s, exp := newSink(t, otelsink.WithClock(func() time.Time { return observed }))
	e := fullEvent()
	if err := s.Write(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	rs := exp.all()
	if len(rs) != 1 {
		t.Fatalf("%d records, want 1", len(rs))
	}
	r := rs[0]
	if r.InstrumentationScope().Name != otelsink.ScopeName {
		t.Errorf("scope %q", r.InstrumentationScope().Name)
	}
	if !r.Timestamp().Equal(eventTime) || !r.ObservedTimestamp().Equal(observed) {
		t.Errorf("timestamps %v / %v", r.Timestamp(), r.ObservedTimestamp())
	}
	if r.EventName() != "gate.decide" || r.Severity() != log.SeverityWarn || r.SeverityText() != "WARN" {
		t.Errorf("event %q severity %v %q", r.EventName(), r.Severity(), r.SeverityText())
	}
	// The body is the event's stable JSON, which decodes back to the event.
	want, err := audit.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	if r.Body().Type() != attribute.STRING || r.Body().AsString() != string(want) {
		t.Errorf("body %s\nwant %s", r.Body().String(), want)
	}
	back, err := audit.Decode([]byte(r.Body().AsString()))
	if err != nil || back.ID != e.ID {
		t.Errorf("body does not decode to the event: %v", err)
	}
	a := attrs(r)
	for k, v := range map[string]string{
		otelsink.AttrID:             "ev-1",
		otelsink.AttrSource:         "ztci/gate",
		otelsink.AttrAction:         "gate.decide",
		otelsink.AttrOutcome:        "deny",
		otelsink.AttrActorID:        e.Actor.ID,
		otelsink.AttrActorKind:      "job",
		otelsink.AttrResource:       e.Resource,
		otelsink.AttrReason:         "policy denied",
		otelsink.AttrPolicyRevision: "rev-7",
		otelsink.AttrJobID:          "job-9",
		otelsink.AttrRunID:          "run-3",
		otelsink.AttrTraceID:        e.Correlation.TraceID,
	} {
		if got := a[k]; got.Type() != attribute.STRING || got.AsString() != v {
			t.Errorf("%s = %s, want %q", k, got.String(), v)
		}
	}
	if got := a[otelsink.AttrViolations].AsStringSlice(); !slices.Equal(got, e.Violations) {
		t.Errorf("violations %v", got)
	}
	for _, m := range []struct {
		key  string
		want map[string]string
	}{{otelsink.AttrActorClaims, e.Actor.Claims}, {otelsink.AttrAttributes, e.Attributes}} {
		got := map[string]string{}
		var keys []string
		for _, kv := range a[m.key].AsMap() {
			got[string(kv.Key)] = kv.Value.AsString()
			keys = append(keys, string(kv.Key))
		}
		if len(got) != len(m.want) || !slices.IsSorted(keys) {
			t.Errorf("%s = %v (keys %v), want %v sorted", m.key, got, keys, m.want)
		}
		for k, v := range m.want {
			if got[k] != v {
				t.Errorf("%s[%s] = %q, want %q", m.key, k, got[k], v)
			}
		}
	}
	for k, v := range map[string]int64{
		otelsink.AttrOCSFClassUID:      6003,
		otelsink.AttrOCSFCategoryUID:   6,
		otelsink.AttrOCSFActivityID:    99,
		otelsink.AttrOCSFTypeUID:       600399,
		otelsink.AttrOCSFStatusID:      2,
		otelsink.AttrOCSFDispositionID: 2,
	} {
		if got := a[k]; got.Type() != attribute.INT64 || got.AsInt64() != v {
			t.Errorf("%s = %s, want %d", k, got.String(), v)
		}
	}
}

func TestOutcomes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		outcome     audit.Outcome
		severity    log.Severity
		status      int64
		disposition int64 // 0: absent
	}{
		{audit.OutcomeAllow, log.SeverityInfo, 1, 1},
		{audit.OutcomeSuccess, log.SeverityInfo, 1, 0},
		{audit.OutcomeDeny, log.SeverityWarn, 2, 2},
		{audit.OutcomeFailure, log.SeverityWarn, 2, 0},
		{audit.OutcomeError, log.SeverityError, 2, 0},
	} {
		t.Run(string(tc.outcome), func(t *testing.T) {
			t.Parallel()
			s, exp := newSink(t)
			e := audit.Event{ID: "x", Time: eventTime, Source: "ztci/test", Action: "test.act", Outcome: tc.outcome, Actor: audit.Actor{ID: "a"}}
			if err := s.Write(t.Context(), e); err != nil {
				t.Fatal(err)
			}
			r := exp.all()[0]
			a := attrs(r)
			if r.Severity() != tc.severity || a[otelsink.AttrOCSFStatusID].AsInt64() != tc.status {
				t.Errorf("severity %v status %s", r.Severity(), a[otelsink.AttrOCSFStatusID].String())
			}
			d, ok := a[otelsink.AttrOCSFDispositionID]
			if (tc.disposition == 0) == ok || (ok && d.AsInt64() != tc.disposition) {
				t.Errorf("disposition %s (present %v), want %d", d.String(), ok, tc.disposition)
			}
			// Optional fields that are empty are absent, not empty strings.
			for _, k := range []string{otelsink.AttrResource, otelsink.AttrReason, otelsink.AttrActorKind, otelsink.AttrActorClaims, otelsink.AttrAttributes, otelsink.AttrViolations, otelsink.AttrTraceID} {
				if _, ok := a[k]; ok {
					t.Errorf("%s present for an event without it", k)
				}
			}
		})
	}
}

// dump is everything a record would carry to a collector, as text.
func dump(r sdklog.Record) string {
	var b strings.Builder
	b.WriteString(r.EventName() + "\n" + r.SeverityText() + "\n" + r.Body().String() + "\n")
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		b.WriteString(string(kv.Key) + "=" + kv.Value.String() + "\n")
		return true
	})
	return b.String()
}

// A value in a field the audit HMAC hides never reaches a record, in the
// body or in any attribute; its keyed hash does, so records stay joinable.
func TestHMACCanary(t *testing.T) {
	t.Parallel()
	const canary = "canary-7f3a9c-do-not-leak"
	h, err := audit.NewHMAC([]byte(strings.Repeat("k", 32)),
		audit.FieldActorID, audit.FieldReason, audit.FieldResource,
		audit.FieldActorClaims+"email", audit.FieldAttributes+"client_token")
	if err != nil {
		t.Fatal(err)
	}
	s, exp := newSink(t, otelsink.WithHMAC(h))
	e := fullEvent()
	e.Actor.ID = "user:" + canary
	e.Reason = "token " + canary + " rejected"
	e.Resource = "secret:" + canary
	e.Actor.Claims["email"] = canary + "@example.com"
	e.Attributes["client_token"] = canary
	if err := s.Write(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	r := exp.all()[0]
	text := dump(r)
	if strings.Contains(text, canary) {
		t.Fatalf("the canary reached the record:\n%s", text)
	}
	a := attrs(r)
	if got := a[otelsink.AttrActorID].AsString(); got != h.Sum(e.Actor.ID) {
		t.Errorf("actor.id = %q, want its HMAC", got)
	}
	for _, kv := range a[otelsink.AttrAttributes].AsMap() {
		if kv.Key == "client_token" && kv.Value.AsString() != h.Sum(canary) {
			t.Errorf("attributes.client_token = %q, want its HMAC", kv.Value.AsString())
		}
	}
	if !strings.Contains(r.Body().AsString(), h.Sum(canary)) {
		t.Errorf("the body does not carry the canary's HMAC: %s", r.Body().AsString())
	}
	// The event given to Write is not modified.
	if e.Attributes["client_token"] != canary {
		t.Error("Write modified the caller's event")
	}
}

func TestInvalidEvent(t *testing.T) {
	t.Parallel()
	s, exp := newSink(t)
	for _, tc := range []struct {
		name string
		edit func(*audit.Event)
	}{
		{"no id", func(e *audit.Event) { e.ID = "" }},
		{"no actor", func(e *audit.Event) { e.Actor.ID = "" }},
		{"unknown outcome", func(e *audit.Event) { e.Outcome = "maybe" }},
		{"too large", func(e *audit.Event) { e.Reason = strings.Repeat("x", audit.MaxEventSize) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := fullEvent()
			tc.edit(&e)
			if err := s.Write(t.Context(), e); !errors.Is(err, audit.ErrInvalidEvent) {
				t.Fatalf("err = %v, want ErrInvalidEvent", err)
			}
		})
	}
	if n := len(exp.all()); n != 0 {
		t.Fatalf("%d records emitted for invalid events", n)
	}
}

func TestCanceledContext(t *testing.T) {
	t.Parallel()
	s, exp := newSink(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Write(ctx, fullEvent()); !errors.Is(err, audit.ErrSink) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrSink and Canceled", err)
	}
	if len(exp.all()) != 0 {
		t.Fatal("emitted with a canceled context")
	}
}

// With WithFlush, an exporter that cannot deliver is an audit failure.
func TestFlushFailure(t *testing.T) {
	t.Parallel()
	down := errors.New("collector unreachable")
	exp := &memExporter{err: down}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(exp, sdklog.WithExportInterval(time.Hour))))
	t.Cleanup(func() { _ = lp.Shutdown(context.Background()) })
	s, err := otelsink.New(lp, otelsink.WithFlush(lp))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(t.Context(), fullEvent()); !errors.Is(err, audit.ErrSink) || !errors.Is(err, down) {
		t.Fatalf("err = %v, want ErrSink wrapping the export error", err)
	}
	exp.mu.Lock()
	exp.err = nil
	exp.mu.Unlock()
	if err := s.Write(t.Context(), fullEvent()); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if n := len(exp.all()); n != 1 {
		t.Fatalf("%d records delivered, want 1", n)
	}
}

// With WithTraceContext, the record joins the trace of the span in Write's
// context. (Without it, it joins none: TestReview37TraceContext.)
func TestTraceContext(t *testing.T) {
	t.Parallel()
	s, exp := newSink(t, otelsink.WithTraceContext())
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:     trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
		TraceFlags: trace.FlagsSampled,
	})
	if err := s.Write(trace.ContextWithSpanContext(t.Context(), sc), fullEvent()); err != nil {
		t.Fatal(err)
	}
	r := exp.all()[0]
	if r.TraceID() != sc.TraceID() || r.SpanID() != sc.SpanID() {
		t.Errorf("record trace %v/%v, want %v/%v", r.TraceID(), r.SpanID(), sc.TraceID(), sc.SpanID())
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	lp := sdklog.NewLoggerProvider()
	for _, tc := range []struct {
		name string
		lp   log.LoggerProvider
		opts []otelsink.Option
	}{
		{name: "nil provider"},
		{name: "nil option", lp: lp, opts: []otelsink.Option{nil}},
		{name: "nil hmac", lp: lp, opts: []otelsink.Option{otelsink.WithHMAC(nil)}},
		{name: "nil flusher", lp: lp, opts: []otelsink.Option{otelsink.WithFlush(nil)}},
		{name: "nil clock", lp: lp, opts: []otelsink.Option{otelsink.WithClock(nil)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := otelsink.New(tc.lp, tc.opts...)
			if !errors.Is(err, otelsink.ErrConfig) || !errors.Is(err, audit.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
}

// BenchmarkWrite: one event through the sink into the OTel SDK (exporter
// discarding), beside audit's own JSON Lines sink writing to io.Discard.
func BenchmarkWrite(b *testing.B) {
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(&discard{})))
	otel, err := otelsink.New(lp)
	if err != nil {
		b.Fatal(err)
	}
	jsonl, err := audit.NewJSONLines(io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	e := fullEvent()
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		sink audit.Sink
	}{{"otelsink", otel}, {"jsonlines", jsonl}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.sink.Write(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type discard struct{}

func (discard) Export(context.Context, []sdklog.Record) error { return nil }
func (discard) Shutdown(context.Context) error                { return nil }
func (discard) ForceFlush(context.Context) error              { return nil }
