package audit

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// limitEndpoint is a real webhook endpoint with a body limit, as a
// collector or reverse proxy has: a larger body gets 413.
type limitEndpoint struct {
	limit int64
	gate  chan struct{} // when set, requests wait until it is closed

	mu   sync.Mutex
	reqs []limitReq
}

type limitReq struct {
	size   int64
	status int
	ids    []string
}

func (l *limitEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if l.gate != nil {
		<-l.gate
	}
	rec := limitReq{size: r.ContentLength, status: http.StatusOK}
	var batch []CloudEvent
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, l.limit)).Decode(&batch)
	if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
		rec.status = http.StatusRequestEntityTooLarge
	} else if err != nil {
		rec.status = http.StatusBadRequest
	}
	for _, ce := range batch {
		rec.ids = append(rec.ids, ce.ID)
	}
	l.mu.Lock()
	l.reqs = append(l.reqs, rec)
	l.mu.Unlock()
	w.WriteHeader(rec.status)
}

func (l *limitEndpoint) requests() []limitReq {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]limitReq(nil), l.reqs...)
}

func newLimitWebhook(t *testing.T, l *limitEndpoint, opts ...Option) *Webhook {
	t.Helper()
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	opts = append([]Option{WithRetry(2, time.Millisecond, time.Millisecond)}, opts...)
	w, err := NewWebhook(srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w
}

// envelopeSize is e's size inside a batch body.
func envelopeSize(t *testing.T, e Event) int {
	t.Helper()
	ce, err := ToCloudEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	b, err := marshalCloudEvents(ce)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func hugeEvent(i int, reason int) Event {
	e := testEvent(i)
	e.Correlation.JobID = "job-A"
	e.Reason = strings.Repeat("r", reason)
	return e
}

// A job writing an event too large for the endpoint's body limit, batched
// with another job's events, failed them all: the endpoint answered 413 for
// the batch and every writer got the error, so job B's audited actions were
// denied by job A's reason. The batch is split on 413 and only A fails.
func TestReview24WebhookOversizedEventFailsOnlyItsWriter(t *testing.T) {
	t.Parallel()
	l := &limitEndpoint{limit: 16 << 10}
	w := newLimitWebhook(t, l, WithBatch(64, 300*time.Millisecond))
	huge := hugeEvent(100, 20<<10)

	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 9)
	for i := range 8 {
		wg.Go(func() {
			<-start
			e := testEvent(i)
			e.Correlation.JobID = "job-B"
			errs[i] = w.Write(t.Context(), e)
		})
	}
	wg.Go(func() {
		<-start
		errs[8] = w.Write(t.Context(), huge)
	})
	close(start)
	wg.Wait()

	for i, err := range errs[:8] {
		if err != nil {
			t.Errorf("job B's event %d failed with job A's oversized event: %v", i, err)
		}
	}
	var se *StatusError
	if !errors.Is(errs[8], ErrDelivery) || !errors.As(errs[8], &se) || se.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized event: got %v, want ErrDelivery with status 413", errs[8])
	}
	reqs := l.requests()
	if len(reqs) == 0 || reqs[0].size <= int64(envelopeSize(t, huge))+2 {
		t.Fatalf("the events were not batched together (requests %+v); the test proves nothing", reqs)
	}
	// Halving 9 events down to the refused one: at most 2*9-1 requests.
	if len(reqs) > 17 {
		t.Errorf("%d requests for a batch of 9, want at most 17", len(reqs))
	}
	delivered := map[string]int{}
	for _, r := range reqs {
		for _, id := range r.ids {
			if r.status == http.StatusOK {
				delivered[id]++
			}
		}
	}
	if len(delivered) != 8 {
		t.Errorf("delivered %v, want job B's 8 events", delivered)
	}
	for id, n := range delivered {
		if n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
}

// Batches were bounded by count only (256 events of up to ~130 KiB each,
// ~33 MiB a request): every request with more than one event now stays
// within WithMaxBatchBytes, and an event larger than it goes alone.
func TestReview24WebhookBatchBytesBounded(t *testing.T) {
	t.Parallel()
	const maxBatch = 4 << 10
	l := &limitEndpoint{limit: 1 << 20}
	w := newLimitWebhook(t, l, WithBatch(256, 200*time.Millisecond), WithMaxBatchBytes(maxBatch))
	huge := hugeEvent(100, 10<<10)

	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			<-start
			if err := w.Write(t.Context(), testEvent(i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Go(func() {
		<-start
		if err := w.Write(t.Context(), huge); err != nil {
			t.Error(err)
		}
	})
	close(start)
	wg.Wait()

	total := 0
	for _, r := range l.requests() {
		total += len(r.ids)
		if len(r.ids) > 1 && r.size > maxBatch {
			t.Errorf("a batch of %d events is %d bytes, over the %d cap", len(r.ids), r.size, maxBatch)
		}
		if r.size > maxBatch && len(r.ids) != 1 {
			t.Errorf("an oversized request carried %d events, want the oversized event alone", len(r.ids))
		}
	}
	if total != 21 {
		t.Errorf("delivered %d events, want 21", total)
	}
}

// The buffer was bounded by count only (4096 events of up to ~130 KiB each,
// about 0.5 GiB held): the bytes held, queued or in flight, now stay within
// WithBufferBytes, and a Write past it finds the buffer full.
func TestReview24WebhookBufferBytesBounded(t *testing.T) {
	t.Parallel()
	for _, policy := range []BackPressure{Reject, Block} {
		t.Run(map[BackPressure]string{Reject: "reject", Block: "block"}[policy], func(t *testing.T) {
			t.Parallel()
			size := envelopeSize(t, testEvent(0)) + envelopeSize(t, testEvent(1)) + envelopeSize(t, testEvent(2))
			limit := size + size/6
			l := &limitEndpoint{limit: 1 << 20, gate: make(chan struct{})}
			// One job's events: the whole buffer, not a share of it.
			w := newLimitWebhook(t, l, WithBatch(1, 0), WithBuffer(4096, policy), WithBufferBytes(limit), WithJobBufferShare(100))
			var wg sync.WaitGroup
			t.Cleanup(wg.Wait)
			open := sync.OnceFunc(func() { close(l.gate) })
			t.Cleanup(open)
			for i := range 3 {
				wg.Go(func() {
					if err := w.Write(context.Background(), testEvent(i)); err != nil {
						t.Error(err)
					}
				})
			}
			waitHeld(t, w, size)

			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			err := w.Write(ctx, testEvent(3))
			switch policy {
			case Reject:
				if !errors.Is(err, ErrBufferFull) {
					t.Errorf("Write past the buffer's bytes: got %v, want ErrBufferFull", err)
				}
			case Block:
				if !errors.Is(err, ErrSink) || !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Write past the buffer's bytes: got %v, want ErrSink and the deadline", err)
				}
			}
			if h := heldBytes(w); h > limit {
				t.Errorf("%d bytes held, over the %d limit", h, limit)
			}

			open()
			wg.Wait()
			waitHeld(t, w, 0)
			if err := w.Write(t.Context(), testEvent(4)); err != nil {
				t.Errorf("Write once the buffer drained: %v", err)
			}
		})
	}
}

// An event larger than the whole buffer is taken when nothing else is
// held, so a small WithBufferBytes never refuses an event forever.
func TestReview24WebhookEventLargerThanBuffer(t *testing.T) {
	t.Parallel()
	l := &limitEndpoint{limit: 1 << 20}
	w := newLimitWebhook(t, l, WithBatch(1, 0), WithBuffer(16, Reject), WithBufferBytes(64))
	if err := w.Write(t.Context(), testEvent(0)); err != nil {
		t.Fatal(err)
	}
}

func TestReview24WebhookByteOptionsValidated(t *testing.T) {
	t.Parallel()
	for _, opt := range []Option{WithMaxBatchBytes(0), WithBufferBytes(-1)} {
		if _, err := NewWebhook("https://example.com", opt); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", opt.name, err)
		}
	}
}

func heldBytes(w *Webhook) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.held
}

