package pglease

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
)

// Option configures [New].
type Option func(*config) error

type config struct {
	schema  string
	table   string
	timeout time.Duration
	logger  *slog.Logger
}

func defaults() config {
	return config{schema: "public", table: "ztci_leases", timeout: 2 * time.Second, logger: slog.New(slog.DiscardHandler)}
}

var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,50}$`)

// WithTable names the lease table (default "ztci_leases"); the owners'
// heartbeats live in the table of that name with "_owners" appended.
// Lower-case letters, digits and _. Every broker and reaper of a fleet
// names the same table in the same database.
func WithTable(name string) Option {
	return func(c *config) error {
		if !tableName.MatchString(name) {
			return fmt.Errorf("%w: table name %q (lower-case letters, digits and _, at most 51)", ErrConfig, name)
		}
		c.table = name
		return nil
	}
}

// WithSchema names the schema that holds the tables (default "public").
// Every statement names it, so the tables do not depend on a session's
// search_path: brokers and reapers whose roles have different search_path
// settings still share one registry, and a table of the same name in a
// schema earlier on a search_path cannot stand in for it. Lower-case
// letters, digits and _, not starting with pg_. The schema must exist.
func WithSchema(name string) Option {
	return func(c *config) error {
		if !tableName.MatchString(name) || strings.HasPrefix(name, "pg_") {
			return fmt.Errorf("%w: schema name %q (lower-case letters, digits and _, at most 51, not pg_)", ErrConfig, name)
		}
		c.schema = name
		return nil
	}
}

// WithTimeout bounds each statement (default 2s); past it the call fails
// (a broker then hands out nothing).
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
