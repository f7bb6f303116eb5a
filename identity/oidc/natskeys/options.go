package natskeys

import (
	"fmt"
	"log/slog"
	"time"
)

// Option configures [New].
type Option func(*config) error

type config struct {
	bucket   string
	replicas int
	timeout  time.Duration
	refresh  time.Duration
	maxStale time.Duration
	now      func() time.Time
	logger   *slog.Logger
}

// Defaults of [New].
const (
	DefaultBucket       = "ztci_oidc_keys"
	DefaultTimeout      = 2 * time.Second
	DefaultRefresh      = 30 * time.Second
	DefaultMaxStaleness = 2 * time.Minute
)

func defaults() config {
	return config{
		bucket:   DefaultBucket,
		replicas: 1,
		timeout:  DefaultTimeout,
		refresh:  DefaultRefresh,
		maxStale: DefaultMaxStaleness,
		now:      time.Now,
		logger:   slog.New(slog.DiscardHandler),
	}
}

// WithBucket names the KV bucket (default "ztci_oidc_keys"). Every replica
// of one issuer fleet names the same bucket; different issuers (different
// iss) use different buckets.
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
// (default 1; 3 in a cluster, so that losing one node loses no key).
func WithReplicas(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 5 {
			return fmt.Errorf("%w: %d replicas (JetStream allows 1 to 5)", ErrConfig, n)
		}
		c.replicas = n
		return nil
	}
}

// WithTimeout bounds each bucket operation: a Publish, one full read
// (default 2s).
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout %v", ErrConfig, d)
		}
		c.timeout = d
		return nil
	}
}

// WithRefresh sets how often the whole bucket is read again (default 30s),
// besides the watch that delivers changes as they happen. A successful
// read is what keeps the set fresh (see [WithMaxStaleness]).
func WithRefresh(d time.Duration) Option {
	return func(c *config) error {
		if d < 100*time.Millisecond {
			return fmt.Errorf("%w: refresh interval %v (at least 100ms)", ErrConfig, d)
		}
		c.refresh = d
		return nil
	}
}

// WithMaxStaleness is how long Keys serves the last good set after full
// reads stop succeeding (default 2m; it must exceed the refresh interval).
// Past it Keys fails and the issuer's JWKS endpoint answers 503.
func WithMaxStaleness(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: max staleness %v", ErrConfig, d)
		}
		c.maxStale = d
		return nil
	}
}

// WithClock sets the clock for expiry, staleness and the age of delete
// markers (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		c.now = now
		return nil
	}
}

// WithLogger sets the logger for refused records and bucket failures
// (default: silent). Records hold public keys only.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.logger = l
		return nil
	}
}
