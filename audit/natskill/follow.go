package natskill

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// maxPending bounds the probes waiting for the watch to catch up.
const maxPending = 16

// follow applies the bucket's changes to the switch's view and turns probes
// into freshness: a probe taken at t that reported the stream's last
// sequence L proves, once the watch has delivered L, that the view held
// every mark committed before t. When the watch does not catch up with a
// probe within half the stale bound, or ends, follow starts a new watch,
// builds a new view from the bucket's current values beside the old one and
// swaps it in when complete; the old view keeps answering (and ages into
// "stale") meanwhile.
func (s *Switch) follow(life context.Context) {
	defer s.wg.Done()
	var (
		w         jetstream.KeyWatcher
		updates   <-chan jetstream.KeyValueEntry
		next      *view // being built from a new watch's initial values
		seen      uint64
		pending   []probe
		restarted time.Time
	)
	// The client ends a watch's subscription when the context it was
	// created with ends, so each watch gets a context of its own, cancelled
	// when the watch is replaced; creating it is bounded by the request
	// timeout separately (past it the context is cancelled, which aborts the
	// request, and the next tick tries again).
	var stopCtx context.CancelFunc = func() {}
	watch := func() {
		s.stopWatch(w, updates)
		stopCtx()
		w, updates, next, seen, restarted = nil, nil, s.newView(), 0, time.Now()
		// Marks this switch writes from now on may be missing from the new
		// watch's snapshot: they carry over to the view it builds.
		s.mu.Lock()
		s.epoch++
		s.mu.Unlock()
		var ctx context.Context
		ctx, stopCtx = context.WithCancel(life)
		type result struct {
			w   jetstream.KeyWatcher
			err error
		}
		created := make(chan result, 1)
		go func() {
			nw, err := s.kv.WatchAll(ctx)
			created <- result{nw, err}
		}()
		timeout := time.NewTimer(s.cfg.timeout)
		defer timeout.Stop()
		var r result
		select {
		case r = <-created:
		case <-timeout.C:
			stopCtx()
			if r = <-created; r.err == nil {
				s.stopWatch(r.w, r.w.Updates())
			}
			r.err = context.DeadlineExceeded
		}
		if r.err != nil {
			s.cfg.logger.WarnContext(life, "natskill: watch failed", "bucket", s.cfg.bucket, "error", r.err)
			return
		}
		w, updates = r.w, r.w.Updates()
	}
	settle := func() {
		if next != nil {
			return // seen counts the new watch, which the live view does not reflect yet
		}
		var at time.Time
		for len(pending) > 0 && seen >= pending[0].last {
			at, pending = pending[0].at, pending[1:]
		}
		if at.IsZero() {
			return
		}
		s.mu.Lock()
		if at.After(s.freshAt) {
			s.freshAt = at
		}
		s.mu.Unlock()
	}
	watch()
	tick := time.NewTicker(s.cfg.staleAfter / 8)
	defer func() {
		tick.Stop()
		s.stopWatch(w, updates)
		stopCtx()
	}()
	for {
		select {
		case <-s.stop:
			return
		case e, ok := <-updates:
			switch {
			case !ok: // subscription closed (connection closed)
				w, updates = nil, nil
			case e == nil: // initial values delivered
				if next != nil {
					s.mu.Lock()
					// What this switch wrote since the new watch's
					// snapshot carries over (see carry); the watch will
					// deliver it, or a later revision.
					next.carry(s.view, seen, s.epoch)
					s.view = next
					s.reportOverflow(life)
					s.mu.Unlock()
					next = nil
				}
			default:
				ent := entry{rev: e.Revision()}
				if e.Operation() == jetstream.KeyValuePut {
					m, err := decodeMark(e.Key(), e.Value())
					if err != nil {
						s.cfg.logger.ErrorContext(life, "natskill: invalid entry in bucket, denying every identity until it is removed",
							"bucket", s.cfg.bucket, "key", e.Key(), "error", err)
						ent.corrupt = true
					} else {
						ent.mark = &m
					}
				}
				if next != nil {
					next.watched(e.Key(), ent)
				} else {
					s.mu.Lock()
					s.view.watched(e.Key(), ent)
					s.reportOverflow(life)
					s.mu.Unlock()
				}
				s.noteTomb(e.Key(), e.Revision(), e.Created(), e.Operation() != jetstream.KeyValuePut)
				if ent.mark != nil && s.cfg.onMark != nil {
					s.cfg.onMark(*ent.mark)
				}
				seen = max(seen, e.Revision())
			}
			settle()
		case p := <-s.probes:
			if len(pending) == maxPending {
				pending = pending[1:]
			}
			pending = append(pending, p)
			settle()
		case <-tick.C:
			now := time.Now() // staleness is monotonic: see Switch.freshAt
			for len(pending) > 0 && now.Sub(pending[0].at) > s.cfg.staleAfter {
				pending = pending[1:] // too old to make the view fresh
			}
			behind := len(pending) > 0 && now.Sub(pending[0].at) > s.cfg.staleAfter/2
			// An overflowed view lacks marks it dropped, and stays
			// overflowed after deletions: only a view rebuilt from the
			// bucket can show that the marks fit again. Rebuilding reads
			// the whole bucket, so at most every overflowRetry.
			s.mu.RLock()
			over := s.view.overflow && next == nil && now.Sub(restarted) > s.overflowRetry()
			s.mu.RUnlock()
			if (w == nil || behind || over) && now.Sub(restarted) > s.cfg.staleAfter/2 {
				s.cfg.logger.WarnContext(life, "natskill: watch behind the bucket, or view overflowed, watching again",
					"bucket", s.cfg.bucket, "watching", w != nil, "overflowed", over)
				watch()
			}
		}
	}
}

// overflowRetry is how often an overflowed switch rebuilds its view from
// the bucket ([WithMaxMarks]): four stale bounds.
func (s *Switch) overflowRetry() time.Duration { return 4 * s.cfg.staleAfter }

// stopWatch stops w and drains its updates until the client closes the
// channel, so that the client's delivery goroutine, which may be blocked
// handing over an update, can exit; it gives up after the request timeout.
func (s *Switch) stopWatch(w jetstream.KeyWatcher, updates <-chan jetstream.KeyValueEntry) {
	if w == nil {
		return
	}
	_ = w.Stop()
	timeout := time.NewTimer(s.cfg.timeout)
	defer timeout.Stop()
	for {
		select {
		case _, ok := <-updates:
			if !ok {
				return
			}
		case <-timeout.C:
			return
		}
	}
}

// probe asks the stream leader for the stream's last sequence every eighth
// of the stale bound.
func (s *Switch) probe(life context.Context) {
	defer s.wg.Done()
	tick := time.NewTicker(s.cfg.staleAfter / 8)
	defer tick.Stop()
	for {
		at := time.Now() // monotonic: see Switch.freshAt
		ctx, cancel := context.WithTimeout(life, s.cfg.timeout)
		info, err := s.stream.Info(ctx)
		cancel()
		if err == nil {
			err = checkStream(info.Config, s.cfg)
			if err != nil {
				// No proof of currency from a stream that can lose marks
				// unseen: the switch turns stale and denies.
				s.cfg.logger.ErrorContext(life, "natskill: bucket's stream can no longer hold marks, denying every identity",
					"bucket", s.cfg.bucket, "error", err)
			}
		} else {
			s.cfg.logger.DebugContext(life, "natskill: freshness probe failed", "bucket", s.cfg.bucket, "error", err)
		}
		if err == nil {
			select {
			case s.probes <- probe{at: at, last: info.State.LastSeq}:
			case <-s.stop:
				return
			}
		}
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
	}
}
