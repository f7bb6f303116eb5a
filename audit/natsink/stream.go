package natsink

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/internal/kvconf"

	"github.com/ztci/ztci/audit"
)

// ErrStream: the audit stream's settings let it drop events by itself, let
// anyone who may publish to or manage it erase them, or let other subjects
// into it. It wraps [ErrConfig]; [Sink.Write] returns it wrapped in
// [audit.ErrSink] too, having published nothing.
var ErrStream = fmt.Errorf("%w: audit stream unsafe", ErrConfig)

// ErrEventsLost: a stream check found that the audit stream no longer holds
// events it held at an earlier check (it was deleted and made again, or
// edited to allow deletes or purges, used, and edited back, between two
// checks), while its settings let nothing drop them. It wraps [ErrStream];
// [Sink.Write] returns it, having published nothing, until the sink is made
// again (an operator's decision that the loss is known).
var ErrEventsLost = fmt.Errorf("%w: events lost", ErrStream)

// StreamLookup is the part of [jetstream.JetStream] that reads a stream's
// settings; a jetstream.JetStream satisfies it.
type StreamLookup interface {
	Stream(ctx context.Context, name string) (jetstream.Stream, error)
}

// CheckStream returns nil when cfg, the configuration of an audit stream,
// keeps every event stored in it for its max age (0: for ever) and lets
// nobody erase one sooner: limits retention, file storage, no limit that
// evicts old events (MaxMsgs or MaxBytes with discard old; MaxMsgsPerSubject
// unless discard new per subject), deletes and purges denied, no rollup or
// per-message TTL or schedule headers, synchronous persistence, no sources,
// mirror or subject transform. An eviction limit would let any
// publisher push older events out by flooding; a limit with discard new
// makes a full stream refuse events, and so the audited actions fail. The
// max age is the operator's retention and is not checked here; a [Sink]
// refuses one that shrinks, or is under [WithMinMaxAge].
//
// With a non-empty prefix every subject of the stream must also lie under
// "<prefix>.": the stream's de-duplication window is shared by all its
// subjects, so a writer of any other subject could store a message under
// an event's id first and have the event dropped. (natsanomaly's Feeder,
// which only reads, checks with an empty prefix.) Otherwise it returns an
// error wrapping [ErrStream] naming every setting that does not hold.
func CheckStream(cfg jetstream.StreamConfig, prefix string) error {
	return checkConfig(cfg, prefix, 1)
}

