package admission

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztci/ztci/verify/image"
)

// ErrConfig reports an invalid argument to New or an Option.
var ErrConfig = errors.New("admission: invalid configuration")

// Defaults.
const (
	DefaultMaxBody     = 1 << 20
	DefaultMaxInFlight = 64
	DefaultTimeout     = 10 * time.Second
	DefaultMaxBundles  = 16
)

// Option configures New.
type Option func(*config) error

type config struct {
	log          *slog.Logger
	now          func() time.Time
	registries   []string
	registryOpts []image.Option
	registerer   prometheus.Registerer
	maxBody      int64
	maxInFlight  int
	maxBundles   int
	timeout      time.Duration
}

func defaults() config {
	return config{log: slog.New(slog.DiscardHandler), now: timeNow, maxBody: DefaultMaxBody,
		maxInFlight: DefaultMaxInFlight, maxBundles: DefaultMaxBundles, timeout: DefaultTimeout}
}

// WithLogger sets the diagnostics logger (default: silent). Tokens are never
// logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.log = l
		return nil
	}
}

// WithClock sets the clock used for audit timestamps and latency.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		c.now = now
		return nil
	}
}

// WithRegistries restricts image references to these registry hosts
// ("host[:port]", as name.Registry.RegistryStr writes them). Without it any
// registry is read: set it for a gate that takes requests from a network.
func WithRegistries(hosts ...string) Option {
	return func(c *config) error {
		for _, h := range hosts {
			if h == "" {
				return fmt.Errorf("%w: empty registry host", ErrConfig)
			}
		}
		c.registries = append(c.registries, hosts...)
		return nil
	}
}

// WithRegistryOptions passes options to the image.Verifier (transport,
// keychain, verdict cache, threshold).
func WithRegistryOptions(opts ...image.Option) Option {
	return func(c *config) error {
		c.registryOpts = append(c.registryOpts, opts...)
		return nil
	}
}

// WithMetrics registers the gate's Prometheus metrics with r (default: a
// private registry, still served by Handler's /metrics).
func WithMetrics(r prometheus.Registerer) Option {
	return func(c *config) error {
		if r == nil {
			return fmt.Errorf("%w: nil registerer", ErrConfig)
		}
		c.registerer = r
		return nil
	}
}

// WithLimits bounds request bodies (bytes), concurrent decisions (more get
// 503) and the time one decision may take. Zero keeps a default.
func WithLimits(maxBody int64, maxInFlight int, timeout time.Duration) Option {
	return func(c *config) error {
		if maxBody < 0 || maxInFlight < 0 || timeout < 0 {
			return fmt.Errorf("%w: negative limit", ErrConfig)
		}
		if maxBody > 0 {
			c.maxBody = maxBody
		}
		if maxInFlight > 0 {
			c.maxInFlight = maxInFlight
		}
		if timeout > 0 {
			c.timeout = timeout
		}
		return nil
	}
}
