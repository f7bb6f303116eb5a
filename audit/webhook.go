package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/origin"
	"github.com/ztci/ztci/internal/redact"
)

// BackPressure is what [Webhook.Write] does when the buffer is full.
type BackPressure int

const (
	// Block makes Write wait for room until its context ends. The audited
	// action is slowed down rather than left unaudited. The default.
	Block BackPressure = iota
	// Reject makes Write fail at once with [ErrBufferFull]; the caller
	// fails the audited action (fail closed) instead of waiting.
	Reject
)

// Webhook is a Sink that POSTs events in batches to an HTTP endpoint as a
// CloudEvents JSON batch ("application/cloudevents-batch+json", an array of
// [CloudEvent]).
//
// Write returns only once the batch holding the event was acknowledged with
// a 2xx status, or with an error once delivery failed: after all retries
// (exponential backoff with jitter) for network errors, 408, 429 and 5xx, at
// once for other statuses. Events wait in a buffer bounded by count and by
// encoded bytes, whose overflow follows the [BackPressure] policy; a batch
// is bounded by count and bytes too (see [WithBatch], [WithMaxBatchBytes],
// [WithBuffer], [WithBufferBytes]); one job's events may hold only a share
// of the buffer ([WithJobBufferShare]). A 413 (body too large) splits its batch
// in halves, each posted on its own, down to single events, so that only
// the events the endpoint refuses fail their writers: one job's oversized
// events never fail another job's. Close delivers what is buffered and
// stops the sender goroutine.
type Webhook struct {
	url    string
	o      options
	queue  chan *whItem
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	closed chan struct{}

	mu    sync.Mutex
	held  int                 // encoded bytes of the events queued or being delivered
	share map[string]*whShare // per principal (see shareKey): what it holds; no zero entries
	room  chan struct{}       // closed (and replaced) whenever held shrinks
}

type whItem struct {
	body []byte     // the event's CloudEvent JSON, as it goes into a batch
	key  string     // the principal whose share of the buffer holds it (shareKey)
	done chan error // buffered, 1
}

// whShare is what one job's events hold of the buffer.
type whShare struct{ events, bytes int }

// shareKey names the principal whose share of the buffer e counts
// against: the repository its actor's claims name (scoped by issuer or
// SPIFFE trust domain, by the platform's repository id when the claims carry
// one, as the anomaly detector keys a repository), or else its actor (by
// kind and id). Never Correlation.JobID: the event's producer takes it from
// the job (a token's job claim, a vendor's job spec), so a job that names
// itself afresh for each event had a share per event and filled the whole
// buffer; every job of one repository, and every branch (subject) of it,
// shares one share instead. Every valid event names an actor.
func shareKey(e Event) string {
	if scope, repo, _ := repositoryKey(e.Actor); repo != "" {
		return "repo\x00" + scope + "\x00" + repo
	}
	return "actor\x00" + e.Actor.Kind + "\x00" + e.Actor.ID
}

// NewWebhook returns a webhook sink posting to endpoint, which must be an
// https URL (plain http only to a loopback IP literal: 127.0.0.0/8 or ::1,
// for tests and local collectors; not the name localhost, which a resolver
// may send elsewhere). Options: [WithHTTPClient], [WithBatch],
// [WithMaxBatchBytes], [WithBuffer], [WithBufferBytes],
// [WithJobBufferShare], [WithRetry], [WithLogger].
//
// Redirects are never followed: a 3xx answer is a delivery failure
// ([ErrRedirect]), whatever the client's CheckRedirect says. Go's client
// would turn a 301/302/303 into a body-less GET that the target may answer
// 200, and would send the events (and any credential the client's
// transport adds) to whatever host and scheme the Location names.
func NewWebhook(endpoint string, opts ...Option) (*Webhook, error) {
	o, err := build(forWebhook, opts)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%w: webhook: want an https URL without user info, got %q", ErrConfig, redactURL(endpoint))
	}
	if u.Scheme == "http" && !origin.Loopback(u) {
		// Not u.Redacted: it masks a password only, and the query (a
		// token) is as much a credential here as everywhere else.
		return nil, fmt.Errorf("%w: webhook: %s: plain http is allowed only to a loopback host; use https", ErrConfig, redactURL(endpoint))
	}
	client := *o.httpClient // a copy: the caller's client keeps its own redirect policy
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	o.httpClient = &client
	w := &Webhook{
		url: endpoint, o: o,
		queue: make(chan *whItem, o.bufferSize),
		stop:  make(chan struct{}), done: make(chan struct{}), closed: make(chan struct{}),
		room: make(chan struct{}), share: make(map[string]*whShare),
	}
	go w.run()
	return w, nil
}

