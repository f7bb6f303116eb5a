package postgres

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/secrets"
)

// RolePlaceholder is replaced by the quoted name of the job's role in a
// [Role]'s grant statements.
const RolePlaceholder = "{{role}}"

// Role describes what a job's credentials may do.
type Role struct {
	// Grants are SQL statements run, in the same transaction that creates
	// the role, with [RolePlaceholder] replaced by the role's quoted name,
	// e.g. "GRANT SELECT ON public.builds TO {{role}}". They come from the
	// operator's configuration, never from the job. Grant only what the job
	// needs: the role starts with no privileges at all.
	Grants []string
	// ConnLimit caps the role's concurrent connections (default 5).
	ConnLimit int
}

// Backend mints PostgreSQL credentials: for each lease a new login role with
// a random 26-character (130-bit) password, VALID UNTIL the lease's end, no
// attributes (NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION
// NOBYPASSRLS), a connection limit, and exactly the grants of its [Role].
//
// The lease id is the role name (the user to log in as); the lease value is
// the password. Revoke disables login (committed on its own, so that it
// holds even if the drop fails), terminates the role's sessions, drops
// what it owns and its privileges (DROP OWNED), and drops the role.
//
// The admin pool's user needs CREATEROLE (and to be able to grant what the
// roles grant). The password itself never reaches the server: CREATE ROLE
// carries only its SCRAM-SHA-256 verifier, computed here, so the statement
// text that PostgreSQL logs (log_statement, or the failing statement at the
// default log_min_error_statement), shows in pg_stat_activity and passes
// through a pgx tracer holds nothing that logs in (PostgreSQL 10 or later,
// which stores SCRAM verifiers given this way under any
// password_encryption).
type Backend struct {
	pool   *pgxpool.Pool
	roles  map[string]Role
	config // fixed at New

	mu sync.Mutex
	// survivors maps a lease whose role Revoke dropped, but whose
	// sessions it could not all end, to the role's oid.
	survivors map[string]uint32
}

// config is what the options set.
type config struct {
	log *slog.Logger
	ttl time.Duration
}

// ErrConfig: New was given an unusable argument or option.
var ErrConfig = errors.New("postgres: invalid configuration")

// Option configures a [Backend].
type Option func(*config) error

// WithLogger sets the logger (never passwords). The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("postgres: WithLogger: nil logger")
		}
		c.log = l
		return nil
	}
}

// WithMaxTTL caps the lifetime of a role (default 1 hour); the lease asks
// for its own TTL up to this cap.
func WithMaxTTL(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("postgres: WithMaxTTL: %v is not positive", d)
		}
		c.ttl = d
		return nil
	}
}

// New returns a backend that creates roles through the admin pool. roles
// maps secret names to what their credentials may do.
func New(pool *pgxpool.Pool, roles map[string]Role, opts ...Option) (*Backend, error) {
	if pool == nil {
		return nil, fmt.Errorf("%w: New: nil pool", ErrConfig)
	}
	if len(roles) == 0 {
		return nil, fmt.Errorf("%w: New: no roles", ErrConfig)
	}
	b := &Backend{pool: pool, roles: map[string]Role{}, survivors: map[string]uint32{}, config: config{log: slog.New(slog.DiscardHandler), ttl: time.Hour}}
	for name, r := range roles {
		for _, g := range r.Grants {
			if !strings.Contains(g, RolePlaceholder) {
				return nil, fmt.Errorf("%w: New: role %q: grant %q does not name %s", ErrConfig, name, g, RolePlaceholder)
			}
		}
		if r.ConnLimit <= 0 {
			r.ConnLimit = 5
		}
		b.roles[name] = r
	}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&b.config); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	return b, nil
}

// ErrBadRoleName: a lease id is not a role this backend creates. Revoke
// refuses it rather than drop a role it does not own.
var ErrBadRoleName = fmt.Errorf("%w: not a ztci role name", secrets.ErrBackend)

