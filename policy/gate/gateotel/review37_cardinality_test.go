package gateotel_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gateotel"
)

// ruleSeries returns the ztci.gate.denials value of each ztci.gate.rule.
func ruleSeries(t *testing.T, reader sdkmetric.Reader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != gateotel.MetricDenials {
				continue
			}
			for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
				v, _ := p.Attributes.Value(gateotel.AttrRule)
				out[v.AsString()] += p.Value
			}
		}
	}
	return out
}

// A policy may build rule ids from what a job sends (an image name, a
// repository): each distinct id was a time series of its own in the
// vendor's metrics pipeline for the life of the process, and once the
// SDK's cardinality limit filled up, the policy's real rules were counted
// only under its overflow series. The Observer records a bounded number
// of rule ids by name; the rest count as RuleOther, and rules named by
// WithRules are never displaced.
func TestReview37CardinalityRuleIDs(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	obs, err := gateotel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
		gateotel.WithRules("deploy.unprotected_ref"), gateotel.WithMaxRules(5))
	if err != nil {
		t.Fatal(err)
	}
	const flood = 1000
	for i := range flood {
		obs.Observe(gate.Observation{Decision: deny(fmt.Sprintf("image.not_allowed:registry.evil/%d", i))})
	}
	obs.Observe(gate.Observation{Decision: deny("deploy.unprotected_ref")})
	got := ruleSeries(t, reader)
	if len(got) > 5+2 {
		t.Errorf("%d rule series after %d distinct rule ids, want at most 7", len(got), flood)
	}
	if got["deploy.unprotected_ref"] != 1 {
		t.Errorf("a rule named by WithRules: %d, want 1", got["deploy.unprotected_ref"])
	}
	if got[gateotel.RuleOther] != flood-5 {
		t.Errorf("%s: %d, want %d", gateotel.RuleOther, got[gateotel.RuleOther], flood-5)
	}
	var total int64
	for _, v := range got {
		total += v
	}
	if total != flood+1 {
		t.Errorf("denials total %d, want %d: no denial is lost", total, flood+1)
	}
}

// A rule id that is not printable UTF-8 of at most policy.MaxRuleBytes
// (an evaluator other than the Rego engine does not check it) is never an
// attribute value: invalid UTF-8 fails the OTLP export of every metric,
// each collection, for as long as the series lives.
func TestReview37CardinalityBadRuleIDs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, rule string }{
		{"invalid UTF-8", "deploy.\xff"},
		{"newline", "deploy.x\nztci.gate.decision=allow"},
		{"bidi override", "deploy.\u202eevil"},
		{"too long", strings.Repeat("x", policy.MaxRuleBytes+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reader := sdkmetric.NewManualReader()
			obs, err := gateotel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
			if err != nil {
				t.Fatal(err)
			}
			obs.Observe(gate.Observation{Decision: deny(tc.rule)})
			got := ruleSeries(t, reader)
			if len(got) != 1 || got[gateotel.RuleOther] != 1 {
				t.Errorf("denials %v, want only %s=1", got, gateotel.RuleOther)
			}
		})
	}
	if _, err := gateotel.New(sdkmetric.NewMeterProvider(), gateotel.WithRules("a\nb")); !errors.Is(err, gateotel.ErrConfig) {
		t.Errorf("WithRules with a control character: %v, want ErrConfig", err)
	}
	if _, err := gateotel.New(sdkmetric.NewMeterProvider(), gateotel.WithMaxRules(-1)); !errors.Is(err, gateotel.ErrConfig) {
		t.Errorf("WithMaxRules(-1): %v, want ErrConfig", err)
	}
}

