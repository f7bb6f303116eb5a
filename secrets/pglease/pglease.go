package pglease

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/secrets"
)

// Errors. Every error but a refused record or a lost claim means
// PostgreSQL could not answer: the broker hands out nothing, the reaper
// revokes nothing it did not claim.
var (
	// ErrUnavailable: PostgreSQL did not answer (no connection, timeout,
	// statement error).
	ErrUnavailable = fmt.Errorf("%w: pglease: database unavailable", secrets.ErrLeaseRegistry)
	// ErrConfig: an invalid option.
	ErrConfig = fmt.Errorf("%w: pglease: invalid configuration", secrets.ErrConfig)
)

// UnavailableError reports a statement PostgreSQL did not carry out. It
// matches [ErrUnavailable] (and so [secrets.ErrLeaseRegistry]) and the
// driver's error.
type UnavailableError struct {
	Table string
	Op    string
	Err   error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("pglease: table %s: %s: %v", e.Table, e.Op, e.Err)
}

func (e *UnavailableError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// Registry is a [secrets.LeaseRegistry] and [secrets.LeaseReclaimer] on two
// PostgreSQL tables. It holds no goroutines and needs no Close; the pool
// belongs to the caller.
type Registry struct {
	pool   *pgxpool.Pool
	cfg    config
	leases string // quoted identifiers
	owners string

	heartbeat, register, release, claim, unclaim, complete, forget string
}

var (
	_ secrets.LeaseRegistry  = (*Registry)(nil)
	_ secrets.LeaseReclaimer = (*Registry)(nil)
)

// New creates the tables if they do not exist (under an advisory lock, so
// that replicas starting together do not race) in the schema of
// [WithSchema] (default "public"), and refuses ([ErrConfig]) a table name
// that the session's search_path resolves elsewhere. Options:
// [WithSchema], [WithTable], [WithTimeout], [WithLogger].
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Registry, error) {
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
	// Schema-qualified: a session's search_path does not pick the tables.
	leases, owners := pgx.Identifier{cfg.schema, cfg.table}.Sanitize(), pgx.Identifier{cfg.schema, cfg.table + "_owners"}.Sanitize()
	r := &Registry{
		pool: pool, cfg: cfg, leases: leases, owners: owners,
		// Every time is the server's now(): no two hosts' clocks are
		// compared.
		heartbeat: `INSERT INTO ` + owners + ` (owner, alive_until)
			VALUES ($1, pg_catalog.now() OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => $2))
			ON CONFLICT (owner) DO UPDATE SET alive_until = EXCLUDED.alive_until`,
		register: `INSERT INTO ` + leases + ` (lease_id, backend, name, job_id, identity, owner, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		release: `DELETE FROM ` + leases + ` WHERE lease_id OPERATOR(pg_catalog.=) $1`,
		// The inner SELECT locks the lapsed, unclaimed rows it picks and
		// skips rows another claim is locking; a row claimed by a claim
		// that committed meanwhile is re-checked against the new version
		// and dropped. So each row goes to one claim at a time.
		// The text columns come back cut to one character more than a
		// record may hold ($4): whoever writes to the table cannot make the
		// reaper read a huge row, and a cut value still fails Validate.
		// Each token starts with the claim's batch prefix ($5), which
		// unclaim matches when the claim's outcome is unknown.
		claim: `UPDATE ` + leases + ` AS l
			SET claimed_by = $1, claim_token = pg_catalog.concat($5::pg_catalog.text, pg_catalog.gen_random_uuid()),
				claim_until = pg_catalog.now() OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => $2)
			WHERE l.lease_id OPERATOR(pg_catalog.=) ANY (
				SELECT c.lease_id FROM ` + leases + ` AS c
				WHERE (c.claim_until IS NULL OR c.claim_until OPERATOR(pg_catalog.<=) pg_catalog.now())
				  AND NOT EXISTS (SELECT 1 FROM ` + owners + ` AS o
					WHERE o.owner OPERATOR(pg_catalog.=) c.owner AND o.alive_until OPERATOR(pg_catalog.>) pg_catalog.now())
				ORDER BY c.registered_at, c.lease_id
				LIMIT $3
				FOR UPDATE OF c SKIP LOCKED)
			RETURNING pg_catalog.left(l.lease_id, $4), pg_catalog.left(l.backend, $4), pg_catalog.left(l.name, $4), pg_catalog.left(l.job_id, $4),
				pg_catalog.left(l.identity, $4), pg_catalog.left(l.owner, $4), l.expires_at, l.claim_token`,
		// Gives back the rows of a claim whose outcome the caller never
		// learnt: the claimer's rows whose token carries the batch prefix.
		unclaim: `UPDATE ` + leases + ` SET claimed_by = NULL, claim_token = NULL, claim_until = NULL
			WHERE claimed_by OPERATOR(pg_catalog.=) $1
			  AND pg_catalog.left(claim_token, pg_catalog.length($2::pg_catalog.text)) OPERATOR(pg_catalog.=) $2::pg_catalog.text`,
		complete: `DELETE FROM ` + leases + ` WHERE lease_id OPERATOR(pg_catalog.=) $1 AND claim_token OPERATOR(pg_catalog.=) $2`,
		// Owners whose heartbeat lapsed a day ago: an absent row means the
		// same as a lapsed one, so removing them changes nothing.
		forget: `DELETE FROM ` + owners + ` WHERE alive_until OPERATOR(pg_catalog.<) pg_catalog.now() OPERATOR(pg_catalog.-) interval '1 day'`,
	}
	if err := r.createTables(ctx); errors.Is(err, ErrConfig) {
		return nil, err
	} else if err != nil {
		return nil, r.unavailable("create tables", err)
	}
	return r, nil
}

func (r *Registry) createTables(ctx context.Context) error {
	return pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext($1))`, "ztci.pglease."+r.cfg.schema+"."+r.cfg.table); err != nil {
			return err
		}
		// Against the session's own search_path, before it is pinned.
		for _, name := range []string{r.cfg.table, r.cfg.table + "_owners"} {
			if err := checkShadow(ctx, tx, r.cfg.schema, name); err != nil {
				return err
			}
		}
		// The rest of this transaction (the tables' DDL and the catalog
		// queries of checkTable, full of unqualified operators) resolves
		// names in pg_catalog only: an operator, function or type someone
		// defined in a schema on the session's search_path cannot change
		// what they check.
		if _, err := tx.Exec(ctx, `SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)`); err != nil {
			return err
		}
		for _, q := range []string{
			`CREATE TABLE IF NOT EXISTS ` + r.owners + ` (owner pg_catalog.text PRIMARY KEY, alive_until pg_catalog.timestamptz NOT NULL)`,
			`CREATE TABLE IF NOT EXISTS ` + r.leases + ` (
				lease_id pg_catalog.text PRIMARY KEY, backend pg_catalog.text NOT NULL, name pg_catalog.text NOT NULL,
				job_id pg_catalog.text NOT NULL, identity pg_catalog.text NOT NULL, owner pg_catalog.text NOT NULL,
				expires_at pg_catalog.timestamptz,
				registered_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
				claimed_by pg_catalog.text, claim_token pg_catalog.text, claim_until pg_catalog.timestamptz)`,
			`CREATE INDEX IF NOT EXISTS ` + pgx.Identifier{r.cfg.table + "_owner"}.Sanitize() + ` ON ` + r.leases + ` (owner)`,
			// Claim takes the oldest claimable rows: without this index
			// every claim sorts the whole table.
			`CREATE INDEX IF NOT EXISTS ` + pgx.Identifier{r.cfg.table + "_registered"}.Sanitize() + ` ON ` + r.leases + ` (registered_at, lease_id)`,
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		if err := checkTable(ctx, tx, r.owners, "owner", ownerColumns); err != nil {
			return err
		}
		return checkTable(ctx, tx, r.leases, "lease_id", leaseColumns)
	})
}