// ErrBadTTL: Issue or Renew was asked for a TTL that is not positive.
// Neither reads it as "the maximum": a caller that computed a zero or
// negative lifetime (a lease already past its end) gets no credential,
// rather than one valid for [WithMaxTTL].
var ErrBadTTL = fmt.Errorf("%w: TTL not positive", secrets.ErrBackend)

var roleName = regexp.MustCompile(`^ztci_[0-9a-f]{24}$`)

func quoteRole(id string) (string, error) {
	if !roleName.MatchString(id) {
		return "", fmt.Errorf("%w: %q", ErrBadRoleName, id)
	}
	return pgx.Identifier{id}.Sanitize(), nil
}

// aclLock serialises, across every Backend on the server, the statements
// that rewrite a shared catalog row: a GRANT (Issue) or DROP OWNED
// (Revoke) on one table updates that table's pg_class ACL, and two
// transactions doing it at once fail with "tuple concurrently updated"
// (SQLSTATE XX000, not a serialization failure a caller would retry), so
// concurrent jobs' leases failed at random. The key spells "ztciacl"; the
// lock is the transaction's and ends with it.
const aclLock = "SELECT pg_catalog.pg_advisory_xact_lock(8824736203470644224::pg_catalog.int8)"

// Issue creates the role for req, valid for req.TTL capped by
// [WithMaxTTL]; a TTL that is not positive is refused ([ErrBadTTL]).
func (b *Backend) Issue(ctx context.Context, req secrets.Request) (secrets.Grant, error) {
	role, ok := b.roles[req.Name]
	if !ok {
		return secrets.Grant{}, fmt.Errorf("%w: %q", secrets.ErrNotFound, req.Name)
	}
	q, err := quoteRole(req.LeaseID)
	if err != nil {
		return secrets.Grant{}, err
	}
	if req.TTL <= 0 {
		return secrets.Grant{}, fmt.Errorf("%w: issue %s: %v", ErrBadTTL, req.LeaseID, req.TTL)
	}
	ttl := min(b.ttl, req.TTL)
	pw := password()
	// The statement carries the password's SCRAM verifier, never the
	// password: PostgreSQL writes the whole query string to its log when
	// any statement in it fails (log_min_error_statement is ERROR by
	// default, so a grant naming a dropped table is enough), on every
	// CREATE ROLE under log_statement=ddl, and pgx tracers log it too.
	verifier, err := scramVerifier(pw)
	if err != nil {
		return secrets.Grant{}, fmt.Errorf("%w: postgres: %w", secrets.ErrBackend, err)
	}
	// One simple-protocol query: PostgreSQL runs its statements as one
	// implicit transaction, so a failed grant leaves no role behind, and
	// no role is seen without its VALID UNTIL, in a single round trip.
	stmts := []string{aclLock, fmt.Sprintf("CREATE ROLE %s WITH LOGIN PASSWORD '%s' "+
		"NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT %d",
		q, verifier, role.ConnLimit), validUntil(req.LeaseID, ttl)}
	for _, g := range role.Grants {
		stmts = append(stmts, strings.ReplaceAll(g, RolePlaceholder, q))
	}
	if _, err := b.pool.Exec(ctx, strings.Join(stmts, ";\n")); err != nil {
		return secrets.Grant{}, fmt.Errorf("%w: postgres: create role %s: %w", secrets.ErrBackend, req.LeaseID, err)
	}
	b.log.DebugContext(ctx, "postgres: role created", "role", req.LeaseID, "ttl", ttl)
	return secrets.Grant{LeaseID: req.LeaseID, Value: secrets.NewValue(pw), TTL: ttl, Renewable: true}, nil
}