// String names the endpoint by scheme and host only: its user info, query
// and path may carry a credential (see redactURL), as the webhook's errors
// and log lines do.
func (w *Webhook) String() string { return "audit.Webhook{" + redactURL(w.url) + "}" }

// GoString is String.
func (w *Webhook) GoString() string { return w.String() }

// Format writes String for every verb, so that no verb (%+v, %#v) prints
// the endpoint's query or the client's transport by reflection.
func (w *Webhook) Format(f fmt.State, _ rune) { redact.Format(f, w.String()) }

// LogValue is String.
func (w *Webhook) LogValue() slog.Value { return slog.StringValue(w.String()) }

// MarshalJSON is String as a JSON string.
func (w *Webhook) MarshalJSON() ([]byte, error) { return json.Marshal(w.String()) }

// WithHTTPClient sets the client used by [NewWebhook] (for TLS settings and
// authentication transports). Default: a client with a 10 s timeout. The
// webhook uses a copy whose CheckRedirect refuses every redirect, so a
// credential the transport adds never leaves the configured origin.
func WithHTTPClient(c *http.Client) Option {
	return Option{"WithHTTPClient", forWebhook, func(o *options) error {
		if c == nil {
			return fmt.Errorf("nil client")
		}
		o.httpClient = c
		return nil
	}}
}

// WithBatch sets [NewWebhook]'s batching: at most maxEvents per request, and
// a batch is sent at most maxDelay after its first event (defaults 256, 50ms).
func WithBatch(maxEvents int, maxDelay time.Duration) Option {
	return Option{"WithBatch", forWebhook, func(o *options) error {
		if maxEvents < 1 || maxDelay < 0 {
			return fmt.Errorf("want maxEvents >= 1 and maxDelay >= 0, got %d, %v", maxEvents, maxDelay)
		}
		o.batchMax, o.batchDelay = maxEvents, maxDelay
		return nil
	}}
}

// WithMaxBatchBytes bounds the body of one [NewWebhook] request (default
// 1 MiB): an event joins a batch only if the batch stays within n bytes, so
// one request never carries more than n bytes of events, except an event
// larger than n, which is posted alone. Set it to at most the endpoint's
// body limit.
func WithMaxBatchBytes(n int) Option {
	return Option{"WithMaxBatchBytes", forWebhook, func(o *options) error {
		if n < 1 {
			return fmt.Errorf("want n >= 1, got %d", n)
		}
		o.batchMaxBytes = n
		return nil
	}}
}

// WithBufferBytes bounds the encoded bytes of the events [NewWebhook]'s
// sink holds, queued or being delivered (default 4 MiB; an event is at most
// about 130 KiB in its envelope). A Write that would pass it finds the
// buffer full, as one past [WithBuffer]'s count does; an event larger than n
// is taken only when the buffer is empty. The sink holds at most n bytes of
// events plus the body of the request in flight.
func WithBufferBytes(n int) Option {
	return Option{"WithBufferBytes", forWebhook, func(o *options) error {
		if n < 1 {
			return fmt.Errorf("want n >= 1, got %d", n)
		}
		o.bufferBytes = n
		return nil
	}}
}