// checkShadow refuses ([ErrConfig]) a table name that this session's
// search_path resolves to a relation other than schema.name: a fleet that
// ran before the tables were schema-qualified kept its leases there (say in
// a schema named after the role), or someone put a table of that name
// ahead of the registry. Either way a component of the fleet would look
// at other rows than this one. Its operators are qualified: it runs under
// the session's search_path.
func checkShadow(ctx context.Context, tx pgx.Tx, schema, name string) error {
	var other *string
	if err := tx.QueryRow(ctx, `SELECT a::pg_catalog.text FROM (SELECT pg_catalog.to_regclass($1) AS a, pg_catalog.to_regclass($2) AS b) AS x
		WHERE a IS NOT NULL AND (b IS NULL OR a::pg_catalog.oid OPERATOR(pg_catalog.<>) b::pg_catalog.oid)`,
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{schema, name}.Sanitize()).Scan(&other); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if other != nil && *other != "" {
		return fmt.Errorf("%w: table name %s resolves to %s on this session's search_path, not to the registry's %s.%s: move the rows or set WithSchema",
			ErrConfig, name, clip.Quote(*other, 200), schema, name)
	}
	return nil
}

// The column types New creates. Times must carry a time zone: a timestamp
// without one is written in the writing session's zone and read in the
// reading one's, so a reaper whose sessions run in a zone ahead of a
// broker's reads that broker's fresh heartbeat as lapsed (and a claim as
// expired).
var (
	ownerColumns = map[string]string{"owner": "text", "alive_until": "timestamp with time zone"}
	leaseColumns = map[string]string{
		"lease_id": "text", "backend": "text", "name": "text", "job_id": "text", "identity": "text", "owner": "text",
		"expires_at": "timestamp with time zone", "registered_at": "timestamp with time zone",
		"claimed_by": "text", "claim_token": "text", "claim_until": "timestamp with time zone",
	}
)

