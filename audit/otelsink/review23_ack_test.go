package otelsink_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	collogpb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/protobuf/proto"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/otelsink"
	"github.com/ztci/ztci/audit/otelsink/ackprocessor"
	"github.com/ztci/ztci/internal/itest"
)

// ackSink is a sink with WithAcknowledgement over a provider whose only
// processor is an ackprocessor.Processor exporting over OTLP/HTTP to endpoint,
// without the exporter's retries (so a refused export fails at once).
func ackSink(t *testing.T, endpoint string) (*otelsink.Sink, *sdklog.LoggerProvider) {
	t.Helper()
	exp, err := otlploghttp.New(t.Context(), otlploghttp.WithEndpoint(endpoint), otlploghttp.WithInsecure(),
		otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ackprocessor.New(exp)
	if err != nil {
		t.Fatal(err)
	}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(p))
	t.Cleanup(func() { _ = lp.Shutdown(context.Background()) })
	s, err := otelsink.New(lp, otelsink.WithAcknowledgement())
	if err != nil {
		t.Fatal(err)
	}
	return s, lp
}

// Against a real collector: an acknowledged Write means the record arrived;
// once the collector is gone, every Write fails, concurrent ones included
// (with WithFlush a SimpleProcessor, or a flush by another Write, took the
// record and Write returned nil).
func TestReview23AckCollector(t *testing.T) {
	col := itest.StartOtelCol(t)
	s, _ := ackSink(t, col.HTTPEndpoint())
	e := fullEvent()
	e.ID = "review23-ack-delivered"
	if err := s.Write(t.Context(), e); err != nil {
		t.Fatalf("write to a live collector: %v", err)
	}
	col.WaitFile(t, itest.SignalLogs, 30*time.Second, func(b []byte) bool { return bytes.Contains(b, []byte(e.ID)) })

	col.Kill()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			e := fullEvent()
			e.ID = fmt.Sprintf("lost-%d", i)
			errs[i] = s.Write(ctx, e)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, audit.ErrSink) {
			t.Errorf("write %d with the collector down: err = %v, want ErrSink", i, err)
		}
	}
}

// A provider that was shut down drops the record in Emit: no
// acknowledgement, so Write fails (with WithFlush it flushed "successfully").
func TestReview23AckShutdown(t *testing.T) {
	col := itest.StartOtelCol(t)
	s, lp := ackSink(t, col.HTTPEndpoint())
	if err := lp.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(t.Context(), fullEvent()); !errors.Is(err, audit.ErrSink) {
		t.Fatalf("write through a shut-down provider: err = %v, want ErrSink", err)
	}
}

// A provider without an ackprocessor.Processor cannot acknowledge: Write fails
// rather than pretend.
func TestReview23AckNoProcessor(t *testing.T) {
	t.Parallel()
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(&memExporter{})))
	t.Cleanup(func() { _ = lp.Shutdown(context.Background()) })
	s, err := otelsink.New(lp, otelsink.WithAcknowledgement())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(t.Context(), fullEvent()); !errors.Is(err, audit.ErrSink) {
		t.Fatalf("err = %v, want ErrSink", err)
	}
}

// An OTLP partial success (rejected_log_records > 0) with a 200 is a
// failed Write, and the collector's message reaches the error quoted and
// clipped. The stock collector never answers so; this endpoint does.
func TestReview23AckPartialSuccess(t *testing.T) {
	t.Parallel()
	msg := "rejected\x1b[2J\n" + string(bytes.Repeat([]byte("x"), 4096))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		b, _ := proto.Marshal(&collogpb.ExportLogsServiceResponse{PartialSuccess: &collogpb.ExportLogsPartialSuccess{RejectedLogRecords: 1, ErrorMessage: msg}})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	s, _ := ackSink(t, srv.Listener.Addr().String())
	err := s.Write(t.Context(), fullEvent())
	if !errors.Is(err, audit.ErrSink) {
		t.Fatalf("err = %v, want ErrSink", err)
	}
	if text := err.Error(); len(text) > 1024 || bytes.ContainsAny([]byte(text), "\x1b\n") {
		t.Fatalf("the collector's message reached the error raw (%d bytes): %.200q", len(text), text)
	}
}

func TestReview23NewProcessorRejects(t *testing.T) {
	t.Parallel()
	if _, err := ackprocessor.New(nil); !errors.Is(err, otelsink.ErrConfig) {
		t.Fatalf("err = %v, want ErrConfig", err)
	}
}