// One request whose image violates one rule many times (one violation per
// finding) counts once in that rule's series, not once per finding.
func TestReview37CardinalityDuplicateViolations(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	obs, err := gateotel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	if err != nil {
		t.Fatal(err)
	}
	rules := make([]string, 500)
	for i := range rules {
		rules[i] = "vuln.critical"
	}
	obs.Observe(gate.Observation{Decision: deny(append(rules, "deploy.unprotected_ref")...)})
	got := ruleSeries(t, reader)
	if got["vuln.critical"] != 1 || got["deploy.unprotected_ref"] != 1 {
		t.Errorf("denials %v, want vuln.critical=1 deploy.unprotected_ref=1", got)
	}
}

// A refusal reason the gate does not define is counted as ReasonOther.
func TestReview37CardinalityRefusalReason(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	obs, err := gateotel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		obs.Observe(gate.Observation{Refused: fmt.Sprintf("from-client-%d", i)})
	}
	obs.Observe(gate.Observation{Refused: "overloaded"})
	got := collect(t, reader)
	want := map[string]float64{
		"ztci.gate.rejected{ztci.gate.reason=other}":      50,
		"ztci.gate.rejected{ztci.gate.reason=overloaded}": 1,
	}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

// A span's attributes are printable UTF-8 and bounded: its rule list holds
// each rule once, at most a few dozen, and a digest or revision with
// control characters or invalid UTF-8 (which fails the OTLP export of the
// whole batch of spans) is escaped.
func TestReview37CardinalitySpanAttributes(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	obs, err := gateotel.New(sdkmetric.NewMeterProvider(), gateotel.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))))
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for i := range 5000 {
		rules = append(rules, fmt.Sprintf("r%d", i%1000), "bad\xff\n")
	}
	d := deny(rules...)
	d.Digest = "sha256:\xff\x1b[31m" + strings.Repeat("a", 10000)
	d.PolicyRevision = "rev\r\n\u2028"
	d.Outcome = "allow\x1b]8;;" // not one of the gate's: recorded as "error"
	obs.Observe(gate.Observation{Decision: d})
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	for _, kv := range spans[0].Attributes() {
		if kv.Key == gateotel.AttrDecision && kv.Value.AsString() != gate.OutcomeError {
			t.Errorf("%s = %q, want %q", kv.Key, kv.Value.AsString(), gate.OutcomeError)
		}
		var vals []string
		switch kv.Value.Type() {
		case attribute.STRING:
			vals = []string{kv.Value.AsString()}
		case attribute.STRINGSLICE:
			vals = kv.Value.AsStringSlice()
			if len(vals) > 32 {
				t.Errorf("%s: %d values, want at most 32", kv.Key, len(vals))
			}
			seen := map[string]bool{}
			for _, v := range vals {
				if seen[v] {
					t.Errorf("%s: %q twice", kv.Key, v)
				}
				seen[v] = true
			}
		}
		for _, v := range vals {
			if len(v) > 1024 || !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return !unicode.IsPrint(r) }) {
				t.Errorf("%s: %q (%d bytes), want printable UTF-8 of at most 1024 bytes", kv.Key, v[:min(len(v), 40)], len(v))
			}
		}
	}
}

// Observe is called from every request's goroutine: the rule ids it
// learns are shared state, and new ones arrive concurrently (run with
// -race).
func TestReview37CardinalityConcurrent(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	obs, err := gateotel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)), gateotel.WithMaxRules(10))
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				obs.Observe(gate.Observation{Decision: deny(fmt.Sprintf("r.%d.%d", w, i), "deploy.unprotected_ref")})
				obs.Observe(gate.Observation{Decision: &gate.Decision{Outcome: gate.OutcomeError}, Err: gate.ErrUnauthenticated})
			}
		})
	}
	wg.Wait()
	got := ruleSeries(t, reader)
	var total int64
	for _, v := range got {
		total += v
	}
	if want := int64(workers * each * 3); total != want {
		t.Errorf("denials total %d, want %d", total, want)
	}
	if len(got) > 10+2 {
		t.Errorf("%d rule series, want at most 12", len(got))
	}
}