// checkTable refuses ([ErrConfig]) a table created ahead (by an
// administrator or a migration tool) that cannot keep leases: an UNLOGGED
// or temporary table loses its rows in a crash (the dead runners' leases
// are never revoked); a column of another type changes what is compared;
// without a unique index on key alone, covering every row and checked at
// once, one lease id is registered twice and a claim on a dead owner's row
// also takes a live owner's row of that id; and a non-deterministic
// (say case-insensitive) collation on a text column or on that index makes
// distinct strings equal, so owner "Runner-A"'s heartbeat keeps a dead
// "runner-a" alive, or two lease ids (claim tokens) are taken for one.
// Its unqualified names resolve in pg_catalog only: createTables pins the
// transaction's search_path first.
func checkTable(ctx context.Context, tx pgx.Tx, table, key string, want map[string]string) error {
	var persistence string
	var keyed bool
	if err := tx.QueryRow(ctx, `SELECT c.relpersistence::text, EXISTS (
			SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
			WHERE i.indrelid = c.oid AND i.indisunique AND i.indimmediate AND i.indisvalid
			  AND i.indnkeyatts = 1 AND i.indpred IS NULL AND i.indexprs IS NULL AND a.attname = $2
			  AND NOT EXISTS (SELECT 1 FROM pg_collation co WHERE co.oid = i.indcollation[0] AND NOT co.collisdeterministic))
		FROM pg_class c WHERE c.oid = to_regclass($1)`, table, key).Scan(&persistence, &keyed); err != nil {
		return err
	}
	if persistence != "p" {
		return fmt.Errorf("%w: table %s is not a permanent, logged table (relpersistence %q): a crash would forget leases", ErrConfig, table, persistence)
	}
	if !keyed {
		return fmt.Errorf("%w: table %s has no unique index on %s alone under a deterministic collation", ErrConfig, table, key)
	}
	rows, err := tx.Query(ctx, `SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), COALESCE(co.collisdeterministic, true)
		FROM pg_attribute a LEFT JOIN pg_collation co ON co.oid = a.attcollation
		WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`, table)
	if err != nil {
		return err
	}
	got, nondeterministic := map[string]string{}, map[string]bool{}
	var col, typ string
	var deterministic bool
	if _, err := pgx.ForEachRow(rows, []any{&col, &typ, &deterministic}, func() error {
		got[col], nondeterministic[col] = typ, !deterministic
		return nil
	}); err != nil {
		return err
	}
	for col, typ := range want {
		if got[col] != typ {
			return fmt.Errorf("%w: table %s: column %s is %q, want %s", ErrConfig, table, col, got[col], typ)
		}
		if nondeterministic[col] {
			return fmt.Errorf("%w: table %s: column %s has a non-deterministic collation: distinct values would compare equal", ErrConfig, table, col)
		}
	}
	return nil
}

