package tuf

import (
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"
)

// DefaultRefreshInterval is how often a started Live refreshes when nothing
// asks for sooner. A day keeps well inside the public-good repository's
// timestamp lifetime (days), and a Live refreshes earlier when the current
// metadata would expire first (see Live.Start).
const DefaultRefreshInterval = 24 * time.Hour

// DefaultFetchTimeout bounds one refresh (every file it downloads) when the
// caller's context has no earlier deadline.
const DefaultFetchTimeout = time.Minute

// DefaultTarget is the name of the target holding the Sigstore trusted root
// in the public-good (and most private) TUF repositories.
const DefaultTarget = "trusted_root.json"

// maxTargetSize bounds the trusted root target whatever its signed metadata
// claims, like verify.LoadTrustedRoot bounds a file.
const maxTargetSize = 16 << 20

// Option configures Open. Options reject misuse with an error matching
// ErrConfig.
type Option func(*config) error

type config struct {
	client   *http.Client
	logger   *slog.Logger
	interval time.Duration
	timeout  time.Duration
	target   string
}

func defaultConfig() config {
	return config{
		client:   &http.Client{Timeout: DefaultFetchTimeout},
		logger:   slog.New(slog.DiscardHandler),
		interval: DefaultRefreshInterval,
		timeout:  DefaultFetchTimeout,
		target:   DefaultTarget,
	}
}

// WithHTTPClient sets the client used to read the repository (its
// Transport, TLS roots and proxy). The client is copied: its CheckRedirect
// is replaced by one that follows only same-origin redirects, so the
// caller's value is never modified.
func WithHTTPClient(c *http.Client) Option {
	return func(cfg *config) error {
		if c == nil {
			return fmt.Errorf("%w: nil http.Client", ErrConfig)
		}
		cfg.client = c
		return nil
	}
}

// WithLogger sets the logger for refresh outcomes (never metadata bodies).
// The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(cfg *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		cfg.logger = l
		return nil
	}
}

// WithRefreshInterval sets how often a started Live refreshes (default
// DefaultRefreshInterval). At least a minute: a repository is not a feed.
func WithRefreshInterval(d time.Duration) Option {
	return func(cfg *config) error {
		if d < time.Minute {
			return fmt.Errorf("%w: refresh interval %v is under a minute", ErrConfig, d)
		}
		cfg.interval = d
		return nil
	}
}

// WithFetchTimeout bounds one refresh (default DefaultFetchTimeout); the
// caller's context may end it sooner.
func WithFetchTimeout(d time.Duration) Option {
	return func(cfg *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: fetch timeout %v is not positive", ErrConfig, d)
		}
		cfg.timeout = d
		return nil
	}
}

// WithTarget names the target that holds the trusted root (default
// DefaultTarget), for repositories that publish it under another name.
func WithTarget(name string) Option {
	return func(cfg *config) error {
		if name == "" || path.Clean(name) != name || path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("%w: target name %q is not a clean relative path", ErrConfig, name)
		}
		cfg.target = name
		return nil
	}
}
