package natsreplay

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
	maxTTL   time.Duration
	skew     time.Duration
	now      func() time.Time
	logger   *slog.Logger
}

func defaults() config {
	return config{
		bucket:   "ztci_oidc_replay",
		replicas: 1,
		timeout:  2 * time.Second,
		maxTTL:   24 * time.Hour,
		skew:     DefaultClockSkew,
		now:      time.Now,
		logger:   slog.New(slog.DiscardHandler),
	}
}

// WithBucket names the KV bucket (default "ztci_oidc_replay"). Every
// verifier that must share single-use semantics names the same bucket.
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
// (default 1; 3 in a cluster, so that losing one node loses no claim).
func WithReplicas(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 5 {
			return fmt.Errorf("%w: %d replicas (JetStream allows 1 to 5)", ErrConfig, n)
		}
		c.replicas = n
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
// that would outlive it is refused with [ErrLifetime], and so is one whose
// lifetime plus the clock skew a time.Duration cannot hold.
func WithMaxTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second {
			return fmt.Errorf("%w: max TTL %v (at least 1s)", ErrConfig, d)
		}
		c.maxTTL = d
		return nil
	}
}

// DefaultClockSkew is how far apart the clocks of two verifiers sharing a
// bucket may be by default (see [WithClockSkew]).
const DefaultClockSkew = 5 * time.Second

// WithClockSkew sets the largest difference between the clocks of any two
// verifiers sharing the bucket (default [DefaultClockSkew], at most 1h).
// Each key is kept this much longer than its token's expiry plus leeway as
// the claiming verifier's clock sees it: a verifier whose clock runs behind
// still finds the key for as long as its own clock says the token is valid.
// The verifier's leeway does not cover this skew: every verifier adds it to
// the same expiry. It must also cover how far the clock of a server
// holding the bucket may run ahead of the one that stored the claim: each
// replica removes a key at the claim's stored timestamp plus its TTL by its
// own clock, and may lead the stream later.
func WithClockSkew(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 || d > time.Hour {
			return fmt.Errorf("%w: clock skew %v (0 to 1h)", ErrConfig, d)
		}
		c.skew = d
		return nil
	}
}

// WithClock sets the clock used to turn a claim's expiry into a TTL
// (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		c.now = now
		return nil
	}
}

// WithLogger sets the logger for failed claims (default: silent). Token ids
// are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.logger = l
		return nil
	}
}