func (r *Registry) unavailable(op string, err error) error {
	return &UnavailableError{Table: r.leases, Op: op, Err: err}
}

// Heartbeat implements [secrets.LeaseRegistry]: the owner is alive until
// the server's now() plus ttl.
func (r *Registry) Heartbeat(ctx context.Context, owner string, ttl time.Duration) error {
	if err := secrets.CheckLeaseOwner(owner); err != nil {
		return err
	}
	if ttl <= 0 {
		return fmt.Errorf("%w: heartbeat ttl %v is not positive", ErrConfig, ttl)
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	if _, err := r.pool.Exec(ctx, r.heartbeat, owner, ttl.Seconds()); err != nil {
		return r.unavailable("heartbeat", err)
	}
	return nil
}

// Register implements [secrets.LeaseRegistry] with an INSERT; a lease id
// already present is refused by the primary key.
func (r *Registry) Register(ctx context.Context, rec secrets.LeaseRecord) error {
	if err := rec.Validate(); err != nil {
		return err
	}
	var exp *time.Time
	if !rec.ExpiresAt.IsZero() {
		exp = &rec.ExpiresAt
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	_, err := r.pool.Exec(ctx, r.register, rec.LeaseID, rec.Backend, rec.Name, rec.JobID, rec.Identity, rec.Owner, exp)
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pgErr) && pgErr.Code == "23505": // unique_violation
		return fmt.Errorf("%w: %s", secrets.ErrLeaseExists, rec.LeaseID)
	default:
		return r.unavailable("register "+rec.LeaseID, err)
	}
}

// Release implements [secrets.LeaseRegistry].
func (r *Registry) Release(ctx context.Context, leaseID string) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	if _, err := r.pool.Exec(ctx, r.release, leaseID); err != nil {
		return r.unavailable("release "+leaseID, err)
	}
	return nil
}

// Claim implements [secrets.LeaseReclaimer] with one UPDATE … WHERE
// lease_id = ANY (SELECT … FOR UPDATE SKIP LOCKED) RETURNING, which stamps
// each claimed row with a fresh random claim token and claim_until = now()
// + ttl. A claimed row that does not hold a valid record is logged and
// left claimed: nothing can revoke what it would name.
//
// A Claim that returns an error has claimed nothing: the UPDATE runs in a
// transaction that commits only once every row has been read, and when the
// commit's outcome is unknown (the context ended or the connection broke
// while it was under way) Claim gives the rows back, in a statement of its
// own bounded by [WithTimeout], matching them by claimer and by a random
// prefix that every token of this claim carries. Only if that also fails
// do the rows stay claimed, until ttl passes (then any claim takes them):
// the caller may call Claim again at once either way.
func (r *Registry) Claim(ctx context.Context, claimer string, ttl time.Duration, max int) ([]secrets.LeaseClaim, error) {
	if err := secrets.CheckLeaseOwner(claimer); err != nil {
		return nil, err
	}
	if ttl <= 0 || max < 1 {
		return nil, fmt.Errorf("%w: claim ttl %v and max %d must be positive", ErrConfig, ttl, max)
	}
	tctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	batch := rand.Text() + "."
	out, err := r.claimTx(tctx, claimer, ttl, max, batch)
	if err != nil {
		// The transaction rolled back (nothing to give back) or its commit
		// was sent and may have landed: give the batch's rows back either
		// way, without the caller's context, which may be what ended.
		uctx, ucancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.timeout)
		defer ucancel()
		if tag, uerr := r.pool.Exec(uctx, r.unclaim, claimer, batch); uerr != nil {
			r.cfg.logger.ErrorContext(ctx, "pglease: a failed claim may hold leases until its ttl", "table", r.leases, "claimer", claimer, "ttl", ttl, "err", uerr)
		} else if tag.RowsAffected() > 0 {
			r.cfg.logger.WarnContext(ctx, "pglease: gave back the leases of a claim whose commit was not confirmed", "table", r.leases, "claimer", claimer, "leases", tag.RowsAffected())
		}
		return nil, r.unavailable("claim", err)
	}
	if _, err := r.pool.Exec(tctx, r.forget); err != nil {
		r.cfg.logger.DebugContext(ctx, "pglease: could not remove long-lapsed owners", "err", err)
	}
	return out, nil
}