// WithJobBufferShare bounds the part of [NewWebhook]'s buffer (both its
// count, [WithBuffer], and its bytes, [WithBufferBytes]) that the events of
// one job may hold, queued or being delivered, in percent (default
// [DefaultJobBufferShare]; 100: no
// bound). A "job" here is the principal the event's verified identity
// names, which the job cannot vary at will: the repository its
// Actor.Claims name (by repository_id, else repository, within the issuer
// or SPIFFE trust domain of Actor.ID), or else the actor itself (Kind and
// ID). Correlation.JobID is not used: its producer takes it from the job,
// and a fresh one per event would have escaped every share. So all the
// jobs and branches of one repository share one part. A Write past its
// share finds the buffer full, as one past the whole buffer does
// ([BackPressure]), so that one repository's burst of events slows down or
// fails that repository's audited actions only, not every other's; an
// event larger than the share is taken only when its principal holds
// nothing else. Enough repositories (or actors) together can still fill the
// buffer.
func WithJobBufferShare(percent int) Option {
	return Option{"WithJobBufferShare", forWebhook, func(o *options) error {
		if percent < 1 || percent > 100 {
			return fmt.Errorf("want 1 <= percent <= 100, got %d", percent)
		}
		o.jobShare = percent
		return nil
	}}
}

// DefaultJobBufferShare is the percentage of [NewWebhook]'s buffer one job
// may hold unless [WithJobBufferShare].
const DefaultJobBufferShare = 25

// WithBuffer sets [NewWebhook]'s buffer size (events waiting to be sent,
// default 4096; their bytes are bounded by [WithBufferBytes]) and the
// policy when it is full (default [Block]).
func WithBuffer(size int, policy BackPressure) Option {
	return Option{"WithBuffer", forWebhook, func(o *options) error {
		if size < 1 || (policy != Block && policy != Reject) {
			return fmt.Errorf("want size >= 1 and a known policy, got %d, %d", size, policy)
		}
		o.bufferSize, o.policy = size, policy
		return nil
	}}
}

// WithRetry sets [NewWebhook]'s delivery attempts per batch (default 5) and
// the exponential backoff between them (default 100ms doubling up to 5s,
// with full jitter).
func WithRetry(attempts int, base, maxBackoff time.Duration) Option {
	return Option{"WithRetry", forWebhook, func(o *options) error {
		if attempts < 1 || base <= 0 || maxBackoff < base {
			return fmt.Errorf("want attempts >= 1 and 0 < base <= max, got %d, %v, %v", attempts, base, maxBackoff)
		}
		o.attempts, o.backoffBase, o.backoffMax = attempts, base, maxBackoff
		return nil
	}}
}

// Write queues e and waits until its batch is delivered; see [Webhook].
func (w *Webhook) Write(ctx context.Context, e Event) error {
	ce, err := ToCloudEvent(e)
	if err != nil {
		return err
	}
	body, err := marshalCloudEvents(ce)
	if err != nil {
		return err
	}
	it := &whItem{body: body, key: shareKey(e), done: make(chan error, 1)}
	select {
	case <-w.closed:
		return ErrClosed
	default:
	}
	if err := w.reserve(ctx, it); err != nil {
		return err
	}
	if err := w.enqueue(ctx, it); err != nil {
		w.release([]*whItem{it})
		return err
	}
	select {
	case err := <-it.done:
		return err
	case <-w.done:
		// The sender exited; it may have delivered this item just before.
		select {
		case err := <-it.done:
			return err
		default:
			return ErrClosed
		}
	case <-ctx.Done():
		return fmt.Errorf("%w: webhook delivery not confirmed: %w", ErrSink, ctx.Err())
	}
}

