package gateotel_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gateotel"
)

// collect reads every data point of reader as "name{k=v,...}" → value (the
// count of a histogram), and the histogram sums as "name{...}.sum".
func collect(t *testing.T, reader sdkmetric.Reader) map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != gateotel.ScopeName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, gateotel.ScopeName)
		}
		for _, m := range sm.Metrics {
			switch data := m.Data.(type) {
			case metricdata.Sum[int64]:
				if !data.IsMonotonic {
					t.Errorf("%s: not monotonic", m.Name)
				}
				for _, p := range data.DataPoints {
					out[m.Name+key(p.Attributes)] = float64(p.Value)
				}
			case metricdata.Histogram[float64]:
				if m.Unit != "s" {
					t.Errorf("%s: unit %q, want s", m.Name, m.Unit)
				}
				for _, p := range data.DataPoints {
					out[m.Name+key(p.Attributes)] = float64(p.Count)
					out[m.Name+key(p.Attributes)+".sum"] = p.Sum
				}
			default:
				t.Errorf("%s: unexpected data %T", m.Name, m.Data)
			}
		}
	}
	return out
}

func key(s attribute.Set) string {
	var kv []string
	for _, a := range s.ToSlice() {
		kv = append(kv, string(a.Key)+"="+a.Value.String())
	}
	return "{" + strings.Join(kv, ",") + "}"
}

func deny(rules ...string) *gate.Decision {
	d := &gate.Decision{Outcome: gate.OutcomeDeny, Digest: "sha256:" + strings.Repeat("ab", 32), Verified: true, PolicyRevision: "rev-7"}
	for _, r := range rules {
		d.Violations = append(d.Violations, policy.Violation{Rule: r, Message: "secret-looking message " + r})
	}
	return d
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	obs, err := gateotel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	if err != nil {
		t.Fatal(err)
	}
	allow := &gate.Decision{Allowed: true, Outcome: gate.OutcomeAllow, Verified: true, VerdictSource: gate.VerdictVerified}
	cached := &gate.Decision{Allowed: true, Outcome: gate.OutcomeAllow, Verified: true, VerdictSource: gate.VerdictCached}
	for _, o := range []gate.Observation{
		{Decision: allow, Elapsed: 2 * time.Millisecond},
		{Decision: cached, Elapsed: 4 * time.Millisecond},
		{Decision: deny("deploy.unprotected_ref", "deploy.source_ref_not_allowed"), Elapsed: time.Millisecond},
		{Decision: deny("deploy.unprotected_ref"), Elapsed: time.Millisecond},
		{Decision: &gate.Decision{Outcome: gate.OutcomeError}, Err: fmt.Errorf("%w: token expired", gate.ErrUnauthenticated), Elapsed: time.Millisecond},
		{Decision: &gate.Decision{Outcome: gate.OutcomeError}, Err: fmt.Errorf("%w: x", gate.ErrRegistryNotAllowed)},
		{Decision: &gate.Decision{Outcome: gate.OutcomeError}, Err: errors.New("registry down")},
		// An outcome the gate does not define is counted as an error,
		// never as a series of its own.
		{Decision: &gate.Decision{Outcome: "maybe"}},
		{Refused: "overloaded"},
		{Refused: "overloaded"},
		{Refused: "too_large"},
	} {
		obs.Observe(o)
	}
	got := collect(t, reader)
	want := map[string]float64{
		"ztci.gate.decisions{ztci.gate.decision=allow}":                   2,
		"ztci.gate.decisions{ztci.gate.decision=deny}":                    2,
		"ztci.gate.decisions{ztci.gate.decision=error}":                   4,
		"ztci.gate.decision.duration{ztci.gate.decision=allow}":           2,
		"ztci.gate.decision.duration{ztci.gate.decision=allow}.sum":       0.006,
		"ztci.gate.decision.duration{ztci.gate.decision=deny}":            2,
		"ztci.gate.decision.duration{ztci.gate.decision=deny}.sum":        0.002,
		"ztci.gate.decision.duration{ztci.gate.decision=error}":           4,
		"ztci.gate.decision.duration{ztci.gate.decision=error}.sum":       0.001,
		"ztci.gate.denials{ztci.gate.rule=deploy.unprotected_ref}":        2,
		"ztci.gate.denials{ztci.gate.rule=deploy.source_ref_not_allowed}": 1,
		"ztci.gate.denials{ztci.gate.rule=gate.unauthenticated}":          1,
		"ztci.gate.denials{ztci.gate.rule=gate.bad_request}":              1,
		"ztci.gate.denials{ztci.gate.rule=gate.undecided}":                1,
		"ztci.gate.rejected{ztci.gate.reason=overloaded}":                 2,
		"ztci.gate.rejected{ztci.gate.reason=too_large}":                  1,
		"ztci.gate.verdicts{ztci.gate.verdict_source=verified}":           1,
		"ztci.gate.verdicts{ztci.gate.verdict_source=cached}":             1,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g < v-1e-9 || g > v+1e-9 {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected series %s = %v", k, got[k])
		}
	}
}