// Renew moves the role's VALID UNTIL to ttl (capped by [WithMaxTTL]) past
// the database's clock. A ttl that is not positive is refused
// ([ErrBadTTL]) and leaves VALID UNTIL as it was: it once renewed the
// role for the whole maximum.
func (b *Backend) Renew(ctx context.Context, leaseID string, ttl time.Duration) (time.Duration, error) {
	if _, err := quoteRole(leaseID); err != nil {
		return 0, err
	}
	if ttl <= 0 {
		return 0, fmt.Errorf("%w: renew %s: %v", ErrBadTTL, leaseID, ttl)
	}
	ttl = min(ttl, b.ttl)
	exists, err := b.exists(ctx, leaseID)
	if err != nil {
		return 0, err
	}
	if !exists {
		return 0, fmt.Errorf("%w: role %s", secrets.ErrNotFound, leaseID)
	}
	if _, err := b.pool.Exec(ctx, validUntil(leaseID, ttl)); err != nil {
		return 0, fmt.Errorf("%w: postgres: renew %s: %w", secrets.ErrBackend, leaseID, err)
	}
	return ttl, nil
}

// ErrSessionsSurvive: Revoke could not end every session logged in as the
// role (one that did not exit within 5 s of pg_terminate_backend, or one
// the admin has no privilege to end). Before the role is dropped, Revoke
// fails with it and leaves the role in place (NOLOGIN), so that every
// retry sweeps again until the sessions are gone. After the drop (a
// session that passed the LOGIN check just before NOLOGIN committed and
// appeared only then, which the admin can end only with
// pg_signal_backend) the Backend remembers the role's oid, and a retried
// Revoke of that lease keeps failing with it until no session of that oid
// is left.
var ErrSessionsSurvive = fmt.Errorf("%w: sessions of a revoked role survive", secrets.ErrBackend)

// sessionsLeft is the SQLSTATE the sweep raises when a session of the role
// is left.
const sessionsLeft = "ZT001"

// sweep is a statement that terminates every session logged in as the role
// of oid, waiting up to 5 s for each to exit, and raises sessionsLeft when
// one is still there or the admin may not end it (an admin that does not
// inherit the membership Revoke grants it, and is no member of
// pg_signal_backend). pg_stat_activity is read afresh: within a
// transaction it is otherwise a snapshot taken at its first use, and the
// second sweep would not see a session that appeared after the first.
// pg_terminate_backend is called in the aggregate's FILTER, which sees
// only the rows WHERE kept: as a second condition of WHERE the planner
// may call it first, on every backend of the server.
// Every name is qualified: a role that may create objects in a schema on
// the admin's search_path (public before PostgreSQL 15) could otherwise
// define a pg_terminate_backend(integer, integer) that matches the call
// more closely than pg_catalog's (integer, bigint) and have the admin run
// it.
func sweep(oid uint32) string {
	return fmt.Sprintf("DO $ztci$DECLARE n pg_catalog.int8; BEGIN "+
		"PERFORM pg_catalog.pg_stat_clear_snapshot(); "+
		"BEGIN "+
		"SELECT pg_catalog.count(*) FILTER (WHERE NOT pg_catalog.pg_terminate_backend(a.pid, 5000::pg_catalog.int8)) INTO n "+
		"FROM pg_catalog.pg_stat_activity a WHERE a.usesysid OPERATOR(pg_catalog.=) %[1]d::pg_catalog.oid; "+
		"EXCEPTION WHEN insufficient_privilege THEN "+
		"RAISE EXCEPTION USING ERRCODE = '%[2]s', MESSAGE = pg_catalog.concat('cannot end the sessions of the revoked role: ', SQLERRM); "+
		"END; "+
		"IF n OPERATOR(pg_catalog.>) 0 THEN RAISE EXCEPTION USING ERRCODE = '%[2]s', MESSAGE = 'sessions of the revoked role are still open'; END IF; "+
		"END$ztci$", oid, sessionsLeft)
}