// checkConfig is [CheckStream] that also wants at least replicas replicas
// (a stream's 0 is 1).
func checkConfig(cfg jetstream.StreamConfig, prefix string, replicas int) error {
	why := kvconf.AppendOnly(cfg, "events", "tenant", prefix)
	if cfg.MaxMsgsPerSubject > 0 && !(cfg.Discard == jetstream.DiscardNew && cfg.DiscardNewPerSubject) {
		why = append(why, "max msgs per subject without discard new per subject evicts a tenant's oldest events")
	}
	if r := max(cfg.Replicas, 1); r < replicas {
		why = append(why, fmt.Sprintf("%d replica(s), fewer than %d: losing a server loses events", r, replicas))
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("%w: stream %s: %s", ErrStream, cfg.Name, strings.Join(why, "; "))
}

// checkStream reads the stream's settings and checks them when the last
// check that passed is older than the check interval: a stream edited
// after the sink started (purges allowed, an evicting limit, fewer
// replicas) is refused from the next check on. Until a check passes again,
// every Write checks and fails. One check runs at a time; the Writes that
// wait for it publish only if it passed.
func (s *Sink) checkStream(ctx context.Context) error {
	if s.lookup == nil || s.fresh() {
		return nil
	}
	select {
	case s.checking <- struct{}{}:
		defer func() { <-s.checking }()
	case <-ctx.Done():
		return fmt.Errorf("%w: jetstream: stream %s settings: %w", audit.ErrSink, s.stream, ctx.Err())
	}
	if s.fresh() {
		return nil // checked by another Write meanwhile
	}
	passed := s.due.Swap(0) != 0
	st, err := s.lookup.Stream(ctx, s.stream)
	if err != nil {
		return fmt.Errorf("%w: jetstream: stream %s settings: %w", audit.ErrSink, s.stream, err)
	}
	cfg := st.CachedInfo().Config
	err = checkConfig(cfg, s.prefix, s.replicas)
	if err == nil {
		err = s.checkAge(cfg)
	}
	if err != nil {
		if passed {
			s.logger.ErrorContext(ctx, "natsink: the audit stream's settings changed; refusing events until they pass again", "error", err)
		}
		return fmt.Errorf("%w: %w", audit.ErrSink, err)
	}
	info := st.CachedInfo()
	if err := s.checkKept(info); err != nil {
		s.logger.ErrorContext(ctx, "natsink: the audit stream lost events between two checks; refusing events until the sink is made again", "error", err)
		return fmt.Errorf("%w: %w", audit.ErrSink, err)
	}
	if !s.seenAge {
		s.firstAge, s.seenAge = cfg.MaxAge, true
	}
	s.last = streamMark{created: info.Created, lastSeq: info.State.LastSeq, msgs: info.State.Msgs,
		deleted: info.State.NumDeleted, maxAge: cfg.MaxAge, seen: true}
	s.due.Store(int64(time.Since(s.born) + s.every))
	return nil
}

// checkAge refuses a max age under [WithMinMaxAge], or shorter than the one
// the first passing check saw. It runs with the check token held.
func (s *Sink) checkAge(cfg jetstream.StreamConfig) error {
	age := cfg.MaxAge
	if age <= 0 {
		return nil // for ever
	}
	if s.minAge > 0 && age < s.minAge {
		return fmt.Errorf("%w: stream %s: max age %v, shorter than %v: events age out before the operator's retention", ErrStream, cfg.Name, age, s.minAge)
	}
	if s.seenAge && (s.firstAge <= 0 || age < s.firstAge) {
		first := "for ever"
		if s.firstAge > 0 {
			first = s.firstAge.String()
		}
		return fmt.Errorf("%w: stream %s: max age %v, shorter than %s when the sink started: events age out sooner than they were written for", ErrStream, cfg.Name, age, first)
	}
	return nil
}

// streamMark is what a passing stream check saw of the stream's state.
type streamMark struct {
	created time.Time
	lastSeq uint64
	msgs    uint64
	deleted int
	maxAge  time.Duration
	seen    bool
}

// checkKept compares the stream's state with the one the last passing
// check saw (held with the check token). Settings that pass the check drop
// no event by themselves, so between two passing checks a stream's
// creation time does not change, its last sequence does not go down, its
// interior deletions do not grow (its max age only removes the oldest
// events) and, without a max age, its message count does not go down. A
// stream deleted and made again with the same settings, or edited to allow
// purges or deletes, purged, and edited back, within one check interval,
// passed every check while the trail written before was gone. Once found,
// the loss is reported at every check: the state it is compared with stays
// the one before it.
func (s *Sink) checkKept(info *jetstream.StreamInfo) error {
	prev := s.last
	if !prev.seen {
		return nil
	}
	st := info.State
	var why []string
	if !info.Created.Equal(prev.created) {
		why = append(why, "it was made again")
	}
	if st.LastSeq < prev.lastSeq {
		why = append(why, fmt.Sprintf("its last sequence went from %d down to %d", prev.lastSeq, st.LastSeq))
	}
	if st.NumDeleted > prev.deleted {
		why = append(why, fmt.Sprintf("%d events deleted from its middle", st.NumDeleted-prev.deleted))
	}
	if prev.maxAge == 0 && info.Config.MaxAge == 0 && st.Msgs < prev.msgs {
		why = append(why, fmt.Sprintf("it holds %d events, %d before, and keeps them for ever", st.Msgs, prev.msgs))
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("%w: stream %s: %s", ErrEventsLost, info.Config.Name, strings.Join(why, "; "))
}

// fresh reports whether the last check passed within the check interval.
func (s *Sink) fresh() bool {
	return time.Since(s.born) < time.Duration(s.due.Load())
}
