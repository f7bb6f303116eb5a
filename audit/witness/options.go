package witness

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Option configures [New]. An unusable value or a nil Option makes New
// fail with [ErrConfig].
type Option func(*config) error

type config struct {
	logger *slog.Logger
	now    func() time.Time
	onFlag func(context.Context, *FlagError) error
}

// WithLogger sets the diagnostics logger (default: silent). Flags are
// logged at Error, first sight of a log at Warn, acceptances at Debug.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithClock sets the clock for the time of audit events (default
// time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("nil clock")
		}
		c.now = now
		return nil
	}
}

// WithOnFlag calls f with every flag, after its audit event is recorded,
// so that a vendor can act on it: raise a kill-switch mark on the node
// (natskill.Switch.Mark with the origin's node identity), page someone.
// f runs on the caller of [Witness.Add] and must be idempotent: a
// submission redelivered after an error is flagged again. An error from f
// makes Add return [ErrUnrecorded], so the submission is redelivered.
func WithOnFlag(f func(ctx context.Context, flag *FlagError) error) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("nil flag callback")
		}
		c.onFlag = f
		return nil
	}
}