// Revoke ends the role: no more logins, its sessions terminated, its
// privileges and objects dropped, the role dropped. A role that does not
// exist is already revoked, unless this Backend dropped it and could not
// end its sessions ([ErrSessionsSurvive]).
func (b *Backend) Revoke(ctx context.Context, leaseID string) error {
	q, err := quoteRole(leaseID)
	if err != nil {
		return err
	}
	oid, err := b.roleOID(ctx, leaseID)
	if err != nil {
		return err
	}
	if oid == 0 {
		b.mu.Lock()
		dropped, ok := b.survivors[leaseID]
		b.mu.Unlock()
		if !ok {
			return nil
		}
		return b.sweepDropped(ctx, leaseID, dropped)
	}
	// One round trip, two transactions. NOLOGIN is committed on its own
	// first: the role can leave objects or default privileges in another
	// database it may connect to (ALTER DEFAULT PRIVILEGES needs no
	// privilege at all), which DROP OWNED here cannot remove, and then DROP
	// ROLE fails. In one transaction with the drop, that failure rolled
	// NOLOGIN back: the job's password kept working until VALID UNTIL, and
	// the sessions just terminated could log in again. Then, in the second
	// (implicit) transaction: the admin made a member of the role, sessions
	// terminated (waiting up to 5 s for each), privileges and objects
	// dropped, role dropped. The membership is what lets an admin with only
	// CREATEROLE end the sessions: pg_terminate_backend needs the
	// privileges of the session's role (or pg_signal_backend), which the
	// role's creator does not have, and without it the revocation failed
	// and the job's open connection kept every grant. DROP ROLE removes the
	// membership with the role. The sessions are swept twice, the second
	// time after DROP OWNED: a connection that passed the LOGIN check just
	// before NOLOGIN committed shows in pg_stat_activity only once its
	// startup ends, possibly after the first sweep (see sweepDropped for
	// what is left). A sweep that leaves a session raises, so the role is
	// not dropped while a session of it is open: once the role is gone
	// only pg_signal_backend could end that session, and a retried Revoke
	// would find nothing to revoke. The role name is a checked ztci_<hex>
	// name, safe as a literal.
	revoke := "BEGIN; ALTER ROLE " + q + " NOLOGIN; COMMIT;\n" +
		"GRANT " + q + " TO CURRENT_USER;\n" +
		sweep(oid) + ";\n" +
		aclLock + ";\n" +
		"DROP OWNED BY " + q + ";\n" +
		sweep(oid) + ";\n" +
		"DROP ROLE " + q
	if _, err := b.pool.Exec(ctx, revoke); err != nil {
		var pe *pgconn.PgError
		switch {
		case errors.As(err, &pe) && pe.Code == "2BP01": // dependent_objects_still_exist
			return fmt.Errorf("%w: postgres: revoke %s: the role can no longer log in and its sessions were ended, "+
				"but it cannot be dropped: it owns objects or default privileges in another database (%s); "+
				"run DROP OWNED BY %s there: %w", secrets.ErrBackend, leaseID, pe.Detail, leaseID, err)
		case errors.As(err, &pe) && pe.Code == sessionsLeft:
			return fmt.Errorf("%w: postgres: revoke %s: the role can no longer log in, but a session of it did not end; "+
				"the role is kept until a Revoke ends them all: %w", ErrSessionsSurvive, leaseID, err)
		}
		return fmt.Errorf("%w: postgres: revoke %s: %w", secrets.ErrBackend, leaseID, err)
	}
	b.log.DebugContext(ctx, "postgres: role dropped", "role", leaseID)
	return b.sweepDropped(ctx, leaseID, oid)
}

