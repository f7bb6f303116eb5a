package otelsink_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/trace"

	"github.com/ztci/ztci/audit/otelsink"
	"github.com/ztci/ztci/audit/otelsink/ackprocessor"
)

// TestReview37TraceContext: the gate's Write context is its request's, and
// a middleware that continues the caller's trace puts there the trace id
// and flags a job chose in its traceparent header. The record carried
// them: a job could file its audit records under another job's trace, or
// mark them unsampled for a pipeline that drops unsampled logs. Without
// WithTraceContext a record carries no trace context, in either mode.
func TestReview37TraceContext(t *testing.T) {
	t.Parallel()
	// What a job sends, as a propagator reads it.
	carrier := propagation.MapCarrier{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"}
	hostile := propagation.TraceContext{}.Extract(context.Background(), carrier)
	if !trace.SpanContextFromContext(hostile).IsValid() {
		t.Fatal("test setup: traceparent not extracted")
	}
	for _, tc := range []struct {
		name string
		ack  bool
	}{
		{name: "plain"},
		{name: "acknowledged", ack: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			exp := &memExporter{}
			var proc sdklog.Processor = sdklog.NewSimpleProcessor(exp)
			var opts []otelsink.Option
			if tc.ack {
				p, err := ackprocessor.New(exp)
				if err != nil {
					t.Fatal(err)
				}
				proc, opts = p, append(opts, otelsink.WithAcknowledgement())
			}
			lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(proc))
			t.Cleanup(func() { _ = lp.Shutdown(context.Background()) })
			s, err := otelsink.New(lp, opts...)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(hostile)
			defer cancel()
			if err := s.Write(ctx, fullEvent()); err != nil {
				t.Fatal(err)
			}
			rs := exp.all()
			if len(rs) != 1 {
				t.Fatalf("%d records, want 1", len(rs))
			}
			r := rs[0]
			if r.TraceID().IsValid() || r.SpanID().IsValid() || r.TraceFlags() != 0 {
				t.Errorf("record carries the caller's trace context %v/%v/%v, want none", r.TraceID(), r.SpanID(), r.TraceFlags())
			}
		})
	}
}
