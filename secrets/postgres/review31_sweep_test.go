package postgres_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/postgres"
)

// TestReview31FailedSweepSticks: with a CREATEROLE-only admin, a session
// of the job's role that did not exit within pg_terminate_backend's 5 s
// was left by both sweeps, the role was dropped anyway, and the sweep by
// oid after the drop failed for lack of pg_signal_backend. Revoke
// reported that once; the retried Revoke (the reaper's, the broker's)
// found no role and reported success, and the session stayed open with
// what PUBLIC may do, never to be swept again. Now a sweep that leaves a
// session fails Revoke with ErrSessionsSurvive before the role is
// dropped, every retry fails the same way while the session lasts, and
// the role is dropped once it is gone.
//
// The session that does not exit reads a FIFO no one writes to
// (pg_read_file, as pg_read_server_files): PostgreSQL restarts the blocked
// open after SIGTERM, so the backend stays until the test writes.
func TestReview31FailedSweepSticks(t *testing.T) {
	s := startPostgres(t)
	super := adminPool(t, s)
	admin := createRoleAdmin(t, s, super, "ztciadmin31")
	be, err := postgres.New(admin, roles())
	if err != nil {
		t.Fatal(err)
	}
	const role = "ztci_00000000000000000031f1f0"
	g, err := be.Issue(t.Context(), secrets.Request{Name: "builds-ro", LeaseID: role, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := super.Exec(t.Context(), "GRANT pg_read_server_files TO "+role+"; GRANT EXECUTE ON FUNCTION pg_read_file(text) TO pg_read_server_files"); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "ztci-r31-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(fifo, 0o666); err != nil {
		t.Fatal(err)
	}
	release := func() {
		// Opening for writing blocks until the reader is there; non-blocking
		// fails at once when it is not.
		f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			f.Close()
		}
	}
	t.Cleanup(release)

	conn, err := loginAs(t.Context(), s, role, g.Value.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), "SET ROLE pg_read_server_files"); err != nil {
		t.Fatal(err)
	}
	blocked := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), "SELECT pg_read_file($1)", fifo)
		blocked <- err
	}()
	waitActive(t, super, role, blocked)

	for attempt := range 2 {
		err := be.Revoke(t.Context(), role)
		if !errors.Is(err, postgres.ErrSessionsSurvive) || !errors.Is(err, secrets.ErrBackend) {
			t.Fatalf("Revoke %d with a session that does not end: %v, want ErrSessionsSurvive", attempt, err)
		}
		if !roleExists(t, super, role) {
			t.Fatalf("Revoke %d dropped the role while its session is open", attempt)
		}
		if c, err := loginAs(t.Context(), s, role, g.Value.Reveal()); err == nil {
			c.Close(context.Background())
			t.Fatalf("the role logs in after Revoke %d", attempt)
		}
	}
	release()
	if err := <-blocked; err == nil {
		t.Fatal("the revoked role's session finished its query")
	}
	if err := be.Revoke(t.Context(), role); err != nil {
		t.Fatalf("Revoke once the session is gone: %v", err)
	}
	if roleExists(t, super, role) {
		t.Fatal("role survives revocation")
	}
}

// waitActive waits until a session of role is running a statement.
func waitActive(t *testing.T, super *pgxpool.Pool, role string, done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		var n int
		if err := super.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND state = 'active'", role).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("the role's statement ended: %v", err)
		case <-ctx.Done():
			t.Fatal("the role's session never started its statement")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestReview31SweepWithoutPrivilegeSticks: an admin that does not inherit
// the membership Revoke grants it (NOINHERIT) and is no member of
// pg_signal_backend cannot end the job's sessions. Revoke says so with
// ErrSessionsSurvive, keeps the role (NOLOGIN) so that the next Revoke
// sweeps again, and drops it once the session is gone and the admin is
// fixed.
func TestReview31SweepWithoutPrivilegeSticks(t *testing.T) {
	s := startPostgres(t)
	super := adminPool(t, s)
	admin := createRoleAdmin(t, s, super, "ztciadmin31ni")
	if _, err := super.Exec(t.Context(), "ALTER ROLE ztciadmin31ni NOINHERIT"); err != nil {
		t.Fatal(err)
	}
	be, err := postgres.New(admin, roles())
	if err != nil {
		t.Fatal(err)
	}
	const role = "ztci_00000000000000000031a1b0"
	g, err := be.Issue(t.Context(), secrets.Request{Name: "builds-ro", LeaseID: role, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := loginAs(t.Context(), s, role, g.Value.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	for attempt := range 2 {
		if err := be.Revoke(t.Context(), role); !errors.Is(err, postgres.ErrSessionsSurvive) {
			t.Fatalf("Revoke %d by an admin that cannot end the session: %v, want ErrSessionsSurvive", attempt, err)
		}
		if !roleExists(t, super, role) {
			t.Fatalf("Revoke %d dropped the role while its session is open", attempt)
		}
	}
	if err := conn.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitNoSession(t, super, role)
	// DROP OWNED also needs the role's privileges: without INHERIT the
	// admin never finishes a revocation, whatever it may signal.
	if err := be.Revoke(t.Context(), role); err == nil || errors.Is(err, postgres.ErrSessionsSurvive) {
		t.Fatalf("Revoke by a NOINHERIT admin with no session left: %v, want the DROP OWNED failure", err)
	}
	if _, err := super.Exec(t.Context(), "ALTER ROLE ztciadmin31ni INHERIT"); err != nil {
		t.Fatal(err)
	}
	if err := be.Revoke(t.Context(), role); err != nil {
		t.Fatalf("Revoke once the session is gone: %v", err)
	}
	if roleExists(t, super, role) {
		t.Fatal("role survives revocation")
	}
}

// waitNoSession waits until no session of role is left.
func waitNoSession(t *testing.T, super *pgxpool.Pool, role string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		var n int
		if err := super.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE usename = $1", role).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the role's session never ended")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
