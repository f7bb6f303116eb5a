package postgres_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/postgres"
	"github.com/ztci/ztci/secrets/secretstest"
)

var jobIdentity = identity.Identity{Issuer: "https://ci.example.com", Subject: "repo:octo/app:ref:refs/heads/main"}

func roles() map[string]postgres.Role {
	return map[string]postgres.Role{
		"builds-ro": {Grants: []string{"GRANT SELECT ON public.builds TO {{role}}"}},
	}
}

func newBroker(t testing.TB, pool *pgxpool.Pool, journal string, opts ...postgres.Option) *secrets.Broker {
	t.Helper()
	be, err := postgres.New(pool, roles(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	var bopts []secrets.Option
	if journal != "" {
		bopts = append(bopts, secrets.WithJournal(journal))
	}
	b, err := secrets.New(secrets.AllowNames("builds-ro"), be, bopts...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func login(ctx context.Context, s server, l *secrets.Lease) (*pgx.Conn, error) {
	v, err := l.Value()
	if err != nil {
		return nil, err
	}
	return loginAs(ctx, s, l.ID(), v.Reveal())
}

func loginAs(ctx context.Context, s server, user, password string) (*pgx.Conn, error) {
	return pgx.Connect(ctx, s.dsn(user, password))
}

// wantLoginRefused checks that the server refuses the credentials.
func wantLoginRefused(t *testing.T, s server, user, password string) {
	t.Helper()
	c, err := loginAs(t.Context(), s, user, password)
	if err == nil {
		c.Close(t.Context())
		t.Fatalf("login as %s still works", user)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28P01" {
		t.Fatalf("login as %s: got %v, want invalid_password (28P01)", user, err)
	}
}

func roleExists(t *testing.T, pool *pgxpool.Pool, role string) bool {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), "SELECT count(*) FROM pg_roles WHERE rolname = $1", role).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// waitGone polls until the role is dropped by a revocation running in the
// background (the job's context ended).
func waitGone(t *testing.T, pool *pgxpool.Pool, role string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !roleExists(t, pool, role) {
			return
		}
	}
	t.Fatalf("role %s not dropped", role)
}

func TestPostgres(t *testing.T) {
	s := startPostgres(t)
	pool := adminPool(t, s)
	if _, err := pool.Exec(t.Context(), "CREATE TABLE public.builds (id int); INSERT INTO public.builds VALUES (1), (2)"); err != nil {
		t.Fatal(err)
	}

	t.Run("least privilege, and revoke really locks out", func(t *testing.T) {
		t.Parallel()
		b := newBroker(t, pool, "")
		j, err := b.Begin(t.Context(), secrets.JobSpec{ID: "pg-priv", Identity: jobIdentity})
		if err != nil {
			t.Fatal(err)
		}
		l, err := j.Lease(t.Context(), "builds-ro")
		if err != nil {
			t.Fatal(err)
		}
		v, _ := l.Value()
		password := v.Reveal()
		conn, err := login(t.Context(), s, l)
		if err != nil {
			t.Fatalf("login with the leased credentials: %v", err)
		}
		defer conn.Close(context.Background())
		var n int
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM public.builds").Scan(&n); err != nil || n != 2 {
			t.Fatalf("granted SELECT: %d, %v", n, err)
		}
		for _, stmt := range []string{"INSERT INTO public.builds VALUES (3)", "CREATE TABLE public.evil (x int)", "CREATE ROLE evil"} {
			_, err := conn.Exec(t.Context(), stmt)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "42501" {
				t.Errorf("%s: got %v, want insufficient_privilege (42501)", stmt, err)
			}
		}
		var super, createRole bool
		var until time.Time
		if err := pool.QueryRow(t.Context(), "SELECT rolsuper, rolcreaterole, rolvaliduntil FROM pg_roles WHERE rolname = $1", l.ID()).Scan(&super, &createRole, &until); err != nil {
			t.Fatal(err)
		}
		if super || createRole || until.IsZero() || until.After(time.Now().Add(16*time.Minute)) {
			t.Errorf("role attributes: super=%v createrole=%v valid until %v", super, createRole, until)
		}

		if err := j.End(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(t.Context(), "SELECT 1"); err == nil {
			t.Error("the session opened before revocation still works")
		}
		if roleExists(t, pool, l.ID()) {
			t.Error("role still exists after revoke")
		}
		wantLoginRefused(t, s, l.ID(), password)
	})

	t.Run("expired role cannot log in", func(t *testing.T) {
		t.Parallel()
		// Asked of the backend directly: the broker would refuse to hand
		// out the value of a lease this short once it has expired.
		be, err := postgres.New(pool, roles())
		if err != nil {
			t.Fatal(err)
		}
		const role = "ztci_0000000000000000000e1a5e"
		g, err := be.Issue(t.Context(), secrets.Request{Name: "builds-ro", LeaseID: role, TTL: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = be.Revoke(context.Background(), role) })
		time.Sleep(10 * time.Millisecond)
		wantLoginRefused(t, s, role, g.Value.Reveal())
	})

	t.Run("renew moves VALID UNTIL", func(t *testing.T) {
		t.Parallel()
		b := newBroker(t, pool, "")
		err := b.Run(t.Context(), secrets.JobSpec{ID: "pg-renew", Identity: jobIdentity}, func(ctx context.Context, j *secrets.Job) error {
			l, err := j.Lease(ctx, "builds-ro")
			if err != nil {
				return err
			}
			exp, err := l.Renew(ctx, 50*time.Minute)
			if err != nil {
				return err
			}
			var until time.Time
			if err := pool.QueryRow(ctx, "SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1", l.ID()).Scan(&until); err != nil {
				return err
			}
			if d := until.Sub(exp); d < -2*time.Second || d > 2*time.Second {
				t.Errorf("VALID UNTIL %v, lease expiry %v", until, exp)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	errJob := errors.New("job failed")
	endings := []struct {
		name string
		end  func(t *testing.T, b *secrets.Broker, got func(*secrets.Lease)) error
		want error
	}{
		{name: "success", end: func(t *testing.T, b *secrets.Broker, got func(*secrets.Lease)) error {
			return b.Run(t.Context(), secrets.JobSpec{ID: "pg-success", Identity: jobIdentity}, func(ctx context.Context, j *secrets.Job) error {
				l, err := j.Lease(ctx, "builds-ro")
				got(l)
				return err
			})
		}},
		{name: "failure", want: errJob, end: func(t *testing.T, b *secrets.Broker, got func(*secrets.Lease)) error {
			return b.Run(t.Context(), secrets.JobSpec{ID: "pg-failure", Identity: jobIdentity}, func(ctx context.Context, j *secrets.Job) error {
				l, err := j.Lease(ctx, "builds-ro")
				got(l)
				return errors.Join(err, errJob)
			})
		}},
		{name: "cancellation", end: func(t *testing.T, b *secrets.Broker, got func(*secrets.Lease)) error {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			j, err := b.Begin(ctx, secrets.JobSpec{ID: "pg-cancel", Identity: jobIdentity})
			if err != nil {
				return err
			}
			l, err := j.Lease(ctx, "builds-ro")
			got(l)
			cancel() // nobody calls End: the context's end revokes
			return err
		}},
		{name: "timeout", end: func(t *testing.T, b *secrets.Broker, got func(*secrets.Lease)) error {
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
			defer cancel()
			j, err := b.Begin(ctx, secrets.JobSpec{ID: "pg-timeout", Identity: jobIdentity})
			if err != nil {
				return err
			}
			l, err := j.Lease(ctx, "builds-ro")
			got(l)
			<-ctx.Done() // the job overruns its deadline
			return err
		}},
	}
	for _, tt := range endings {
		t.Run("ending/"+tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			b := newBroker(t, pool, dir)
			var l *secrets.Lease
			var password string
			err := tt.end(t, b, func(got *secrets.Lease) {
				if got == nil {
					t.Error("no lease")
					return
				}
				l = got
				v, _ := got.Value()
				password = v.Reveal()
				c, err := login(t.Context(), s, got)
				if err != nil {
					t.Errorf("login during the job: %v", err)
					return
				}
				c.Close(t.Context())
			})
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			waitGone(t, pool, l.ID())
			wantLoginRefused(t, s, l.ID(), password)
			// The record is removed right after the drop.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				files, _ := filepath.Glob(filepath.Join(dir, "*.leases"))
				if len(files) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("lease record left behind: %v", files)
				}
			}
		})
	}

	t.Run("ending/crash and restart", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
		cmd.Env = append(os.Environ(), "ZTCI_PG_CHILD_DSN="+s.dsn("postgres", adminPassword), "ZTCI_PG_CHILD_JOURNAL="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var user, password string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "LEASE" {
				user, password = f[1], f[2]
				break
			}
		}
		if user == "" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("child printed no lease")
		}
		c, err := loginAs(t.Context(), s, user, password)
		if err != nil {
			t.Fatalf("login with the crashed job's lease before recovery: %v", err)
		}
		c.Close(t.Context())
		// Crash: SIGKILL, no deferred cleanup, no context cancellation.
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if !roleExists(t, pool, user) {
			t.Fatal("role vanished without recovery; the test proves nothing")
		}

		restarted := newBroker(t, pool, dir)
		n, err := restarted.Recover(t.Context())
		if err != nil || n != 1 {
			t.Fatalf("Recover = %d, %v; want 1, nil", n, err)
		}
		if roleExists(t, pool, user) {
			t.Fatal("role survives recovery")
		}
		wantLoginRefused(t, s, user, password)
	})

	t.Run("backend down fails closed", func(t *testing.T) {
		t.Parallel()
		down, err := pgxpool.New(t.Context(), server{port: 1}.dsn("postgres", "x"))
		if err != nil {
			t.Fatal(err)
		}
		defer down.Close()
		b := newBroker(t, down, "")
		j, _ := b.Begin(t.Context(), secrets.JobSpec{ID: "pg-down", Identity: jobIdentity})
		if _, err := j.Lease(t.Context(), "builds-ro"); !errors.Is(err, secrets.ErrBackend) {
			t.Fatalf("got %v, want ErrBackend", err)
		}
	})

	t.Run("conformance", func(t *testing.T) {
		t.Parallel()
		be, err := postgres.New(pool, roles())
		if err != nil {
			t.Fatal(err)
		}
		secretstest.TestBackend(t, be, secrets.Request{Name: "builds-ro", TTL: time.Minute})
	})

	t.Run("revoke refuses roles it does not own", func(t *testing.T) {
		t.Parallel()
		be, _ := postgres.New(pool, roles())
		for _, name := range []string{"postgres", "ztci_x", `ztci_0123456789abcdef01234567"; DROP ROLE postgres; --`} {
			if err := be.Revoke(t.Context(), name); !errors.Is(err, postgres.ErrBadRoleName) {
				t.Errorf("Revoke(%q): got %v, want ErrBadRoleName", name, err)
			}
		}
		if !roleExists(t, pool, "postgres") {
			t.Fatal("postgres role gone")
		}
	})
}

// TestCrashChild is run in a child process by the crash test: it takes a
// lease, prints the credentials, and waits to be killed.
func TestCrashChild(t *testing.T) {
	dsn := os.Getenv("ZTCI_PG_CHILD_DSN")
	if dsn == "" {
		t.Skip("run by TestPostgres/ending/crash_and_restart")
	}
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	b := newBroker(t, pool, os.Getenv("ZTCI_PG_CHILD_JOURNAL"))
	j, err := b.Begin(context.Background(), secrets.JobSpec{ID: "pg-crash", Identity: jobIdentity})
	if err != nil {
		t.Fatal(err)
	}
	l, err := j.Lease(context.Background(), "builds-ro")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := l.Value()
	fmt.Printf("LEASE %s %s\n", l.ID(), v.Reveal())
	select {}
}

func BenchmarkLeaseIssueRevoke(b *testing.B) {
	s := startPostgres(b)
	pool := adminPool(b, s)
	if _, err := pool.Exec(b.Context(), "CREATE TABLE public.builds (id int)"); err != nil {
		b.Fatal(err)
	}
	b.Run("raw CREATE+DROP ROLE", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			name := fmt.Sprintf("raw_%d", i)
			if _, err := pool.Exec(b.Context(), "CREATE ROLE "+name+" LOGIN PASSWORD 'x'; GRANT SELECT ON public.builds TO "+name); err != nil {
				b.Fatal(err)
			}
			if _, err := pool.Exec(b.Context(), "DROP OWNED BY "+name+"; DROP ROLE "+name); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, journal := range []bool{false, true} {
		b.Run(fmt.Sprintf("broker journal=%v", journal), func(b *testing.B) {
			dir := ""
			if journal {
				dir = b.TempDir()
			}
			br := newBroker(b, pool, dir)
			j, err := br.Begin(b.Context(), secrets.JobSpec{ID: "bench", Identity: jobIdentity})
			if err != nil {
				b.Fatal(err)
			}
			defer j.End(context.Background())
			b.ReportAllocs()
			for b.Loop() {
				l, err := j.Lease(b.Context(), "builds-ro")
				if err != nil {
					b.Fatal(err)
				}
				if err := l.Revoke(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
