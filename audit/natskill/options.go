package natskill

import (
	"fmt"
	"log/slog"
	"regexp"
	"time"
)

// Option configures [New].
type Option func(*config) error

type config struct {
	bucket     string
	replicas   int
	staleAfter time.Duration
	timeout    time.Duration
	now        func() time.Time
	logger     *slog.Logger
	onMark     func(Mark)
	purgeAfter time.Duration
	maxMarks   int
}

func defaults() config {
	return config{
		bucket:     "ztci_killswitch",
		replicas:   1,
		staleAfter: 2 * time.Second,
		timeout:    2 * time.Second,
		now:        time.Now,
		logger:     slog.New(slog.DiscardHandler),
		purgeAfter: DefaultPurgeAfter,
		maxMarks:   DefaultMaxMarks,
	}
}

var bucketName = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// WithBucket names the KV bucket (default "ztci_killswitch"). Every replica
// of the fleet names the same bucket.
func WithBucket(name string) Option {
	return func(c *config) error {
		if !bucketName.MatchString(name) {
			return fmt.Errorf("%w: bucket name %q (letters, digits, _ and - only)", ErrConfig, name)
		}
		c.bucket = name
		return nil
	}
}

// WithReplicas sets how many servers hold the bucket when New creates it
// (default 1; 3 in a cluster, so that losing one node loses no mark).
func WithReplicas(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 5 {
			return fmt.Errorf("%w: %d replicas (JetStream allows 1 to 5)", ErrConfig, n)
		}
		c.replicas = n
		return nil
	}
}

// WithStaleAfter bounds how old the switch's view of the bucket may be
// (default 2s). The switch confirms it is current every eighth of d; past d
// without a confirmation, every identity is reported compromised.
func WithStaleAfter(d time.Duration) Option {
	return func(c *config) error {
		if d < 80*time.Millisecond {
			return fmt.Errorf("%w: stale bound %v (at least 80ms)", ErrConfig, d)
		}
		c.staleAfter = d
		return nil
	}
}

// WithTimeout bounds each request to NATS (default 2s): a mark, a clear, a
// freshness probe.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout %v", ErrConfig, d)
		}
		c.timeout = d
		return nil
	}
}

// WithClock sets the clock for mark expiry and purges (default time.Now).
// Staleness ([WithStaleAfter]) is measured on the process's monotonic
// clock whatever it returns: a clock that stands still or steps back must
// not keep a replica cut off from NATS current.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		c.now = now
		return nil
	}
}

// DefaultPurgeAfter is how long past its Until a mark stays in the bucket
// unless [WithPurgeAfter].
const DefaultPurgeAfter = time.Hour

// WithPurgeAfter sets how long past its Until a lapsed mark stays in the
// bucket (default [DefaultPurgeAfter], at least a minute): [Switch.Mark]
// (and [Switch.Write]) on any replica deletes up to 8 marks that lapsed
// longer ago than d by that replica's clock, each only at the revision it
// read. d is the clock-skew allowance of the fleet: a replica whose clock
// runs up to d ahead never deletes a mark still in force by a correct
// clock. Set it above the worst skew between the replicas that mark.
func WithPurgeAfter(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Minute {
			return fmt.Errorf("%w: purge allowance %v (at least a minute)", ErrConfig, d)
		}
		c.purgeAfter = d
		return nil
	}
}

// WithLogger sets the diagnostics logger (default: silent).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.logger = l
		return nil
	}
}

// WithOnMark calls f with every mark the switch learns from the bucket —
// marks set on any replica, and the marks already there when the switch
// starts — so a replica can act on a mark as well as deny by it: revoke
// the marked job's leases (secrets.Broker.RevokeIdentity), cut its egress
// connections. f runs on the switch's watch and must not block: hand slow
// work to another goroutine. A mark delivered twice (a rebuilt watch) calls
// f twice, so f must be idempotent. The mark of an id longer than 4 KiB
// carries its stand-in as ID (see the package's security contract); the
// audit event of the mark names the id in full.
func WithOnMark(f func(Mark)) Option {
	return func(c *config) error {
		if f == nil {
			return fmt.Errorf("%w: nil mark callback", ErrConfig)
		}
		c.onMark = f
		return nil
	}
}

// DefaultMaxMarks is how many marks a switch holds unless [WithMaxMarks].
const DefaultMaxMarks = 100_000

// WithMaxMarks bounds the marks (and invalid entries) a switch holds in
// memory (default [DefaultMaxMarks]; a stored mark is up to about 20 KiB).
// Marks lapsed less than the purge allowance ago ([WithPurgeAfter]) count.
// Nothing else bounds the bucket: whoever can write it could flood it
// until every replica ran out of memory. When the bucket holds more, the
// switch does not drop a mark, which would let its identity through: it
// holds none beyond n, logs an error, and every check denies with
// [ErrTooManyMarks] until a view rebuilt from the bucket (every four stale
// bounds) fits again. [Switch.Mark] of an identity not yet marked, when
// the switch holds n, is refused with [ErrTooManyMarks] and writes
// nothing. Every replica of the fleet should set the same n.
func WithMaxMarks(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: max marks %d (at least 1)", ErrConfig, n)
		}
		c.maxMarks = n
		return nil
	}
}
