package audit

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Option configures a constructor of this package. Each option documents
// which constructors accept it; passing it to another one is an error, so a
// misplaced safety setting is never silently ignored.
type Option struct {
	name  string
	kinds kind
	apply func(*options) error
}

type kind uint8

const (
	forLog kind = 1 << iota
	forWebhook
	forJSONLines
	forKillSwitch
	forDetector
	forEscalator
	forAll = forLog | forWebhook | forJSONLines | forKillSwitch | forDetector | forEscalator
)

var kindNames = map[kind]string{forLog: "Open", forWebhook: "NewWebhook", forJSONLines: "NewJSONLines", forKillSwitch: "NewKillSwitch", forDetector: "NewDetector", forEscalator: "NewEscalator"}

type options struct {
	logger *slog.Logger
	now    func() time.Time

	// Log.
	checkpointEvery int
	checkpointEach  time.Duration
	noSync          bool
	tail            TailPolicy

	// Webhook.
	httpClient     *http.Client
	batchMax       int
	batchMaxBytes  int
	batchDelay     time.Duration
	bufferSize     int
	bufferBytes    int
	jobShare       int // percent of the buffer one job may hold
	policy         BackPressure
	attempts       int
	backoffBase    time.Duration
	backoffMax     time.Duration
	maxRespBody    int64
	requestTimeout time.Duration

	// JSONLines.
	cloudEvents bool

	// Detector.
	learnEvents   int
	burstCount    int
	burstWindow   time.Duration
	workStart     int
	workEnd       int
	location      *time.Location
	maxIdentities int
	maxPairs      int
	maxSkew       time.Duration // 0: event times trusted (WithEventTimeTrustedUnsafe)
	repoBurst     int           // 0: repoBurstFactor times burstCount
	ownerBurst    int           // 0: ownerBurstFactor times burstCount

	// Escalator.
	escalation escalation
}

// shareEvents is how many events one job may hold in the webhook's buffer
// (at least 1).
func (o *options) shareEvents() int { return max(o.bufferSize*o.jobShare/100, 1) }

// shareBytes is how many bytes one job's events may hold in the webhook's
// buffer (at least 1).
func (o *options) shareBytes() int { return max(int(int64(o.bufferBytes)*int64(o.jobShare)/100), 1) }

func defaults() options {
	return options{
		logger:          slog.New(slog.DiscardHandler),
		now:             time.Now,
		checkpointEvery: 4096,
		tail:            TailAdopt,
		httpClient:      &http.Client{Timeout: 10 * time.Second},
		batchMax:        256,
		batchMaxBytes:   1 << 20,
		batchDelay:      50 * time.Millisecond,
		bufferSize:      4096,
		bufferBytes:     4 << 20,
		jobShare:        DefaultJobBufferShare,
		policy:          Block,
		attempts:        5,
		backoffBase:     100 * time.Millisecond,
		backoffMax:      5 * time.Second,
		maxRespBody:     64 << 10,
		requestTimeout:  10 * time.Second,
		learnEvents:     20,
		burstCount:      100,
		burstWindow:     time.Minute,
		workStart:       7,
		workEnd:         19,
		location:        time.UTC,
		maxIdentities:   100_000,
		maxPairs:        1_000,
		maxSkew:         DefaultMaxClockSkew,
		escalation:      defaultEscalation(),
	}
}

func build(k kind, opts []Option) (options, error) {
	o := defaults()
	for _, opt := range opts {
		if opt.apply == nil {
			return o, fmt.Errorf("%w: zero Option passed to %s", ErrConfig, kindNames[k])
		}
		if opt.kinds&k == 0 {
			return o, fmt.Errorf("%w: option %s does not apply to %s", ErrConfig, opt.name, kindNames[k])
		}
		if err := opt.apply(&o); err != nil {
			return o, fmt.Errorf("%w: option %s: %w", ErrConfig, opt.name, err)
		}
	}
	return o, nil
}

// WithLogger sets the logger for diagnostics (never for audit events). The
// default discards. Accepted by every constructor.
func WithLogger(l *slog.Logger) Option {
	return Option{"WithLogger", forAll, func(o *options) error {
		if l == nil {
			return fmt.Errorf("nil logger")
		}
		o.logger = l
		return nil
	}}
}

// WithClock sets the clock used for mark expiry, for the time of the
// event recording an adopted unsigned tail ([TailAdopt]), and for the
// reference time that bounds the event times a [Detector] accepts
// ([WithMaxClockSkew]); for tests, and for a detector that replays stored
// events (the clock then returns the time each was stored, as
// audit/natsanomaly does). Accepted by NewKillSwitch, NewEscalator, Open
// and NewDetector.
func WithClock(now func() time.Time) Option {
	return Option{"WithClock", forKillSwitch | forEscalator | forLog | forDetector, func(o *options) error {
		if now == nil {
			return fmt.Errorf("nil clock")
		}
		o.now = now
		return nil
	}}
}

// WithCheckpointEvery makes [Open]'s log sign a checkpoint after at least n
// new entries (default 4096). Checkpoints are also signed by
// [Log.Checkpoint] and [Log.Close].
func WithCheckpointEvery(n int) Option {
	return Option{"WithCheckpointEvery", forLog, func(o *options) error {
		if n < 1 {
			return fmt.Errorf("want n >= 1, got %d", n)
		}
		o.checkpointEvery = n
		return nil
	}}
}

// WithCheckpointInterval makes [Open]'s log also sign a checkpoint every d
// while entries are unsigned, so that a quiet log does not leave its last
// entries uncovered for long. Default: off.
func WithCheckpointInterval(d time.Duration) Option {
	return Option{"WithCheckpointInterval", forLog, func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("want d > 0, got %v", d)
		}
		o.checkpointEach = d
		return nil
	}}
}

// WithoutSyncUnsafe makes [Open]'s log skip fsync: appends are acknowledged
// once written to the operating system, and a power loss can lose them. For
// benchmarks and tests only.
func WithoutSyncUnsafe() Option {
	return Option{"WithoutSyncUnsafe", forLog, func(o *options) error { o.noSync = true; return nil }}
}

// WithCloudEvents makes [NewJSONLines] write each event as a CloudEvents
// envelope ([ToCloudEvent]) instead of the bare event.
func WithCloudEvents() Option {
	return Option{"WithCloudEvents", forJSONLines, func(o *options) error { o.cloudEvents = true; return nil }}
}
