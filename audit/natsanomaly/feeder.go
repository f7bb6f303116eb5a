package natsanomaly

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natsink"
	"github.com/ztci/ztci/internal/jsleader"
)

// Errors. Every error of [Feeder.Check] means "cannot say the fleet's events
// were all examined": the caller must not read it as "no anomalies".
var (
	// ErrConfig: New was given a missing argument, an unusable Option or a
	// nil one. It wraps [audit.ErrConfig].
	ErrConfig = fmt.Errorf("%w: natsanomaly", audit.ErrConfig)
	// ErrUnavailable: the stream or the feeder's consumer could not be
	// reached or created.
	ErrUnavailable = errors.New("natsanomaly: audit stream unavailable")
	// ErrBehind: the stream holds events the feeder has not examined yet.
	ErrBehind = errors.New("natsanomaly: feeder has not caught up with the stream")
	// ErrNotRunning: Check was called before Run started consuming or after
	// it returned.
	ErrNotRunning = errors.New("natsanomaly: feeder not running")
	// ErrUsed: Run was called a second time; a Feeder runs once.
	ErrUsed = errors.New("natsanomaly: feeder already ran")
)

// Option configures [New]. An unusable value or a nil Option makes New fail
// with [ErrConfig].
type Option func(*config) error

type config struct {
	subjects  []string
	start     time.Time
	detector  []audit.Option
	replayAll bool
	stall     time.Duration
	logger    *slog.Logger
	posKV     jetstream.KeyValue
	posKey    string
}

// WithSubjects limits the feeder to events stored under these subject
// filters (default: every subject of the stream).
func WithSubjects(filters ...string) Option {
	return func(c *config) error {
		if len(filters) == 0 {
			return errors.New("WithSubjects: no filter")
		}
		for _, f := range filters {
			if f == "" {
				return errors.New("WithSubjects: empty filter")
			}
		}
		c.subjects = append([]string(nil), filters...)
		return nil
	}
}

// WithStartTime makes the feeder begin with the events stored at or after t
// instead of the stream's first event: the baseline then covers only what
// the stream held from t on.
func WithStartTime(t time.Time) Option {
	return func(c *config) error {
		if t.IsZero() {
			return errors.New("WithStartTime: zero time")
		}
		c.start = t
		return nil
	}
}

// WithDetector passes options to the [audit.Detector] the feeder builds
// ([audit.WithLearning], [audit.WithBurst], ...).
func WithDetector(opts ...audit.Option) Option {
	return func(c *config) error {
		c.detector = append(c.detector, opts...)
		return nil
	}
}

// WithReplayAnomalies makes the feeder also write the anomalies of events
// that a previous feeder examined: those up to its saved position
// ([WithPosition]), or without one every event already in the stream when
// [Feeder.Run] started. By default those events only rebuild the baseline:
// a previous feeder raised their anomalies. Use it once after a feeder
// without a position died between reading an event and writing its
// anomaly; anomaly ids are derived from the trigger event, so a sink that
// de-duplicates by id (natsink) stores each once.
func WithReplayAnomalies() Option {
	return func(c *config) error {
		c.replayAll = true
		return nil
	}
}

// WithStallTimeout sets how long the feeder waits without progress, while
// the stream holds events it has not examined, before it replaces its
// consumer (default 5s). It also bounds each consumer creation.
func WithStallTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return errors.New("WithStallTimeout: not positive")
		}
		c.stall = d
		return nil
	}
}

// WithLogger sets the diagnostics logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}

// Stats counts what a feeder has done. Undecodable events are neither
// fed nor fatal; LastUndecodable is the stream sequence of the latest.
type Stats struct {
	Fed             uint64 // events given to the detector
	Undecodable     uint64 // messages that are not valid audit events
	LastUndecodable uint64 // stream sequence of the latest undecodable message
	Anomalies       uint64 // anomalies written to the output sink
	Replayed        uint64 // anomalies of events a previous feeder examined, not re-written
	Seq             uint64 // stream sequence of the last message examined
	Position        uint64 // the position last saved or read (WithPosition)
	Restarts        uint64 // consumers replaced after a stall
}

