package gateotel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/otelsink"
	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gateotel"
	"github.com/ztci/ztci/policy/gate/gatetest"
)

// otlpValue is an OTLP/JSON AnyValue, as the collector's file exporter
// writes it.
type otlpValue struct {
	StringValue *string `json:"stringValue"`
	IntValue    *string `json:"intValue"`
}

type otlpKV struct {
	Key   string    `json:"key"`
	Value otlpValue `json:"value"`
}

func attrMap(kvs []otlpKV) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		switch {
		case kv.Value.StringValue != nil:
			m[kv.Key] = *kv.Value.StringValue
		case kv.Value.IntValue != nil:
			m[kv.Key] = *kv.Value.IntValue
		}
	}
	return m
}

type otlpLogRecord struct {
	EventName      string    `json:"eventName"`
	SeverityNumber int       `json:"severityNumber"`
	Body           otlpValue `json:"body"`
	Attributes     []otlpKV  `json:"attributes"`
	TraceID        string    `json:"traceId"`
}

// logRecords parses the collector's logs file: one export request per line.
func logRecords(t *testing.T, data []byte) []otlpLogRecord {
	t.Helper()
	var out []otlpLogRecord
	for line := range bytes.Lines(data) {
		var req struct {
			ResourceLogs []struct {
				ScopeLogs []struct {
					Scope      struct{ Name string } `json:"scope"`
					LogRecords []otlpLogRecord       `json:"logRecords"`
				} `json:"scopeLogs"`
			} `json:"resourceLogs"`
		}
		if err := json.Unmarshal(line, &req); err != nil {
			t.Fatalf("logs file: %v: %s", err, line)
		}
		for _, rl := range req.ResourceLogs {
			for _, sl := range rl.ScopeLogs {
				if sl.Scope.Name != otelsink.ScopeName {
					t.Errorf("log scope %q", sl.Scope.Name)
				}
				out = append(out, sl.LogRecords...)
			}
		}
	}
	return out
}

// sums parses the collector's metrics file into "name{k=v}" → the latest
// cumulative value of each counter and the count of each histogram.
func sums(t *testing.T, data []byte) map[string]string {
	t.Helper()
	type point struct {
		Attributes []otlpKV `json:"attributes"`
		AsInt      string   `json:"asInt"`
		Count      string   `json:"count"`
	}
	out := map[string]string{}
	for line := range bytes.Lines(data) {
		var req struct {
			ResourceMetrics []struct {
				ScopeMetrics []struct {
					Metrics []struct {
						Name      string                        `json:"name"`
						Sum       *struct{ DataPoints []point } `json:"sum"`
						Histogram *struct{ DataPoints []point } `json:"histogram"`
					} `json:"metrics"`
				} `json:"scopeMetrics"`
			} `json:"resourceMetrics"`
		}
		if err := json.Unmarshal(line, &req); err != nil {
			t.Fatalf("metrics file: %v: %s", err, line)
		}
		for _, rm := range req.ResourceMetrics {
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					var pts []point
					switch {
					case m.Sum != nil:
						pts = m.Sum.DataPoints
					case m.Histogram != nil:
						pts = m.Histogram.DataPoints
					}
					for _, p := range pts {
						var kv []string
						for k, v := range attrMap(p.Attributes) {
							kv = append(kv, k+"="+v)
						}
						v := p.AsInt
						if m.Histogram != nil {
							v = p.Count
						}
						out[m.Name+"{"+strings.Join(kv, ",")+"}"] = v
					}
				}
			}
		}
	}
	return out
}