func TestSpans(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	end := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	obs, err := gateotel.New(sdkmetric.NewMeterProvider(), gateotel.WithTracerProvider(tp),
		gateotel.WithClock(func() time.Time { return end }))
	if err != nil {
		t.Fatal(err)
	}
	obs.Observe(gate.Observation{Decision: deny("deploy.unprotected_ref"), Elapsed: 3 * time.Millisecond})
	obs.Observe(gate.Observation{Decision: &gate.Decision{Outcome: gate.OutcomeError}, Err: fmt.Errorf("%w: the token sk-canary-123 expired", gate.ErrUnauthenticated)})
	obs.Observe(gate.Observation{Refused: "slow_body"}) // no span
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	s := spans[0]
	if s.Name() != gateotel.SpanName || s.InstrumentationScope().Name != gateotel.ScopeName {
		t.Errorf("span %q scope %q", s.Name(), s.InstrumentationScope().Name)
	}
	if !s.EndTime().Equal(end) || !s.StartTime().Equal(end.Add(-3*time.Millisecond)) {
		t.Errorf("span %v..%v, want the 3ms before %v", s.StartTime(), s.EndTime(), end)
	}
	if s.Status().Code != codes.Unset {
		t.Errorf("deny span status %v, want unset (a deny is an answer, not an error)", s.Status())
	}
	attrs := attribute.NewSet(s.Attributes()...)
	for k, want := range map[attribute.Key]string{
		gateotel.AttrDecision:       "deny",
		gateotel.AttrVerified:       "true",
		gateotel.AttrPolicyRevision: "rev-7",
		gateotel.AttrDigest:         "sha256:" + strings.Repeat("ab", 32),
		gateotel.AttrRules:          "[\"deploy.unprotected_ref\"]",
	} {
		if v, ok := attrs.Value(k); !ok || v.String() != want {
			t.Errorf("%s = %q, want %q", k, v.String(), want)
		}
	}
	e := spans[1]
	if e.Status().Code != codes.Error || e.Status().Description != gateotel.KindUnauthenticated {
		t.Errorf("error span status %+v, want Error %q", e.Status(), gateotel.KindUnauthenticated)
	}
	for _, a := range e.Attributes() {
		if strings.Contains(a.Value.String(), "canary") {
			t.Errorf("attribute %s carries the error message: %q", a.Key, a.Value.String())
		}
	}
	if len(e.Events()) != 0 {
		t.Errorf("error span has events %v: the error message must not be recorded", e.Events())
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	mp := sdkmetric.NewMeterProvider()
	for _, tc := range []struct {
		name string
		mp   *sdkmetric.MeterProvider
		opts []gateotel.Option
	}{
		{name: "nil provider"},
		{name: "nil option", mp: mp, opts: []gateotel.Option{nil}},
		{name: "nil tracer provider", mp: mp, opts: []gateotel.Option{gateotel.WithTracerProvider(nil)}},
		{name: "nil clock", mp: mp, opts: []gateotel.Option{gateotel.WithClock(nil)}},
		{name: "no buckets", mp: mp, opts: []gateotel.Option{gateotel.WithBuckets()}},
		{name: "buckets not increasing", mp: mp, opts: []gateotel.Option{gateotel.WithBuckets(0.1, 0.1)}},
		{name: "negative bucket", mp: mp, opts: []gateotel.Option{gateotel.WithBuckets(-1, 1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var err error
			if tc.mp == nil {
				_, err = gateotel.New(nil, tc.opts...)
			} else {
				_, err = gateotel.New(tc.mp, tc.opts...)
			}
			if !errors.Is(err, gateotel.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
}

func TestBuckets(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	obs, err := gateotel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)), gateotel.WithBuckets(0.5, 1))
	if err != nil {
		t.Fatal(err)
	}
	obs.Observe(gate.Observation{Decision: &gate.Decision{Allowed: true, Outcome: gate.OutcomeAllow}, Elapsed: 700 * time.Millisecond})
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if h, ok := m.Data.(metricdata.Histogram[float64]); ok {
			p := h.DataPoints[0]
			if !slices.Equal(p.Bounds, []float64{0.5, 1}) || !slices.Equal(p.BucketCounts, []uint64{0, 1, 0}) {
				t.Errorf("bounds %v counts %v", p.Bounds, p.BucketCounts)
			}
			return
		}
	}
	t.Fatal("no histogram")
}

// BenchmarkObserve: the cost per decision of the OTel SDK behind the seam,
// beside the OTel no-op provider (what the seam itself costs).
func BenchmarkObserve(b *testing.B) {
	deny := gate.Observation{Decision: deny("deploy.unprotected_ref", "deploy.source_ref_not_allowed"), Elapsed: time.Millisecond}
	tp := sdktrace.NewTracerProvider() // spans sampled and ended, exported nowhere
	for _, bc := range []struct {
		name string
		mp   metric.MeterProvider
		opts []gateotel.Option
	}{
		{"noop", metricnoop.NewMeterProvider(), nil},
		{"sdk", sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())), nil},
		{"sdk+spans", sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())), []gateotel.Option{gateotel.WithTracerProvider(tp)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			obs, err := gateotel.New(bc.mp, bc.opts...)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				obs.Observe(deny)
			}
		})
	}
}
