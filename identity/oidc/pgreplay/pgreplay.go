package pgreplay

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/identity/oidc"
)

// Errors. Every error from [Cache.Claim] other than a replay means "could not
// decide" and the verifier refuses the token.
var (
	// ErrUnavailable: PostgreSQL did not answer (no connection, timeout,
	// query error). The token is refused.
	ErrUnavailable = errors.New("pgreplay: replay table unavailable")
	// ErrLifetime: the token would have to be recorded for longer than
	// [WithMaxTTL] allows; it is refused.
	ErrLifetime = errors.New("pgreplay: token lifetime exceeds the replay table's maximum TTL")
	// ErrConfig: an invalid option, or an existing table that cannot keep
	// claims (unlogged or temporary, key or until of another type, or no
	// unique index on key).
	ErrConfig = errors.New("pgreplay: invalid configuration")
)

// UnavailableError reports that PostgreSQL could not record a claim. It
// matches [ErrUnavailable] and the underlying error. It never holds the
// token id.
type UnavailableError struct {
	Table string
	Err   error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("pgreplay: table %s could not record the token id, token refused: %v", e.Table, e.Err)
}

func (e *UnavailableError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// Cache is an [oidc.ReplayCache] on a PostgreSQL table. A background
// goroutine deletes expired rows; [Cache.Close] stops it. The pool belongs to
// the caller.
type Cache struct {
	pool  *pgxpool.Pool
	cfg   config
	table string // quoted identifier
	claim string
	purge string

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

var _ oidc.ReplayCache = (*Cache)(nil)

// New creates the table if it does not exist (under an advisory lock, so that
// replicas starting together do not race) and starts the expiry cleanup.
// Options: [WithTable], [WithTimeout], [WithMaxTTL], [WithCleanupInterval],
// [WithClockSkew], [WithClock].
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Cache, error) {
	if pool == nil {
		return nil, fmt.Errorf("%w: nil pool", ErrConfig)
	}
	cfg := defaults()
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	table := pgx.Identifier{cfg.table}.Sanitize()
	c := &Cache{
		pool:  pool,
		cfg:   cfg,
		table: table,
		// A live row makes the insert a no-op (no row returned: replay); an
		// expired row for the same key is taken over, as in the in-memory
		// cache. The row's expiry is compared with the caller's clock, and
		// Claim refuses an until that clock has passed: the row of a token
		// is its own exp+leeway, so only a later token reusing the jti,
		// never the same token replayed at its expiry, takes it over.
		claim: `INSERT INTO ` + table + ` (key, until) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET until = EXCLUDED.until WHERE ` + table + `.until <= $3
			RETURNING 1`,
		purge: `DELETE FROM ` + table + ` WHERE key IN (SELECT key FROM ` + table + ` WHERE until <= $1 LIMIT 10000)`,
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if err := c.createTable(ctx); errors.Is(err, ErrConfig) {
		return nil, err
	} else if err != nil {
		return nil, &UnavailableError{Table: table, Err: err}
	}
	go c.cleanup()
	return c, nil
}

func (c *Cache) createTable(ctx context.Context) error {
	return pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "ztci.pgreplay."+c.cfg.table); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+c.table+` (key bytea PRIMARY KEY, until timestamptz NOT NULL)`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE INDEX IF NOT EXISTS `+pgx.Identifier{c.cfg.table + "_until"}.Sanitize()+` ON `+c.table+` (until)`); err != nil {
			return err
		}
		return c.checkTable(ctx, tx)
	})
}

// checkTable refuses ([ErrConfig]) a table created ahead (by an
// administrator, or by hand) that cannot keep claims: an UNLOGGED or
// temporary table loses its rows in a crash or with the session, and an
// until column without a time zone stores each replica's wall clock (pgx
// writes a time in its own zone), so a replica in a zone ahead of the
// claiming one's reads a live claim as expired and takes it over. A table
// without a unique index on key alone (covering every row, checked at
// once) is refused here rather than failing every claim.
func (c *Cache) checkTable(ctx context.Context, tx pgx.Tx) error {
	var persistence, keyType, untilType string
	var keyed bool
	err := tx.QueryRow(ctx, `SELECT c.relpersistence::text,
		EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
			WHERE i.indrelid = c.oid AND i.indisunique AND i.indimmediate AND i.indisvalid
			  AND i.indnkeyatts = 1 AND i.indpred IS NULL AND i.indexprs IS NULL AND a.attname = 'key'),
		coalesce((SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'key' AND NOT a.attisdropped), ''),
		coalesce((SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'until' AND NOT a.attisdropped), '')
		FROM pg_class c WHERE c.oid = to_regclass($1)`, c.table).Scan(&persistence, &keyed, &keyType, &untilType)
	if err != nil {
		return err
	}
	switch {
	case persistence != "p":
		return fmt.Errorf("%w: table %s is not a permanent, logged table (relpersistence %q): a crash would forget spent tokens", ErrConfig, c.table, persistence)
	case !keyed:
		return fmt.Errorf("%w: table %s has no unique index on key alone: a claim could not tell a spent token id", ErrConfig, c.table)
	case keyType != "bytea":
		return fmt.Errorf("%w: table %s: column key is %q, want bytea", ErrConfig, c.table, keyType)
	case untilType != "timestamp with time zone":
		return fmt.Errorf("%w: table %s: column until is %q, want timestamp with time zone: replicas in other time zones would misread expiries", ErrConfig, c.table, untilType)
	}
	return nil
}

// Claim implements [oidc.ReplayCache]: it inserts SHA-256(key) with expiry
// until. It returns nil when this call recorded the key, an error wrapping
// [oidc.ErrReplayed] when a live row for the key exists, one wrapping
// [oidc.ErrExpired] when until has already passed (nothing is written), and
// an error wrapping [ErrUnavailable] or [ErrLifetime] when it cannot
// decide. A claim whose answer was lost after the commit is refused and the
// token is spent: denying is the safe side.
func (c *Cache) Claim(ctx context.Context, key string, until time.Time) error {
	now := c.cfg.now()
	if !until.After(now) {
		return &oidc.ClaimError{Claim: "exp", Want: "a token still valid when recorded", Got: until.UTC().Format(time.RFC3339), Err: oidc.ErrExpired}
	}
	if d := until.Sub(now); d > c.cfg.maxTTL {
		return fmt.Errorf("%w: %v > %v", ErrLifetime, d.Round(time.Second), c.cfg.maxTTL)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	sum := sha256.Sum256([]byte(key))
	var one int
	err := c.pool.QueryRow(ctx, c.claim, sum[:], until, now).Scan(&one)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return &oidc.ClaimError{Claim: "jti", Want: "a token id not used before", Got: "a token id already used", Err: oidc.ErrReplayed}
	default:
		c.cfg.logger.WarnContext(ctx, "pgreplay: claim failed, token refused", "table", c.table, "error", err)
		return &UnavailableError{Table: c.table, Err: err}
	}
}

// Purge deletes up to 10,000 rows expired for longer than [WithClockSkew]
// and reports how many it deleted.
// The background cleanup calls it every [WithCleanupInterval]; a vendor may
// also call it from a scheduled job.
func (c *Cache) Purge(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	// Another replica's clock may run behind this one's and still accept
	// the token: purge only rows expired on every replica's clock.
	tag, err := c.pool.Exec(ctx, c.purge, c.cfg.now().Add(-c.cfg.skew))
	if err != nil {
		return 0, &UnavailableError{Table: c.table, Err: err}
	}
	return tag.RowsAffected(), nil
}

func (c *Cache) cleanup() {
	defer close(c.done)
	t := time.NewTicker(c.cfg.cleanup)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-c.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			for { // drain a backlog in batches, then wait for the next tick
				n, err := c.Purge(ctx)
				if err != nil {
					c.cfg.logger.WarnContext(ctx, "pgreplay: cleanup failed", "table", c.table, "error", err)
				}
				if err != nil || n < 10000 {
					break
				}
			}
		}
	}
}

// Close stops the cleanup goroutine and waits for it. It does not close the
// pool. Claims keep working after Close; expired rows then stay until
// [Cache.Purge] runs.
func (c *Cache) Close() error {
	c.once.Do(func() { close(c.stop) })
	<-c.done
	return nil
}