func waitHeld(t *testing.T, w *Webhook, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for heldBytes(w) != want {
		if time.Now().After(deadline) {
			t.Fatalf("held %d bytes, want %d", heldBytes(w), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// Close delivers the buffered events within the batch byte cap too.
func TestReview24WebhookDrainBatchBytesBounded(t *testing.T) {
	t.Parallel()
	const maxBatch = 4 << 10
	l := &limitEndpoint{limit: 1 << 20, gate: make(chan struct{})}
	w := newLimitWebhook(t, l, WithBatch(256, 0), WithMaxBatchBytes(maxBatch))
	open := sync.OnceFunc(func() { close(l.gate) })
	t.Cleanup(open)
	var wg sync.WaitGroup
	want := 0
	for i := range 21 {
		want += envelopeSize(t, testEvent(i))
		wg.Go(func() {
			if err := w.Write(context.Background(), testEvent(i)); err != nil {
				t.Error(err)
			}
		})
	}
	waitHeld(t, w, want)
	closed := make(chan error)
	go func() { closed <- w.Close() }()
	<-w.closed // Close stopped the sender's batching before the endpoint answers
	open()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	total := 0
	for _, r := range l.requests() {
		total += len(r.ids)
		if r.size > maxBatch {
			t.Errorf("a batch of %d events is %d bytes, over the %d cap", len(r.ids), r.size, maxBatch)
		}
	}
	if total != 21 {
		t.Errorf("delivered %d events, want 21", total)
	}
}