// reserve takes it's bytes of the buffer, and one event and its bytes of
// its job's share ([WithJobBufferShare]), waiting for room as the
// [BackPressure] policy says. An event larger than the whole buffer (or
// share) is taken only when nothing else is held (by its job), so that it
// is not refused forever.
func (w *Webhook) reserve(ctx context.Context, it *whItem) error {
	n := len(it.body)
	for {
		w.mu.Lock()
		sh := w.share[it.key]
		if sh == nil {
			sh = &whShare{}
		}
		fits := w.held == 0 || w.held+n <= w.o.bufferBytes
		shareFits := w.o.jobShare >= 100 || sh.events == 0 ||
			(sh.events+1 <= w.o.shareEvents() && sh.bytes+n <= w.o.shareBytes())
		if fits && shareFits {
			w.held += n
			sh.events++
			sh.bytes += n
			w.share[it.key] = sh
			w.mu.Unlock()
			return nil
		}
		room := w.room
		w.mu.Unlock()
		if w.o.policy == Reject {
			return ErrBufferFull
		}
		select {
		case <-room:
		case <-w.closed:
			return ErrClosed
		case <-ctx.Done():
			return fmt.Errorf("%w: webhook buffer full: %w", ErrSink, ctx.Err())
		}
	}
}

// release returns the items' bytes to the buffer and to their jobs'
// shares, and wakes the Writes waiting for room.
func (w *Webhook) release(items []*whItem) {
	w.mu.Lock()
	for _, it := range items {
		w.held -= len(it.body)
		if sh := w.share[it.key]; sh != nil {
			sh.events--
			sh.bytes -= len(it.body)
			if sh.events <= 0 {
				delete(w.share, it.key)
			}
		}
	}
	close(w.room)
	w.room = make(chan struct{})
	w.mu.Unlock()
}

// enqueue hands it to the sender, waiting for a slot as the [BackPressure]
// policy says.
func (w *Webhook) enqueue(ctx context.Context, it *whItem) error {
	if w.o.policy == Reject {
		select {
		case w.queue <- it:
			return nil
		default:
			return ErrBufferFull
		}
	}
	select {
	case w.queue <- it:
		return nil
	case <-w.closed:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("%w: webhook buffer full: %w", ErrSink, ctx.Err())
	}
}

// Close stops accepting events, delivers the buffered ones (with retries)
// and stops the sender. It returns [ErrClosed] if called twice.
func (w *Webhook) Close() error {
	err := ErrClosed
	w.once.Do(func() {
		close(w.closed)
		close(w.stop)
		<-w.done
		err = nil
	})
	return err
}

func (w *Webhook) run() {
	defer close(w.done)
	var next *whItem // taken from the queue, but did not fit the last batch
	for {
		first := next
		next = nil
		if first == nil {
			select {
			case first = <-w.queue:
			case <-w.stop:
				w.drain()
				return
			}
		}
		batch := []*whItem{first}
		size := batchSize(0, first)
		timer := time.NewTimer(w.o.batchDelay)
	collect:
		for len(batch) < w.o.batchMax {
			select {
			case it := <-w.queue:
				if batchSize(size, it) > w.o.batchMaxBytes {
					next = it
					break collect
				}
				batch, size = append(batch, it), batchSize(size, it)
			case <-timer.C:
				break collect
			case <-w.stop:
				break collect
			}
		}
		timer.Stop()
		w.deliver(batch)
	}
}

// batchSize is the body size of a batch of size bytes once it is added:
// "[" plus each event and its "," or "]".
func batchSize(size int, it *whItem) int { return max(size, 1) + len(it.body) + 1 }

// drain delivers what is left after Close; Write refuses new events by then,
// but a Write may have raced Close, so the queue is emptied until it stays
// empty.
func (w *Webhook) drain() {
	var next *whItem
	for {
		var batch []*whItem
		size := 0
		if next != nil {
			batch, size, next = []*whItem{next}, batchSize(0, next), nil
		}
	fill:
		for len(batch) < w.o.batchMax {
			select {
			case it := <-w.queue:
				if len(batch) > 0 && batchSize(size, it) > w.o.batchMaxBytes {
					next = it
					break fill
				}
				batch, size = append(batch, it), batchSize(size, it)
			default:
				break fill
			}
		}
		if len(batch) == 0 {
			return
		}
		w.deliver(batch)
	}
}

