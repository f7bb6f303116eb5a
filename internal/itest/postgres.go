package itest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PostgresPassword is the password of the postgres superuser of a server
// started by [StartPostgres].
const PostgresPassword = "admin-password-for-tests"

// Postgres is a private PostgreSQL server started by [StartPostgres].
type Postgres struct {
	Port int
	p    *Process
}

// Kill sends SIGKILL to the postmaster and waits for it to exit; its
// backends notice and exit on their own, so connections fail from then on.
func (s *Postgres) Kill() { s.p.Kill() }

// DSN returns a connection string for user on the server's postgres
// database, without TLS (loopback only).
func (s *Postgres) DSN(user, password string) string {
	return fmt.Sprintf("postgres://%s:%s@%s/postgres?sslmode=disable&connect_timeout=5", user, password, Addr(s.Port))
}

// AdminDSN is DSN for the postgres superuser.
func (s *Postgres) AdminDSN() string { return s.DSN("postgres", PostgresPassword) }

// StartPostgres runs initdb and postgres from $ZTCI_POSTGRES_BIN (skipping t
// when it is unset, see [Binary]) on a free port of 127.0.0.1, with SCRAM
// password authentication on TCP and at most maxConns connections. When the
// tests run as root it runs them as the postgres OS user, since PostgreSQL
// refuses root. It returns once the server accepts TCP connections and the
// process is killed when the test ends.
func StartPostgres(t testing.TB, maxConns int) *Postgres {
	t.Helper()
	bin := Binary(t, "ZTCI_POSTGRES_BIN")
	dir, err := os.MkdirTemp("", "ztci-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root and no postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	asPG := func(cmd *exec.Cmd) *exec.Cmd {
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		return cmd
	}
	pwfile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwfile, []byte(PostgresPassword+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	out, err := asPG(exec.CommandContext(context.Background(), filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile="+pwfile, "-E", "UTF8", "--no-sync", "--no-instructions")).CombinedOutput()
	if err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s := &Postgres{Port: FreePort(t)}
	s.p = Start(t, asPG(exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-c", "listen_addresses=127.0.0.1", "-c", "port="+strconv.Itoa(s.Port), "-c", "unix_socket_directories="+dir,
		"-c", "fsync=off", "-c", "max_connections="+strconv.Itoa(maxConns))))
	// Accepting TCP is not enough: the server refuses logins while it starts
	// ("the database system is starting up"), so wait for the log line too.
	s.p.WaitFor(t, 30*time.Second, func(ctx context.Context) bool {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", Addr(s.Port))
		if err != nil {
			return false
		}
		c.Close()
		return containsReady(s.p.Output())
	})
	return s
}

func containsReady(log string) bool {
	return strings.Contains(log, "database system is ready to accept connections")
}
