package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/postgres"
)

// sqlTracer records every statement the admin pool sends: what the server
// receives, logs (log_statement, or a failing statement whole at the
// default log_min_error_statement) and shows in pg_stat_activity, and what
// an operator's pgx tracelog would write.
type sqlTracer struct {
	mu  sync.Mutex
	sql []string
}

func (tr *sqlTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.sql = append(tr.sql, d.SQL)
	return ctx
}

func (*sqlTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (tr *sqlTracer) all() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.sql...)
}

// TestReview10PasswordNeverInStatements: CREATE ROLE carried the password
// in clear, so PostgreSQL wrote it to its log whenever a grant in the same
// query failed (the whole query string, at the default
// log_min_error_statement), and on every issuance under log_statement=ddl
// or a pgx tracer. Only the SCRAM verifier may reach the server, and the
// password must still log in.
func TestReview10PasswordNeverInStatements(t *testing.T) {
	s := startPostgres(t)
	cfg, err := pgxpool.ParseConfig(s.dsn("postgres", adminPassword))
	if err != nil {
		t.Fatal(err)
	}
	tr := &sqlTracer{}
	cfg.ConnConfig.Tracer = tr
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(t.Context(), "CREATE TABLE public.builds (id int)"); err != nil {
		t.Fatal(err)
	}
	be, err := postgres.New(pool, map[string]postgres.Role{
		"builds-ro": {Grants: []string{"GRANT SELECT ON public.builds TO {{role}}"}},
		// A grant that fails: the table was dropped since it was configured.
		"gone": {Grants: []string{"GRANT SELECT ON public.dropped_since TO {{role}}"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := secrets.New(secrets.AllowNames("builds-ro", "gone"), be)
	if err != nil {
		t.Fatal(err)
	}
	j, err := b.Begin(t.Context(), secrets.JobSpec{ID: "r10-scram", Identity: jobIdentity})
	if err != nil {
		t.Fatal(err)
	}
	defer j.End(context.Background())
	l, err := j.Lease(t.Context(), "builds-ro")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := l.Value()
	password := v.Reveal() // revocation wipes v
	c, err := loginAs(t.Context(), s, l.ID(), password)
	if err != nil {
		t.Fatalf("the leased password does not log in: %v", err)
	}
	c.Close(t.Context())
	if _, err := j.Lease(t.Context(), "gone"); !errors.Is(err, secrets.ErrBackend) {
		t.Fatalf("lease with a failing grant: got %v, want ErrBackend", err)
	}
	if err := j.End(t.Context()); err != nil {
		t.Fatal(err)
	}

	literal := regexp.MustCompile(`(?i)PASSWORD\s+'([^']*)'`)
	creates := 0
	for _, q := range tr.all() {
		if strings.Contains(q, password) {
			t.Errorf("a statement sent to the server holds the password:\n%s", q)
		}
		for _, m := range literal.FindAllStringSubmatch(q, -1) {
			creates++
			if !strings.HasPrefix(m[1], "SCRAM-SHA-256$4096:") {
				t.Errorf("CREATE ROLE sends a password that is not a SCRAM verifier: %.14q…", m[1])
			}
		}
	}
	if creates != 2 {
		t.Fatalf("saw %d CREATE ROLE … PASSWORD statements, want 2", creates)
	}
}

// TestReview10RevokeLocksOutWhenDropFails: a job's role may connect to any
// database PUBLIC may connect to, and ALTER DEFAULT PRIVILEGES there needs
// no privilege; the default ACL it leaves makes DROP ROLE fail, and DROP
// OWNED in the admin pool's database cannot remove it. Revocation ran
// NOLOGIN in the same transaction as the drop, so the failure rolled it
// back: the password kept working, and the sessions just terminated could
// log in again. The credentials must be dead even when the drop fails.
func TestReview10RevokeLocksOutWhenDropFails(t *testing.T) {
	s := startPostgres(t)
	pool := adminPool(t, s)
	if _, err := pool.Exec(t.Context(), "CREATE TABLE public.builds (id int)"); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(t.Context(), "CREATE DATABASE other"); err != nil {
		t.Fatal(err)
	}
	dsnOther := func(user, password string) string {
		return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/other?sslmode=disable&connect_timeout=5", user, password, s.port)
	}
	be, err := postgres.New(pool, roles())
	if err != nil {
		t.Fatal(err)
	}
	b, err := secrets.New(secrets.AllowNames("builds-ro"), be, secrets.WithRevokeRetry(2, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	j, err := b.Begin(t.Context(), secrets.JobSpec{ID: "r10-pin", Identity: jobIdentity})
	if err != nil {
		t.Fatal(err)
	}
	l, err := j.Lease(t.Context(), "builds-ro")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := l.Value()
	user, password := l.ID(), v.Reveal()

	// The job pins its role: a default ACL in another database.
	conn, err := pgx.Connect(t.Context(), dsnOther(user, password))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC"); err != nil {
		t.Fatal(err)
	}

	err = j.End(t.Context())
	if !errors.Is(err, secrets.ErrRevoke) {
		t.Fatalf("End: got %v, want a revocation failure (the role cannot be dropped)", err)
	}
	if strings.Contains(err.Error(), password) {
		t.Fatal("the revocation error holds the password")
	}
	if _, err := conn.Exec(t.Context(), "SELECT 1"); err == nil {
		t.Error("the job's session survived the revocation")
	}
	for _, dsn := range []string{s.dsn(user, password), dsnOther(user, password)} {
		c, err := pgx.Connect(t.Context(), dsn)
		if err == nil {
			c.Close(t.Context())
			t.Fatalf("after a failed drop the job's credentials still log in (%s)", dsn[strings.LastIndex(dsn, "/"):])
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "28000" { // invalid_authorization_specification: NOLOGIN
			t.Fatalf("login after revoke: got %v, want 28000 (role not permitted to log in)", err)
		}
	}

	// Once the operator removes what the role left behind, the next End
	// drops it.
	admin, err := pgx.Connect(t.Context(), dsnOther("postgres", adminPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(t.Context(), "DROP OWNED BY "+pgx.Identifier{user}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	if err := j.End(t.Context()); err != nil {
		t.Fatal(err)
	}
	if roleExists(t, pool, user) {
		t.Fatal("role survives the second End")
	}
}
