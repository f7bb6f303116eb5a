package natslease

import (
	"fmt"
	"log/slog"
	"regexp"
	"time"
)

// Option configures [New].
type Option func(*config) error

type config struct {
	bucket   string
	replicas int
	timeout  time.Duration
	logger   *slog.Logger
}

func defaults() config {
	return config{
		bucket:   "ztci_leases",
		replicas: 1,
		timeout:  2 * time.Second,
		logger:   slog.New(slog.DiscardHandler),
	}
}

// bucketName is what JetStream accepts as a KV bucket name.
var bucketName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// WithBucket names the KV bucket (default "ztci_leases"). Every broker and
// reaper of a fleet names the same bucket.
func WithBucket(name string) Option {
	return func(c *config) error {
		if !bucketName.MatchString(name) {
			return fmt.Errorf("%w: bucket name %q (1 to 64 letters, digits, _ and -)", ErrConfig, name)
		}
		c.bucket = name
		return nil
	}
}

// WithReplicas sets how many servers hold the bucket when New creates it
// (default 1; 3 in a cluster, so that losing one node loses no lease
// record).
func WithReplicas(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 5 {
			return fmt.Errorf("%w: %d replicas (JetStream allows 1 to 5)", ErrConfig, n)
		}
		c.replicas = n
		return nil
	}
}

// WithTimeout bounds each request to the bucket (default 2s); past it the
// call fails (a broker then hands out nothing).
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout %v", ErrConfig, d)
		}
		c.timeout = d
		return nil
	}
}

// WithLogger sets the logger for diagnostics (lease ids and owners, never
// values). The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.logger = l
		return nil
	}
}
