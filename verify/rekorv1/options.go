package rekorv1

import (
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Option configures a Client.
type Option func(*config) error

type config struct {
	timeout       time.Duration
	maxCandidates int
	transport     http.RoundTripper
	log           *slog.Logger
}

// WithTransport sets the HTTP transport (default http.DefaultTransport).
func WithTransport(rt http.RoundTripper) Option {
	return func(c *config) error {
		if rt == nil {
			return errors.New("WithTransport: nil transport")
		}
		c.transport = rt
		return nil
	}
}

// WithTimeout bounds each request, reading its answer included (default
// 30 s).
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return errors.New("WithTimeout: want a positive duration")
		}
		c.timeout = d
		return nil
	}
}

// WithMaxCandidates bounds how many of the entries FindEntry's searches
// list are fetched, all searches together (default DefaultMaxCandidates).
// The search index lists every signature of an artifact (and, searched by a
// certificate, every entry it signed); an entry past the bound is not found
// (ErrNotFound), never trusted.
func WithMaxCandidates(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 1024 {
			return errors.New("WithMaxCandidates: want 1 to 1024")
		}
		c.maxCandidates = n
		return nil
	}
}

// WithLogger sets the logger for diagnostics (default: silent).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		c.log = l
		return nil
	}
}
