package gateotel_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gateotel"
)

// TestReview37CollectorInvalidUTF8: an OTLP string must be valid UTF-8, and
// the OTLP exporters fail the whole export otherwise. One deny whose rule
// id (from an evaluator that does not check it) or digest held an invalid
// byte made every metric export fail from then on (the series is
// cumulative: it is in every collection), and the span batch it was in.
// Against a real collector, both exports succeed.
func TestReview37CollectorInvalidUTF8(t *testing.T) {
	col := itest.StartOtelCol(t)
	ctx := t.Context()
	metricExp, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpoint(col.HTTPEndpoint()), otlpmetrichttp.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metricExp)))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	traceExp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(col.HTTPEndpoint()), otlptracehttp.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	spanErrs := &errExporter{SpanExporter: traceExp}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spanErrs))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	obs, err := gateotel.New(mp, gateotel.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	d := deny("deploy.unprotected_ref", "image.from:\xff\xfe")
	d.Digest = "sha256:\xff"
	obs.Observe(gate.Observation{Decision: d})
	obs.Observe(gate.Observation{Decision: &gate.Decision{Allowed: true, Outcome: gate.OutcomeAllow}})
	if err := mp.ForceFlush(ctx); err != nil {
		t.Errorf("metric export: %v", err)
	}
	if err := tp.ForceFlush(ctx); err != nil {
		t.Errorf("span flush: %v", err)
	}
	if err := spanErrs.error(); err != nil {
		t.Errorf("span export: %v", err)
	}
}

// errExporter keeps the errors of its SpanExporter, which a syncer
// otherwise hands to the global error handler only.
type errExporter struct {
	sdktrace.SpanExporter
	mu   sync.Mutex
	errs []error
}

func (e *errExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	if err != nil {
		e.mu.Lock()
		e.errs = append(e.errs, err)
		e.mu.Unlock()
	}
	return err
}

func (e *errExporter) error() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return errors.Join(e.errs...)
}
