package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
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
// the password. Revoke disables login, terminates the role's sessions, drops
// what it owns and its privileges (DROP OWNED), and drops the role.
//
// The admin pool's user needs CREATEROLE (and to be able to grant what the
// roles grant). Passwords travel to the server inside CREATE ROLE on the
// admin connection: use TLS to a remote server and keep log_statement off.
type Backend struct {
	pool   *pgxpool.Pool
	roles  map[string]Role
	config // fixed at New
}

// config is what the options set.
type config struct {
	log *slog.Logger
	now func() time.Time
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

// WithClock sets the clock from which VALID UNTIL is computed (default
// time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("postgres: WithClock: nil clock")
		}
		c.now = now
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
	b := &Backend{pool: pool, roles: map[string]Role{}, config: config{log: slog.New(slog.DiscardHandler), now: time.Now, ttl: time.Hour}}
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

var roleName = regexp.MustCompile(`^ztci_[0-9a-f]{24}$`)

func quoteRole(id string) (string, error) {
	if !roleName.MatchString(id) {
		return "", fmt.Errorf("%w: %q", ErrBadRoleName, id)
	}
	return pgx.Identifier{id}.Sanitize(), nil
}

// Issue creates the role for req.
func (b *Backend) Issue(ctx context.Context, req secrets.Request) (secrets.Grant, error) {
	role, ok := b.roles[req.Name]
	if !ok {
		return secrets.Grant{}, fmt.Errorf("%w: %q", secrets.ErrNotFound, req.Name)
	}
	q, err := quoteRole(req.LeaseID)
	if err != nil {
		return secrets.Grant{}, err
	}
	ttl := b.ttl
	if req.TTL > 0 {
		ttl = min(ttl, req.TTL)
	}
	pw := password()
	until := b.now().Add(ttl).UTC().Format(time.RFC3339)
	// One simple-protocol query: PostgreSQL runs its statements as one
	// implicit transaction, so a failed grant leaves no role behind, in a
	// single round trip.
	stmts := []string{fmt.Sprintf("CREATE ROLE %s WITH LOGIN PASSWORD '%s' VALID UNTIL '%s' "+
		"NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT %d",
		q, pw, until, role.ConnLimit)}
	for _, g := range role.Grants {
		stmts = append(stmts, strings.ReplaceAll(g, RolePlaceholder, q))
	}
	if _, err := b.pool.Exec(ctx, strings.Join(stmts, ";\n")); err != nil {
		return secrets.Grant{}, fmt.Errorf("%w: postgres: create role %s: %w", secrets.ErrBackend, req.LeaseID, err)
	}
	b.log.DebugContext(ctx, "postgres: role created", "role", req.LeaseID, "valid_until", until)
	return secrets.Grant{LeaseID: req.LeaseID, Value: secrets.NewValue(pw), TTL: ttl, Renewable: true}, nil
}

// Renew moves the role's VALID UNTIL to now+ttl (capped by [WithMaxTTL]).
func (b *Backend) Renew(ctx context.Context, leaseID string, ttl time.Duration) (time.Duration, error) {
	q, err := quoteRole(leaseID)
	if err != nil {
		return 0, err
	}
	ttl = min(ttl, b.ttl)
	if ttl <= 0 {
		ttl = b.ttl
	}
	exists, err := b.exists(ctx, leaseID)
	if err != nil {
		return 0, err
	}
	if !exists {
		return 0, fmt.Errorf("%w: role %s", secrets.ErrNotFound, leaseID)
	}
	until := b.now().Add(ttl).UTC().Format(time.RFC3339)
	if _, err := b.pool.Exec(ctx, fmt.Sprintf("ALTER ROLE %s VALID UNTIL '%s'", q, until)); err != nil {
		return 0, fmt.Errorf("%w: postgres: renew %s: %w", secrets.ErrBackend, leaseID, err)
	}
	return ttl, nil
}

// Revoke ends the role: no more logins, its sessions terminated, its
// privileges and objects dropped, the role dropped. A role that does not
// exist is already revoked.
func (b *Backend) Revoke(ctx context.Context, leaseID string) error {
	q, err := quoteRole(leaseID)
	if err != nil {
		return err
	}
	exists, err := b.exists(ctx, leaseID)
	if err != nil || !exists {
		return err
	}
	// One implicit transaction: no new logins, sessions terminated (waiting
	// up to 5 s for each), privileges and objects dropped, role dropped. The
	// role name is a checked ztci_<hex> name, safe as a literal.
	revoke := "ALTER ROLE " + q + " NOLOGIN;\n" +
		"SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = '" + leaseID + "';\n" +
		"DROP OWNED BY " + q + ";\n" +
		"DROP ROLE " + q
	if _, err := b.pool.Exec(ctx, revoke); err != nil {
		return fmt.Errorf("%w: postgres: revoke %s: %w", secrets.ErrBackend, leaseID, err)
	}
	b.log.DebugContext(ctx, "postgres: role dropped", "role", leaseID)
	return nil
}

func (b *Backend) exists(ctx context.Context, role string) (bool, error) {
	var n int
	if err := b.pool.QueryRow(ctx, "SELECT count(*) FROM pg_roles WHERE rolname = $1", role).Scan(&n); err != nil {
		return false, fmt.Errorf("%w: postgres: %w", secrets.ErrBackend, err)
	}
	return n == 1, nil
}

// password returns 26 random base32 characters (130 bits).
func password() string { return rand.Text() }
