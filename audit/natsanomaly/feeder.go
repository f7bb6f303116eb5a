package natsanomaly

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
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
	logger    *slog.Logger
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
// that were already in the stream when [Feeder.Run] started. By default
// those events only rebuild the baseline: a previous feeder raised their
// anomalies. Use it once after a feeder died between reading an event and
// writing its anomaly; anomaly ids are derived from the trigger event, so a
// sink that de-duplicates by id (natsink) stores each once.
func WithReplayAnomalies() Option {
	return func(c *config) error {
		c.replayAll = true
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
	Replayed        uint64 // anomalies of events stored before Run, not re-written
	Seq             uint64 // stream sequence of the last message examined
}

// Feeder consumes a JetStream stream of audit events (as published by
// natsink) into an [audit.Detector], so that the detector's baselines cover
// every replica's events and are rebuilt after a restart by replaying the
// stream. See the package documentation for its contract.
type Feeder struct {
	js     jetstream.JetStream
	stream string
	det    *audit.Detector
	cfg    config

	ran  atomic.Bool
	mu   sync.Mutex
	cons jetstream.Consumer // set while Run consumes

	seq       atomic.Uint64 // last stream sequence examined
	replayEnd uint64        // stream's last sequence when Run started (Run's goroutine only)
	fed, bad  atomic.Uint64
	lastBad   atomic.Uint64
	anomalies atomic.Uint64
	replayed  atomic.Uint64
}

// New returns a feeder of the events in stream into a fresh
// [audit.Detector] that writes its anomalies to out (for example a natsink
// sink, a log, or a kill switch that acts on them).
func New(js jetstream.JetStream, stream string, out audit.Sink, opts ...Option) (*Feeder, error) {
	if js == nil || stream == "" || out == nil {
		return nil, fmt.Errorf("%w: JetStream, stream name and output sink are required", ErrConfig)
	}
	c := config{logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&c); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	f := &Feeder{js: js, stream: stream, cfg: c}
	det, err := audit.NewDetector(gate{f, out}, c.detector...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	f.det = det
	return f, nil
}

// gate is the detector's output: it drops (and counts) the anomalies of
// events stored before Run started, unless WithReplayAnomalies.
type gate struct {
	f   *Feeder
	out audit.Sink
}

func (g gate) Write(ctx context.Context, e audit.Event) error {
	if !g.f.cfg.replayAll && g.f.seq.Load() <= g.f.replayEnd {
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
// [ErrUnavailable] when the stream cannot be reached at start, and the
// output sink's error (wrapping [audit.ErrSink]) when an anomaly cannot be
// written: an anomaly is never dropped silently. A node loss or reconnect
// during the run is absorbed by the ordered consumer, which resumes after
// the last message delivered. A Feeder runs once ([ErrUsed]).
func (f *Feeder) Run(ctx context.Context) error {
	if f.ran.Swap(true) {
		return ErrUsed
	}
	st, err := f.js.Stream(ctx, f.stream)
	if err != nil {
		return fmt.Errorf("%w: stream %q: %w", ErrUnavailable, f.stream, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("%w: stream %q info: %w", ErrUnavailable, f.stream, err)
	}
	f.replayEnd = info.State.LastSeq
	occ := jetstream.OrderedConsumerConfig{FilterSubjects: f.cfg.subjects}
	if !f.cfg.start.IsZero() {
		t := f.cfg.start
		occ.DeliverPolicy, occ.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	}
	cons, err := st.OrderedConsumer(ctx, occ)
	if err != nil {
		return fmt.Errorf("%w: ordered consumer on %q: %w", ErrUnavailable, f.stream, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("%w: consume %q: %w", ErrUnavailable, f.stream, err)
	}
	defer it.Stop()
	f.mu.Lock()
	f.cons = cons
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.cons = nil
		f.mu.Unlock()
	}()
	f.cfg.logger.InfoContext(ctx, "natsanomaly: feeding", "stream", f.stream, "replay_until_seq", f.replayEnd)
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return fmt.Errorf("%w: consume %q: %w", ErrUnavailable, f.stream, err)
			}
			// The ordered consumer resets itself on gaps and lost
			// consumers; what reaches here is transient (timeouts while
			// the cluster elects a leader): keep going.
			f.cfg.logger.WarnContext(ctx, "natsanomaly: waiting for the stream", "stream", f.stream, "error", err)
			continue
		}
		if err := f.handle(ctx, msg); err != nil {
			return err
		}
	}
}

func (f *Feeder) handle(ctx context.Context, msg jetstream.Msg) error {
	md, err := msg.Metadata()
	if err != nil {
		// Not a JetStream message: nothing to place in the sequence.
		f.bad.Add(1)
		f.cfg.logger.ErrorContext(ctx, "natsanomaly: message without JetStream metadata", "subject", msg.Subject(), "error", err)
		return nil
	}
	// audit.Decode rejects data over audit.MaxEventSize before parsing it.
	e, err := audit.Decode(msg.Data())
	if err != nil {
		f.seq.Store(md.Sequence.Stream)
		f.bad.Add(1)
		f.lastBad.Store(md.Sequence.Stream)
		// The content is not logged: it may be anything a publisher wrote.
		f.cfg.logger.ErrorContext(ctx, "natsanomaly: undecodable audit event skipped",
			"stream", f.stream, "seq", md.Sequence.Stream, "subject", msg.Subject(), "bytes", len(msg.Data()), "error", err)
		return nil
	}
	// seq is stored before the detector runs, so gate sees this event's
	// sequence when it decides whether the anomaly is a replay.
	f.seq.Store(md.Sequence.Stream)
	if err := f.det.Write(ctx, e); err != nil {
		return fmt.Errorf("natsanomaly: event at seq %d: %w", md.Sequence.Stream, err)
	}
	if e.Source != audit.SourceDetector {
		f.fed.Add(1)
	}
	return nil
}

// Stats returns the feeder's counters.
func (f *Feeder) Stats() Stats {
	return Stats{
		Fed: f.fed.Load(), Undecodable: f.bad.Load(), LastUndecodable: f.lastBad.Load(),
		Anomalies: f.anomalies.Load(), Replayed: f.replayed.Load(), Seq: f.seq.Load(),
	}
}

// Check asks the server whether the feeder has examined every event the
// stream held at the moment of the question: nil only then. Otherwise it
// returns an error wrapping [ErrBehind] (events not yet examined),
// [ErrUnavailable] (the server could not answer) or [ErrNotRunning]. A
// caller reporting "no anomalies" must have a nil Check after the period it
// reports on.
func (f *Feeder) Check(ctx context.Context) error {
	f.mu.Lock()
	cons := f.cons
	f.mu.Unlock()
	if cons == nil {
		return ErrNotRunning
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("%w: consumer info: %w", ErrUnavailable, err)
	}
	if info.NumPending > 0 {
		return fmt.Errorf("%w: %d events not delivered yet", ErrBehind, info.NumPending)
	}
	if got := f.seq.Load(); got < info.Delivered.Stream {
		return fmt.Errorf("%w: examined up to seq %d, delivered %d", ErrBehind, got, info.Delivered.Stream)
	}
	return nil
}
