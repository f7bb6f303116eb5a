package pgreplay

import (
	"fmt"
	"log/slog"
	"regexp"
	"time"
)

// Option configures [New].
type Option func(*config) error

type config struct {
	table   string
	timeout time.Duration
	maxTTL  time.Duration
	cleanup time.Duration
	skew    time.Duration
	now     func() time.Time
	logger  *slog.Logger
}

func defaults() config {
	return config{
		table:   "ztci_oidc_replay",
		timeout: 2 * time.Second,
		maxTTL:  24 * time.Hour,
		cleanup: time.Minute,
		skew:    DefaultClockSkew,
		now:     time.Now,
		logger:  slog.New(slog.DiscardHandler),
	}
}

var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,50}$`)

// WithTable names the table (default "ztci_oidc_replay"; lower-case letters,
// digits and _). Every verifier that must share single-use semantics names
// the same table in the same database.
func WithTable(name string) Option {
	return func(c *config) error {
		if !tableName.MatchString(name) {
			return fmt.Errorf("%w: table name %q (lower-case letters, digits and _, at most 51)", ErrConfig, name)
		}
		c.table = name
		return nil
	}
}

// WithTimeout bounds each claim (default 2s); past it the token is refused.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout %v", ErrConfig, d)
		}
		c.timeout = d
		return nil
	}
}

// WithMaxTTL is the longest a token id is kept (default 24h). A token
// that would outlive it is refused with [ErrLifetime].
func WithMaxTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second {
			return fmt.Errorf("%w: max TTL %v (at least 1s)", ErrConfig, d)
		}
		c.maxTTL = d
		return nil
	}
}

// WithCleanupInterval sets how often expired rows are deleted (default 1m).
func WithCleanupInterval(d time.Duration) Option {
	return func(c *config) error {
		if d < 10*time.Millisecond {
			return fmt.Errorf("%w: cleanup interval %v (at least 10ms)", ErrConfig, d)
		}
		c.cleanup = d
		return nil
	}
}

// DefaultClockSkew is how far apart the clocks of two replicas sharing the
// table may be by default (see [WithClockSkew]).
const DefaultClockSkew = 5 * time.Second

// WithClockSkew sets the largest difference between the clocks of any two
// replicas sharing the table (default [DefaultClockSkew], at most 1h). A
// replica purges a row only this long after its expiry by its own clock: a
// replica whose clock runs behind still finds the row for as long as its
// clock says the token is valid.
func WithClockSkew(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 || d > time.Hour {
			return fmt.Errorf("%w: clock skew %v (0 to 1h)", ErrConfig, d)
		}
		c.skew = d
		return nil
	}
}

// WithClock sets the clock that decides whether a recorded row has expired
// (default time.Now). Every replica's clock must agree with the others
// within the verifier's leeway.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		c.now = now
		return nil
	}
}

// WithLogger sets the logger for failed claims and cleanups (default:
// silent). Token ids are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.logger = l
		return nil
	}
}