// TestCollector: a real OpenTelemetry Collector receives, over OTLP/HTTP,
// the audit log records a gate writes through otelsink and the metrics and
// spans gateotel records — and neither the job token of a refused request
// nor the job identity the audit HMAC hides reaches it.
func TestCollector(t *testing.T) {
	col := itest.StartOtelCol(t)
	ctx := t.Context()
	shutdown := func(name string, f func(context.Context) error) {
		t.Cleanup(func() {
			if err := f(context.Background()); err != nil {
				t.Errorf("%s shutdown: %v", name, err)
			}
		})
	}

	logExp, err := otlploghttp.New(ctx, otlploghttp.WithEndpoint(col.HTTPEndpoint()), otlploghttp.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(logExp)))
	shutdown("logger provider", lp.Shutdown)
	metricExp, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpoint(col.HTTPEndpoint()), otlpmetrichttp.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metricExp, sdkmetric.WithInterval(time.Hour))))
	shutdown("meter provider", mp.Shutdown)
	traceExp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(col.HTTPEndpoint()), otlptracehttp.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(traceExp))
	shutdown("tracer provider", tp.Shutdown)

	h, err := audit.NewHMAC([]byte(strings.Repeat("h", 32)), audit.FieldActorID)
	if err != nil {
		t.Fatal(err)
	}
	sink, err := otelsink.New(lp, otelsink.WithHMAC(h), otelsink.WithFlush(lp))
	if err != nil {
		t.Fatal(err)
	}
	obs, err := gateotel.New(mp, gateotel.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	lab, err := gatetest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.Close() })
	rec := audittest.NewRecorder() // what the gate audited, before the HMAC
	g, err := lab.Gate(ctx, audit.FanOut(rec, sink), gate.WithObserver(obs))
	if err != nil {
		t.Fatal(err)
	}

	for _, j := range []gatetest.Job{{Ref: "refs/heads/main", Protected: true}, {Ref: "refs/heads/feature/x"}} {
		img, err := lab.Publish(ctx, j, "build")
		if err != nil {
			t.Fatal(err)
		}
		tok, err := lab.Token(ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: img.Image}); err != nil {
			t.Fatal(err)
		}
	}
	// A refused request whose token is a canary: the gate audits the
	// refusal, and the token must not reach the collector.
	const canary = "eyJhbGciOiJub25lIn0.canary-token-5e1f.sig"
	img, err := lab.Publish(ctx, gatetest.Job{Ref: "refs/heads/main", Protected: true}, "canary")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(canary), Image: img.Image}); err == nil {
		t.Fatal("a canary token was accepted")
	}

	if err := mp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}

	events := rec.Events()
	if len(events) != 3 {
		t.Fatalf("%d audit events, want 3", len(events))
	}
	logs := col.WaitFile(t, itest.SignalLogs, 30*time.Second, func(b []byte) bool {
		return bytes.Count(b, []byte(`"eventName"`)) >= len(events)
	})
	if bytes.Contains(logs, []byte("canary-token")) {
		t.Fatalf("the job token reached the collector:\n%s", logs)
	}
	records := logRecords(t, logs)
	if len(records) != len(events) {
		t.Fatalf("collector has %d log records, want %d", len(records), len(events))
	}
	byID := map[string]otlpLogRecord{}
	for _, r := range records {
		byID[attrMap(r.Attributes)[otelsink.AttrID]] = r
	}
	for _, e := range events {
		r, ok := byID[e.ID]
		if !ok {
			t.Errorf("event %s (%s) did not reach the collector", e.ID, e.Outcome)
			continue
		}
		a := attrMap(r.Attributes)
		if e.Actor.ID != "unauthenticated" && bytes.Contains(logs, []byte(e.Actor.ID)) {
			t.Errorf("the job identity %q the HMAC hides reached the collector", e.Actor.ID)
		}
		if a[otelsink.AttrActorID] != h.Sum(e.Actor.ID) {
			t.Errorf("actor.id %q, want the HMAC of the job identity", a[otelsink.AttrActorID])
		}
		if r.EventName != e.Action || a[otelsink.AttrOutcome] != string(e.Outcome) || a[otelsink.AttrOCSFClassUID] != "6003" {
			t.Errorf("record %s: event %q outcome %q class %q", e.ID, r.EventName, a[otelsink.AttrOutcome], a[otelsink.AttrOCSFClassUID])
		}
		body, err := audit.Decode([]byte(*r.Body.StringValue))
		if err != nil || body.ID != e.ID || body.Outcome != e.Outcome {
			t.Errorf("record %s: body does not decode to the event: %v", e.ID, err)
		}
	}

	metrics := col.WaitFile(t, itest.SignalMetrics, 30*time.Second, func(b []byte) bool {
		return bytes.Contains(b, []byte(gateotel.MetricDenials))
	})
	got := sums(t, metrics)
	for k, v := range map[string]string{
		"ztci.gate.decisions{ztci.gate.decision=allow}":                   "1",
		"ztci.gate.decisions{ztci.gate.decision=deny}":                    "1",
		"ztci.gate.decisions{ztci.gate.decision=error}":                   "1",
		"ztci.gate.denials{ztci.gate.rule=deploy.unprotected_ref}":        "1",
		"ztci.gate.denials{ztci.gate.rule=deploy.source_ref_not_allowed}": "1",
		"ztci.gate.denials{ztci.gate.rule=gate.unauthenticated}":          "1",
		"ztci.gate.decision.duration{ztci.gate.decision=allow}":           "1",
	} {
		if got[k] != v {
			t.Errorf("collector metric %s = %q, want %s", k, got[k], v)
		}
	}

	traces := col.WaitFile(t, itest.SignalTraces, 30*time.Second, func(b []byte) bool {
		return bytes.Count(b, []byte(gateotel.SpanName)) >= 3
	})
	if !bytes.Contains(traces, []byte(gateotel.KindUnauthenticated)) || bytes.Contains(traces, []byte("canary-token")) {
		t.Errorf("traces: want the error kind of the refused request and no token:\n%s", traces)
	}
}
