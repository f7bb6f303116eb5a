package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/internal/itest"
)

const adminPassword = itest.PostgresPassword

// server is a private PostgreSQL started for the tests on 127.0.0.1, with
// password (SCRAM) authentication on TCP so that a dropped role or a wrong
// password really cannot log in.
type server struct {
	port int
}

func (s server) dsn(user, password string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", user, password, s.port)
}

// startPostgres starts the server with itest.StartPostgres, which waits
// until it accepts logins.
func startPostgres(t testing.TB) server {
	t.Helper()
	return server{port: itest.StartPostgres(t, 50).Port}
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