// sweepDropped ends, once the role is dropped, the sessions still logged
// in as it: connections that passed the LOGIN check before NOLOGIN
// committed and showed in pg_stat_activity only after Revoke's second
// sweep. They are found by the role's oid (pg_stat_activity no longer
// names a dropped role). Ending them now needs pg_signal_backend or
// superuser: the admin's membership went with the role. A session this
// cannot end is an error ([ErrSessionsSurvive]), not a silent survivor,
// and the Backend keeps the oid so that Revoke of that lease keeps
// failing until no session of it is left. What remains is a connection
// still starting up at this sweep, which no query can see.
func (b *Backend) sweepDropped(ctx context.Context, leaseID string, oid uint32) error {
	var found, ended int
	// A role created since with the same oid (oids are reused) owns the
	// sessions of that oid: they are not this lease's to end.
	err := b.pool.QueryRow(ctx, "SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE pg_catalog.pg_terminate_backend(pid, 5000::pg_catalog.int8)) "+
		"FROM pg_catalog.pg_stat_activity WHERE usesysid OPERATOR(pg_catalog.=) $1::pg_catalog.oid "+
		"AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid)", oid).Scan(&found, &ended)
	if err == nil && found == ended {
		b.mu.Lock()
		delete(b.survivors, leaseID)
		b.mu.Unlock()
		if found > 0 {
			b.log.WarnContext(ctx, "postgres: ended sessions that logged in while the role was being revoked", "role", leaseID, "sessions", found)
		}
		return nil
	}
	b.mu.Lock()
	b.survivors[leaseID] = oid
	b.mu.Unlock()
	const survived = "%w: postgres: revoke %s: the role is dropped, but sessions that logged in as it while it was being revoked may still be open (ending them needs pg_signal_backend)"
	if err != nil {
		return fmt.Errorf(survived+": %w", ErrSessionsSurvive, leaseID, err)
	}
	return fmt.Errorf(survived+": %d not ended", ErrSessionsSurvive, leaseID, found-ended)
}

// validUntil is a statement setting role's VALID UNTIL to ttl (rounded
// down to the microsecond) past the database's clock: now(), the start of
// the transaction, so never later than ttl after the server had the
// request. The runner's clock must not decide how long a credential works
// at the server: a runner clock ahead of the database's (skewed, or set
// by whoever controls the host) would let the role log in past the
// lease, past the job, after a failed revocation. VALID UNTIL takes only
// a literal, hence EXECUTE; role is a checked ztci_<hex> name, safe as a
// literal. Functions and operators are qualified (see sweep): Renew runs
// while the job's role exists, and an operator * (bigint, interval) it
// defined in public would otherwise run as the admin.
func validUntil(role string, ttl time.Duration) string {
	return fmt.Sprintf("DO $ztci$BEGIN EXECUTE pg_catalog.format('ALTER ROLE %%I VALID UNTIL %%L', '%s'::pg_catalog.text, "+
		"pg_catalog.now() OPERATOR(pg_catalog.+) (%d::pg_catalog.float8 OPERATOR(pg_catalog.*) interval '1 microsecond')); END$ztci$",
		role, ttl.Microseconds())
}

func (b *Backend) exists(ctx context.Context, role string) (bool, error) {
	oid, err := b.roleOID(ctx, role)
	return oid != 0, err
}

// roleOID is role's oid, 0 when there is no such role.
func (b *Backend) roleOID(ctx context.Context, role string) (uint32, error) {
	var oid uint32
	err := b.pool.QueryRow(ctx, "SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) $1::pg_catalog.name", role).Scan(&oid)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("%w: postgres: %w", secrets.ErrBackend, err)
	}
	return oid, nil
}

// password returns 26 random base32 characters (130 bits).
func password() string { return rand.Text() }

// scramIterations is PostgreSQL's default (scram_iterations) iteration
// count.
const scramIterations = 4096

// scramVerifier returns the SCRAM-SHA-256 verifier PostgreSQL stores for
// pw (RFC 5802, RFC 7677), in the form CREATE ROLE … PASSWORD accepts as
// already encrypted: SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>.
// The verifier does not log in: a client must prove it knows ClientKey,
// which the verifier only holds hashed. pw is ASCII (base32), so SASLprep
// leaves it as it is.
func scramVerifier(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	salted, err := pbkdf2.Key(sha256.New, pw, salt, scramIterations, sha256.Size)
	if err != nil {
		return "", err
	}
	defer clear(salted)
	mac := func(msg string) []byte {
		h := hmac.New(sha256.New, salted)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	clientKey := mac("Client Key")
	defer clear(clientKey)
	storedKey := sha256.Sum256(clientKey)
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", scramIterations, b64(salt), b64(storedKey[:]), b64(mac("Server Key"))), nil
}