// Feeder consumes a JetStream stream of audit events (as published by
// natsink) into an [audit.Detector], so that the detector's baselines cover
// every replica's events and are rebuilt after a restart by replaying the
// stream. See the package documentation for its contract.
type Feeder struct {
	js   jetstream.JetStream
	name string
	det  *audit.Detector
	cfg  config

	ran    atomic.Bool
	mu     sync.Mutex
	stream jetstream.Stream // set while Run consumes

	// stored is when the stream stored the event the detector is given:
	// the detector's clock, which bounds the event's own Time. Written and
	// read on Run's goroutine only (the detector reads it inside Write).
	stored time.Time

	seq       atomic.Uint64 // last stream sequence examined: the detector is done with it
	examining atomic.Uint64 // stream sequence of the event the detector is given
	replayEnd uint64        // last sequence a previous feeder examined (set before Run consumes)
	created   int64         // the stream's creation time, Unix ns (set before Run consumes)
	saved     atomic.Uint64 // the position saved or read (WithPosition)
	fed, bad  atomic.Uint64
	lastBad   atomic.Uint64
	anomalies atomic.Uint64
	replayed  atomic.Uint64
	restarts  atomic.Uint64
}

// New returns a feeder of the events in stream into a fresh
// [audit.Detector] that writes its anomalies to out (for example a natsink
// sink, a log, or a kill switch that acts on them).
func New(js jetstream.JetStream, stream string, out audit.Sink, opts ...Option) (*Feeder, error) {
	if js == nil || stream == "" || out == nil {
		return nil, fmt.Errorf("%w: JetStream, stream name and output sink are required", ErrConfig)
	}
	c := config{stall: 5 * time.Second, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&c); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	f := &Feeder{js: js, name: stream, cfg: c}
	// The detector's clock is the stream's: each event's Time is bounded
	// by when the stream stored it (audit.WithMaxClockSkew), not by the
	// publishing replica's clock, and a replay sees the same times. Last,
	// so that no clock passed in WithDetector replaces it.
	dopts := append(slices.Clip(c.detector), audit.WithClock(func() time.Time { return f.stored }))
	det, err := audit.NewDetector(gate{f, out}, dopts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	f.det = det
	return f, nil
}

// gate is the detector's output: it drops (and counts) the anomalies of
// events a previous feeder examined, unless WithReplayAnomalies.
type gate struct {
	f   *Feeder
	out audit.Sink
}

func (g gate) Write(ctx context.Context, e audit.Event) error {
	if !g.f.cfg.replayAll && g.f.examining.Load() <= g.f.replayEnd {
		g.f.replayed.Add(1)
		return nil
	}
	if err := g.out.Write(ctx, e); err != nil {
		return err
	}
	g.f.anomalies.Add(1)
	return nil
}

// Run consumes the stream from its first event (or [WithStartTime]) until
// ctx is done, then returns nil. It returns an error wrapping
// [ErrUnavailable] when the stream cannot be reached at start, [ErrConfig]
// (and [natsink.ErrStream]) when its settings fail [natsink.CheckStream],
// [ErrPosition] when the position of [WithPosition] cannot be read, and the
// output sink's error (wrapping [audit.ErrSink]) when an anomaly cannot be
// written: an anomaly is never dropped silently. A Feeder runs once
// ([ErrUsed]).
//
// A node loss or reconnect during the run is absorbed: the ordered consumer
// resumes after the last message delivered, and when the feeder stops
// making progress while the stream leader holds events it has not examined
// (for [WithStallTimeout]) it abandons its consumer and reads on from the
// next sequence with a new one. That second guard exists because a
// consumer re-created at the moment a node dies can be placed on the dead
// node, where it never answers, and the client library retries it forever.
func (f *Feeder) Run(ctx context.Context) error {
	if f.ran.Swap(true) {
		return ErrUsed
	}
	st, err := f.js.Stream(ctx, f.name)
	if err != nil {
		return fmt.Errorf("%w: stream %q: %w", ErrUnavailable, f.name, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("%w: stream %q info: %w", ErrUnavailable, f.name, err)
	}
	// An event deleted, purged, rolled up or evicted before the feeder
	// reads it is never examined, and Check then vouches for the rest.
	if err := natsink.CheckStream(info.Config, ""); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	f.created = info.Created.UnixNano()
	if f.replayEnd, err = f.loadPosition(ctx, info); err != nil {
		return err
	}
	if f.cfg.posKV != nil {
		f.saved.Store(f.replayEnd)
	}
	// Saved on the way out too, without ctx's end: ctx is done by then.
	defer f.savePosition(context.WithoutCancel(ctx))
	f.mu.Lock()
	f.stream = st
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.stream = nil
		f.mu.Unlock()
	}()
	f.cfg.logger.InfoContext(ctx, "natsanomaly: feeding", "stream", f.name, "replay_until_seq", f.replayEnd)
	for first := true; ; first = false {
		err := f.session(ctx, st, first)
		if ctx.Err() != nil {
			return nil
		}
		if !errors.Is(err, errStalled) {
			return err
		}
		f.restarts.Add(1)
		f.cfg.logger.WarnContext(ctx, "natsanomaly: consumer stalled, reading on with a new one", "stream", f.name, "after_seq", f.seq.Load())
		select { // a cluster that answers nothing is not asked in a loop
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// errStalled ends a session whose consumer delivers nothing while the
// stream holds events the feeder has not examined.
var errStalled = errors.New("natsanomaly: consumer stalled")

// delivery is what a session's reader hands to Run's goroutine.
type delivery struct {
	msg jetstream.Msg
	err error
}

// session reads the stream with one ordered consumer, from the feeder's
// start (first) or after the last sequence examined, until ctx is done, an
// error, or a stall. Messages are handled on the caller's goroutine, so
// the sequence and the detector have one writer.
func (f *Feeder) session(ctx context.Context, st jetstream.Stream, first bool) error {
	occ := jetstream.OrderedConsumerConfig{FilterSubjects: f.cfg.subjects}
	switch {
	case !first || f.seq.Load() > 0:
		occ.DeliverPolicy, occ.OptStartSeq = jetstream.DeliverByStartSequencePolicy, f.seq.Load()+1
	case !f.cfg.start.IsZero():
		t := f.cfg.start
		occ.DeliverPolicy, occ.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	}
	cctx, cancel := context.WithTimeout(ctx, f.cfg.stall)
	cons, err := st.OrderedConsumer(cctx, occ)
	cancel()
	if err != nil {
		if first {
			return fmt.Errorf("%w: ordered consumer on %q: %w", ErrUnavailable, f.name, err)
		}
		return errStalled // the cluster may still be electing: try again
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("%w: consume %q: %w", ErrUnavailable, f.name, err)
	}
	sctx, stop := context.WithCancel(ctx)
	// Stopping the iterator can wait for the library's retry loop: never on
	// this goroutine. The reader exits once its Next returns.
	defer func() { stop(); go it.Stop() }()
	out := make(chan delivery)
	go read(sctx, it, out)

	tick := time.NewTicker(f.cfg.stall)
	defer tick.Stop()
	seen := f.seq.Load()
	for {
		select {
		case <-sctx.Done():
			return nil
		case d := <-out:
			if d.err != nil {
				return fmt.Errorf("%w: consume %q: %w", ErrUnavailable, f.name, d.err)
			}
			if err := f.handle(ctx, d.msg); err != nil {
				return err
			}
		case <-tick.C:
			f.savePosition(ctx)
			now := f.seq.Load()
			if now != seen {
				seen = now
				continue
			}
			if f.behind(ctx, st) {
				return errStalled
			}
		}
	}
}

// read forwards the iterator's messages until ctx is done. Transient
// errors (timeouts while the cluster elects a leader) are skipped; a closed
// iterator is reported.
func read(ctx context.Context, it jetstream.MessagesContext, out chan<- delivery) {
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		select {
		case out <- delivery{msg: msg, err: err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// behind reports whether the stream leader holds an event the feeder has
// not examined; an unanswered question is not a stall.
func (f *Feeder) behind(ctx context.Context, st jetstream.Stream) bool {
	qctx, cancel := context.WithTimeout(ctx, f.cfg.stall)
	defer cancel()
	last, err := f.lastSeq(qctx, st)
	return err == nil && f.seq.Load() < last
}

func (f *Feeder) handle(ctx context.Context, msg jetstream.Msg) error {
	md, err := msg.Metadata()
	if err != nil {
		// Not a JetStream message: nothing to place in the sequence.
		f.bad.Add(1)
		f.cfg.logger.ErrorContext(ctx, "natsanomaly: message without JetStream metadata", "subject", msg.Subject(), "error", err)
		return nil
	}
	if md.Sequence.Stream <= f.seq.Load() {
		return nil // examined already, under a previous consumer
	}
	// audit.Decode rejects data over audit.MaxEventSize before parsing it.
	e, err := audit.Decode(msg.Data())
	if err != nil {
		f.bad.Add(1)
		f.lastBad.Store(md.Sequence.Stream)
		f.seq.Store(md.Sequence.Stream) // last, as for a decoded event: Stats never shows it examined but not counted
		// The content is not logged: it may be anything a publisher wrote.
		// Decode's error says what failed and where, never what is there.
		f.cfg.logger.ErrorContext(ctx, "natsanomaly: undecodable audit event skipped",
			"stream", f.name, "seq", md.Sequence.Stream, "subject", msg.Subject(), "bytes", len(msg.Data()), "error", err)
		return nil
	}
	// gate reads examining to decide whether an anomaly is a replay; seq
	// moves only once the detector is done, so a nil Check means every
	// anomaly of the events it covers has been written.
	f.examining.Store(md.Sequence.Stream)
	f.stored = md.Timestamp
	if err := f.det.Write(ctx, e); err != nil {
		return fmt.Errorf("natsanomaly: event at seq %d: %w", md.Sequence.Stream, err)
	}
	if e.Source != audit.SourceDetector {
		f.fed.Add(1)
	}
	f.seq.Store(md.Sequence.Stream)
	return nil
}

// Stats returns the feeder's counters.
func (f *Feeder) Stats() Stats {
	return Stats{
		Fed: f.fed.Load(), Undecodable: f.bad.Load(), LastUndecodable: f.lastBad.Load(),
		Anomalies: f.anomalies.Load(), Replayed: f.replayed.Load(), Seq: f.seq.Load(),
		Restarts: f.restarts.Load(), Position: f.saved.Load(),
	}
}

// Check asks the stream's leader whether the feeder has examined every
// event the stream held at the moment of the question: nil only then.
// Otherwise it returns an error wrapping [ErrBehind] (events not yet
// examined), [ErrUnavailable] (the server could not answer) or
// [ErrNotRunning]. A caller reporting "no anomalies" must have a nil Check
// after the period it reports on.
//
// The answer comes from the stream leader, not from the feeder's consumer:
// the ordered consumer is a single replica that may sit on a lagging
// follower (it would report nothing pending while the leader holds more),
// and while it re-creates itself after a node loss it answers nothing.
func (f *Feeder) Check(ctx context.Context) error {
	f.mu.Lock()
	st := f.stream
	f.mu.Unlock()
	if st == nil {
		return ErrNotRunning
	}
	last, err := f.lastSeq(ctx, st)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if got := f.seq.Load(); got < last {
		return fmt.Errorf("%w: examined up to seq %d, the stream holds %d", ErrBehind, got, last)
	}
	return nil
}

// lastSeq is the stream sequence of the last event the feeder must examine:
// the stream's last sequence, or with WithSubjects the last of the
// sequences of the newest message under each filter.
func (f *Feeder) lastSeq(ctx context.Context, st jetstream.Stream) (uint64, error) {
	if len(f.cfg.subjects) == 0 {
		info, err := st.Info(ctx)
		if err != nil {
			return 0, fmt.Errorf("stream %q info: %w", f.name, err)
		}
		return info.State.LastSeq, nil
	}
	var last uint64
	for _, subj := range f.cfg.subjects {
		seq, err := f.lastSeqFor(ctx, subj)
		if err != nil {
			return 0, err
		}
		last = max(last, seq)
	}
	return last, nil
}

// lastSeqFor asks the stream leader for the newest message under subject (a
// filter, wildcards allowed) and returns its sequence, 0 when there is none
// (jsleader.LastMsg: GetLastMsgForSubject would let a lagging replica
// answer when the stream allows direct gets).
func (f *Feeder) lastSeqFor(ctx context.Context, subject string) (uint64, error) {
	m, found, err := jsleader.LastMsg(ctx, f.js, f.name, subject)
	if err != nil || !found {
		return 0, err
	}
	return m.Seq, nil
}
