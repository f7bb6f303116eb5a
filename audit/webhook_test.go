package audit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// collector is a real HTTP endpoint that records CloudEvents batches.
type collector struct {
	mu      sync.Mutex
	batches [][]CloudEvent
	status  func(n int) int // status for the n-th request (0-based)
	calls   atomic.Int32
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(c.calls.Add(1)) - 1
	if ct := r.Header.Get("Content-Type"); ct != "application/cloudevents-batch+json" {
		http.Error(w, "content type "+ct, http.StatusUnsupportedMediaType)
		return
	}
	if st := c.status(n); st != http.StatusOK {
		w.WriteHeader(st)
		return
	}
	var batch []CloudEvent
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&batch); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.batches = append(c.batches, batch)
	c.mu.Unlock()
}

func newWebhook(t *testing.T, status func(int) int, opts ...Option) (*Webhook, *collector) {
	t.Helper()
	c := &collector{status: status}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	opts = append([]Option{WithRetry(3, time.Millisecond, 2*time.Millisecond)}, opts...)
	w, err := NewWebhook(srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w, c
}

func always(st int) func(int) int { return func(int) int { return st } }

func TestWebhookBatchesAndAcks(t *testing.T) {
	t.Parallel()
	w, c := newWebhook(t, always(http.StatusOK), WithBatch(4, 20*time.Millisecond))
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			if err := w.Write(t.Context(), testEvent(i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	total := 0
	for _, b := range c.batches {
		if len(b) > 4 {
			t.Errorf("batch of %d > 4", len(b))
		}
		total += len(b)
	}
	if total != 10 {
		t.Errorf("delivered %d events, want 10", total)
	}
}

func TestWebhookRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		status    func(int) int
		want      error
		wantCalls int32
	}{
		{"recovers after 503s", func(n int) int {
			if n < 2 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		}, nil, 3},
		{"429 is retried", func(n int) int {
			if n < 1 {
				return http.StatusTooManyRequests
			}
			return http.StatusOK
		}, nil, 2},
		{"gives up after attempts", always(http.StatusInternalServerError), ErrDelivery, 3},
		{"400 is permanent", always(http.StatusBadRequest), ErrDelivery, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, c := newWebhook(t, tt.status, WithBatch(1, 0))
			err := w.Write(t.Context(), testEvent(1))
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if got := c.calls.Load(); got != tt.wantCalls {
				t.Errorf("%d requests, want %d", got, tt.wantCalls)
			}
			var se *StatusError
			if tt.want != nil && !errors.As(err, &se) {
				t.Errorf("error %v carries no StatusError", err)
			}
		})
	}
}

// stuckEndpoint blocks every request until released.
func stuckWebhook(t *testing.T, policy BackPressure) (*Webhook, chan struct{}, chan struct{}) {
	received, release := make(chan struct{}, 16), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received <- struct{}{}
		<-release
	}))
	t.Cleanup(srv.Close)
	// The test's events are one job's: the whole buffer, not a share.
	w, err := NewWebhook(srv.URL, WithBatch(1, 0), WithBuffer(1, policy), WithRetry(1, time.Millisecond, time.Millisecond), WithJobBufferShare(100))
	if err != nil {
		t.Fatal(err)
	}
	return w, received, release
}

func TestWebhookBackPressure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy BackPressure
		want   error
	}{
		{"reject", Reject, ErrBufferFull},
		{"block until deadline", Block, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, received, release := stuckWebhook(t, tt.policy)
			errs := make(chan error, 2)
			go func() { errs <- w.Write(t.Context(), testEvent(1)) }()
			<-received // the sender is now stuck delivering event 1
			go func() { errs <- w.Write(t.Context(), testEvent(2)) }()
			for len(w.queue) != 1 { // event 2 fills the buffer
				time.Sleep(time.Millisecond)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
			defer cancel()
			err := w.Write(ctx, testEvent(3))
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrSink) {
				t.Errorf("third write: got %v, want %v within ErrSink", err, tt.want)
			}
			close(release)
			for range 2 {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestWebhookCloseDeliversBuffered(t *testing.T) {
	t.Parallel()
	received, release := make(chan struct{}, 16), make(chan struct{})
	var delivered atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received <- struct{}{}
		<-release
		var batch []CloudEvent
		_ = json.NewDecoder(r.Body).Decode(&batch)
		delivered.Add(int32(len(batch)))
	}))
	t.Cleanup(srv.Close)
	// One job's five events: the whole buffer, not a job's share of it.
	w, err := NewWebhook(srv.URL, WithBatch(1, 0), WithBuffer(8, Block), WithJobBufferShare(100))
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 5)
	go func() { errs <- w.Write(t.Context(), testEvent(0)) }()
	<-received // the sender is stuck delivering event 0
	for i := 1; i < 5; i++ {
		go func() { errs <- w.Write(t.Context(), testEvent(i)) }()
	}
	for len(w.queue) != 4 {
		time.Sleep(time.Millisecond)
	}
	closed := make(chan error)
	go func() { closed <- w.Close() }()
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if err := <-errs; err != nil {
			t.Errorf("buffered write not delivered on Close: %v", err)
		}
	}
	if delivered.Load() != 5 {
		t.Errorf("delivered %d, want 5", delivered.Load())
	}
	select {
	case <-w.done:
	default:
		t.Error("sender goroutine still running after Close")
	}
	if err := w.Write(t.Context(), testEvent(9)); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
	if err := w.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second close: %v", err)
	}
}

func TestNewWebhookValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  string
		opts []Option
	}{
		{"not a url", "::", nil},
		{"ftp", "ftp://example.com/x", nil},
		{"zero batch", "https://example.com", []Option{WithBatch(0, time.Second)}},
		{"zero buffer", "https://example.com", []Option{WithBuffer(0, Block)}},
		{"bad retry", "https://example.com", []Option{WithRetry(0, time.Second, time.Second)}},
		{"log option", "https://example.com", []Option{WithoutSyncUnsafe()}},
		{"zero option", "https://example.com", []Option{{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, err := NewWebhook(tt.url, tt.opts...)
			if err == nil {
				w.Close()
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("got %v, want ErrConfig", err)
			}
		})
	}
}
