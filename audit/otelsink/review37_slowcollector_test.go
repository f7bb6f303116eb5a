package otelsink_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/otelsink"
	"github.com/ztci/ztci/audit/otelsink/ackprocessor"
)

// hungExporter is a collector that does not answer: Export blocks until
// release is closed (or its ctx is done, if honour).
type hungExporter struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (h *hungExporter) Export(ctx context.Context, _ []sdklog.Record) error {
	h.once.Do(func() { close(h.entered) })
	<-h.release
	return nil
}
func (*hungExporter) Shutdown(context.Context) error   { return nil }
func (*hungExporter) ForceFlush(context.Context) error { return nil }

// TestReview37SlowCollectorOnEmit: while one export hangs on a collector
// that does not answer, another record's OnEmit waited for it on a mutex,
// whatever its context said: every Write of the gate queued behind the hung
// one, past its deadline, each holding a goroutine and its request. OnEmit
// now gives up when its context is done, and the Write fails (closed).
func TestReview37SlowCollectorOnEmit(t *testing.T) {
	t.Parallel()
	exp := &hungExporter{entered: make(chan struct{}), release: make(chan struct{})}
	p, err := ackprocessor.New(exp)
	if err != nil {
		t.Fatal(err)
	}
	var first sync.WaitGroup
	first.Go(func() { _ = p.OnEmit(context.Background(), new(sdklog.Record)) })
	<-exp.entered
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := p.OnEmit(ctx, new(sdklog.Record)); !errors.Is(err, context.Canceled) {
		t.Errorf("OnEmit behind a hung export with a done context: %v, want context.Canceled", err)
	}
	close(exp.release)
	first.Wait()
}

// TestReview37SlowCollectorWrite: a Write whose context ends while another
// Write's export hangs fails with audit.ErrSink rather than wait.
func TestReview37SlowCollectorWrite(t *testing.T) {
	t.Parallel()
	exp := &hungExporter{entered: make(chan struct{}), release: make(chan struct{})}
	p, err := ackprocessor.New(exp)
	if err != nil {
		t.Fatal(err)
	}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(p))
	s, err := otelsink.New(lp, otelsink.WithAcknowledgement())
	if err != nil {
		t.Fatal(err)
	}
	var first sync.WaitGroup
	first.Go(func() { _ = s.Write(context.Background(), fullEvent()) })
	<-exp.entered
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Write(ctx, fullEvent()) }()
	cancel()
	if err := <-done; !errors.Is(err, audit.ErrSink) {
		t.Errorf("Write behind a hung export, its context cancelled: %v, want audit.ErrSink", err)
	}
	close(exp.release)
	first.Wait()
	_ = lp.Shutdown(context.Background())
}