// claimTx runs the claim in a transaction that commits only after every
// row was read: a failure before the commit leaves nothing claimed.
func (r *Registry) claimTx(ctx context.Context, claimer string, ttl time.Duration, max int, batch string) ([]secrets.LeaseClaim, error) {
	var out []secrets.LeaseClaim
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		out = nil
		rows, err := tx.Query(ctx, r.claim, claimer, ttl.Seconds(), max, secrets.MaxLeaseField+1, batch)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			// A NULL text column (a table created ahead without NOT NULL)
			// reads as empty and fails Validate below.
			var row claimRow
			var text [6]*string
			if err := rows.Scan(&text[0], &text[1], &text[2], &text[3], &text[4], &text[5], &row.expiresAt, &row.token); err != nil {
				return err
			}
			for i, p := range []*string{&row.leaseID, &row.backend, &row.name, &row.jobID, &row.identity, &row.owner} {
				if text[i] != nil {
					*p = *text[i]
				}
			}
			c, err := row.claim(claimer)
			if err != nil {
				r.cfg.logger.ErrorContext(ctx, "pglease: skipping a lease row that does not hold a valid record", "table", r.leases, "err", err)
				continue
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// claimRow is a row the claim statement returned. Whoever can write to the
// table controls it, so it is checked before use.
type claimRow struct {
	leaseID, backend, name, jobID, identity, owner string
	expiresAt                                      *time.Time
	token                                          *string
}

func (row claimRow) claim(claimer string) (secrets.LeaseClaim, error) {
	rec := secrets.LeaseRecord{LeaseID: row.leaseID, Backend: row.backend, Name: row.name, JobID: row.jobID,
		Identity: row.identity, Owner: row.owner}
	if row.expiresAt != nil {
		rec.ExpiresAt = *row.expiresAt
	}
	if err := rec.Validate(); err != nil {
		return secrets.LeaseClaim{}, err
	}
	if row.token == nil || *row.token == "" {
		return secrets.LeaseClaim{}, fmt.Errorf("%w: lease %s: no claim token", secrets.ErrBadLeaseRecord, rec.LeaseID)
	}
	return secrets.LeaseClaim{Record: rec, Claimer: claimer, Token: *row.token}, nil
}

// Complete implements [secrets.LeaseReclaimer]: it deletes the row if it
// still carries this claim's token.
func (r *Registry) Complete(ctx context.Context, c secrets.LeaseClaim) error {
	if c.Token == "" {
		return fmt.Errorf("%w: lease %s: empty claim token", secrets.ErrClaimLost, c.Record.LeaseID)
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	tag, err := r.pool.Exec(ctx, r.complete, c.Record.LeaseID, c.Token)
	switch {
	case err != nil:
		return r.unavailable("complete "+c.Record.LeaseID, err)
	case tag.RowsAffected() == 0:
		return fmt.Errorf("%w: lease %s", secrets.ErrClaimLost, c.Record.LeaseID)
	}
	return nil
}
