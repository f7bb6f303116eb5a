package tuf

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// minRetry is the first delay after a failed refresh, doubled after each
// further failure up to the refresh interval.
const minRetry = time.Minute

// Live holds a value built from the current trusted root — typically the
// *verify.Verifier (or a struct of several) a deploy gate verifies with —
// and rebuilds it only when a refresh changes the root's Revision. Get is
// the hot path: an atomic load and a clock read, no I/O and no lock.
//
// Because the value is rebuilt exactly when the root changes, the memos a
// *verify.Trust and a *verify.Verifier keep (chains, timestamps, results)
// live as long as the root they were computed against, and no longer.
type Live[V any] struct {
	c     *Client
	build func(*Root) (V, error)

	mu  sync.Mutex // serialises rebuilds
	cur atomic.Pointer[liveState[V]]

	runMu  sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

type liveState[V any] struct {
	v    V
	root *Root
}

// NewLive builds the first value from c's current root. build is called
// again, from Refresh or the refresher, only when the root's Revision
// changes; its error keeps the previous value.
func NewLive[V any](c *Client, build func(*Root) (V, error)) (*Live[V], error) {
	if c == nil || build == nil {
		return nil, fmt.Errorf("%w: NewLive needs a Client and a build function", ErrConfig)
	}
	r, err := c.Root()
	if err != nil {
		return nil, err
	}
	v, err := build(r)
	if err != nil {
		return nil, fmt.Errorf("tuf: build from trusted root %s: %w", r.Revision, err)
	}
	l := &Live[V]{c: c, build: build}
	l.cur.Store(&liveState[V]{v: v, root: r})
	return l, nil
}

// Get returns the value built from the current root. Past that root's
// Expires it returns ErrExpired (fail closed) until a refresh succeeds.
func (l *Live[V]) Get() (V, error) {
	s := l.cur.Load()
	if !time.Now().Before(s.root.Expires) {
		var zero V
		return zero, fmt.Errorf("%w: the TUF metadata behind trusted root %s expired at %s", ErrExpired, s.root.Revision, s.root.Expires.UTC().Format(time.RFC3339))
	}
	return s.v, nil
}

// Root returns the root the current value was built from, expired or not
// (for display; Get decides whether it may be used).
func (l *Live[V]) Root() *Root { return l.cur.Load().root }

// Refresh refreshes the Client (see Client.Refresh) and, when the root's
// Revision changed, rebuilds the value. It reports whether it did. On error
// the previous value is kept, usable until its root's Expires.
func (l *Live[V]) Refresh(ctx context.Context) (changed bool, err error) {
	// Held across the Client's refresh so that concurrent Refreshes store
	// their roots in the order they were fetched.
	l.mu.Lock()
	defer l.mu.Unlock()
	r, err := l.c.Refresh(ctx)
	if err != nil {
		return false, err
	}
	old := l.cur.Load()
	if old.root.Revision == r.Revision {
		// Same trusted root, later expiry: keep the value and its memos.
		l.cur.Store(&liveState[V]{v: old.v, root: r})
		return false, nil
	}
	v, err := l.build(r)
	if err != nil {
		return false, fmt.Errorf("tuf: build from trusted root %s: %w", r.Revision, err)
	}
	l.cur.Store(&liveState[V]{v: v, root: r})
	return true, nil
}

// Start runs a refresher until Close or until ctx ends: it refreshes at
// once, then every refresh interval (WithRefreshInterval), sooner when the
// current metadata would expire first (at half the time left), and after a
// failure retries from a minute, doubling up to the interval. Failures are
// logged; Get keeps failing closed past the expiry. Start twice is an
// ErrConfig.
func (l *Live[V]) Start(ctx context.Context) error {
	l.runMu.Lock()
	defer l.runMu.Unlock()
	if l.done != nil {
		return fmt.Errorf("%w: Live already started", ErrConfig)
	}
	ctx, l.cancel = context.WithCancel(ctx)
	l.done = make(chan struct{})
	go l.run(ctx, l.done)
	return nil
}

// Close stops the refresher, if started, and waits for it to return. The
// value stays readable with Get. Close is idempotent.
func (l *Live[V]) Close() error {
	l.runMu.Lock()
	defer l.runMu.Unlock()
	if l.cancel != nil {
		l.cancel()
		<-l.done
		l.cancel = nil
	}
	return nil
}

func (l *Live[V]) run(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	log := l.c.cfg.logger
	interval := l.c.cfg.interval
	retry := minRetry
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		changed, err := l.Refresh(ctx)
		next := interval
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.WarnContext(ctx, "tuf: refresh failed; keeping the current trusted root until it expires", "repository", l.c.mirror, "expires", l.Root().Expires, "retry_in", retry, "error", err)
			next = retry
			retry = min(2*retry, interval)
		} else {
			retry = minRetry
			if changed {
				log.InfoContext(ctx, "tuf: trusted root changed", "repository", l.c.mirror, "revision", l.Root().Revision, "version", l.Root().Version)
			}
		}
		if half := time.Until(l.Root().Expires) / 2; half < next {
			next = max(half, minRetry)
		}
		t.Reset(next)
	}
}