// deliver posts batch and tells each writer its outcome. A 413 says the
// body is too large for the endpoint, not that any event is bad: the batch
// is split in halves, each delivered on its own, so that only the events
// the endpoint refuses alone fail, never their batch neighbours (another
// job's events). A batch of n events takes at most 2n-1 requests, each
// retried as [WithRetry] says.
func (w *Webhook) deliver(batch []*whItem) {
	err := w.post(batchBody(batch))
	if se, ok := errors.AsType[*StatusError](err); ok && se.Code == http.StatusRequestEntityTooLarge && len(batch) > 1 {
		half := len(batch) / 2
		w.deliver(batch[:half])
		w.deliver(batch[half:])
		return
	}
	for _, it := range batch {
		it.done <- err
	}
	w.release(batch)
}

// batchBody is the JSON array of the batch's events, as marshalCloudEvents
// would encode it.
func batchBody(batch []*whItem) []byte {
	size := 0
	for _, it := range batch {
		size = batchSize(size, it)
	}
	b := append(make([]byte, 0, size), '[')
	for i, it := range batch {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it.body...)
	}
	return append(b, ']')
}

type permanentError struct{ error }

func (w *Webhook) post(body []byte) error {
	var last error
	for attempt := range w.o.attempts {
		if attempt > 0 {
			d := min(w.o.backoffBase<<(attempt-1), w.o.backoffMax)
			d = time.Duration(rand.Int64N(int64(d)) + 1) // full jitter
			t := time.NewTimer(d)
			<-t.C
		}
		err := w.attempt(body)
		if err == nil {
			return nil
		}
		last = err
		if pe, ok := err.(permanentError); ok {
			return fmt.Errorf("%w: webhook: %w", ErrDelivery, pe.error)
		}
		w.o.logger.Warn("audit webhook: delivery attempt failed", "attempt", attempt+1, "error", err)
	}
	return fmt.Errorf("%w: webhook: %d attempts: %w", ErrDelivery, w.o.attempts, last)
}

func (w *Webhook) attempt(body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), w.o.requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return permanentError{err}
	}
	req.Header.Set("Content-Type", "application/cloudevents-batch+json")
	resp, err := w.o.httpClient.Do(req)
	if err != nil {
		// Go's client names the URL in its error; its query or path may
		// carry a credential, and this error is logged and returned.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			ue.URL = redactURL(ue.URL)
		}
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, w.o.maxRespBody))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		// Not followed (see NewWebhook), and never success: the events
		// were not accepted where they were sent.
		loc := clip.String(redactURL(resp.Header.Get("Location")), maxLocation)
		return permanentError{&RedirectError{Code: resp.StatusCode, Location: loc}}
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return &StatusError{Code: resp.StatusCode}
	default:
		return permanentError{&StatusError{Code: resp.StatusCode}}
	}
}

// StatusError is an unexpected HTTP status from a webhook endpoint.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return fmt.Sprintf("http status %d, want 2xx", e.Code) }

// RedirectError is a 3xx answer from a webhook endpoint. Redirects are not
// followed and count as a failed delivery; it matches [ErrRedirect].
type RedirectError struct {
	Code int
	// Location is the redirect target's scheme and host, its path shown as
	// "/…" (a redirect to the same webhook plus a slash would print its
	// secret path), cut to 512 bytes (the endpoint chooses it).
	Location string
}

// maxLocation bounds the Location a [RedirectError] carries: the endpoint
// chooses it, up to the client's response header limit (10 MiB by
// default), and every writer of the batch gets the error, and may log it.
const maxLocation = 512

func (e *RedirectError) Error() string {
	return fmt.Sprintf("http status %d redirecting to %q: redirects are not followed; configure the final URL", e.Code, e.Location)
}

// Unwrap returns [ErrRedirect].
func (e *RedirectError) Unwrap() error { return ErrRedirect }

// redactURL keeps only a URL's scheme and host for errors, String and
// logs. User info, query and fragment may carry a credential (?token=...),
// and so may the path: Slack, Discord and Teams incoming webhooks put their
// secret in it (hooks.slack.com/services/T…/B…/<secret>). A path, or an
// opaque part, shows as a fixed "/…", never any of its segments.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	out := (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") {
		out += "/…"
	}
	return out
}
