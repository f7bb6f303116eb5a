package postgres_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/internal/itest"
)

const adminPassword = "admin-password-for-tests"

// server is a private PostgreSQL started for the tests on 127.0.0.1, with
// password (SCRAM) authentication on TCP so that a dropped role or a wrong
// password really cannot log in.
type server struct {
	port int
}

func (s server) dsn(user, password string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", user, password, s.port)
}

// startPostgres runs initdb and postgres from $ZTCI_POSTGRES_BIN as the
// postgres OS user when the tests run as root (PostgreSQL refuses root).
func startPostgres(t testing.TB) server {
	t.Helper()
	bin := itest.Binary(t, "ZTCI_POSTGRES_BIN")
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
	if err := os.WriteFile(pwfile, []byte(adminPassword+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	out, err := asPG(exec.CommandContext(t.Context(), filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile="+pwfile, "-E", "UTF8", "--no-sync", "--no-instructions")).CombinedOutput()
	if err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port := itest.FreePort(t)
	p := itest.Start(t, asPG(exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-c", "listen_addresses=127.0.0.1", "-c", "port="+strconv.Itoa(port), "-c", "unix_socket_directories="+dir,
		"-c", "fsync=off", "-c", "max_connections=50")))
	s := server{port: port}
	p.WaitFor(t, 30*time.Second, func(ctx context.Context) bool {
		c, err := pgx.Connect(ctx, s.dsn("postgres", adminPassword))
		if err != nil {
			return false
		}
		c.Close(ctx)
		return true
	})
	return s
}

func adminPool(t testing.TB, s server) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), s.dsn("postgres", adminPassword))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
