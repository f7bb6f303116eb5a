package postgres_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/secrets/postgres"
)

// TestNewConfigErrors: every unusable argument or option fails New with
// ErrConfig. The pool is never used (pgxpool connects lazily), so no
// server is needed.
func TestNewConfigErrors(t *testing.T) {
	pool, err := pgxpool.New(t.Context(), "postgres://ztci@127.0.0.1:1/none")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	noPlaceholder := map[string]postgres.Role{"ro": {Grants: []string{"GRANT SELECT ON builds TO PUBLIC"}}}
	for name, newBackend := range map[string]func() (*postgres.Backend, error){
		"nil pool":       func() (*postgres.Backend, error) { return postgres.New(nil, roles()) },
		"no roles":       func() (*postgres.Backend, error) { return postgres.New(pool, nil) },
		"no placeholder": func() (*postgres.Backend, error) { return postgres.New(pool, noPlaceholder) },
		"nil option":     func() (*postgres.Backend, error) { return postgres.New(pool, roles(), nil) },
		"nil logger":     func() (*postgres.Backend, error) { return postgres.New(pool, roles(), postgres.WithLogger(nil)) },
		"zero ttl":       func() (*postgres.Backend, error) { return postgres.New(pool, roles(), postgres.WithMaxTTL(0)) },
		"negative ttl": func() (*postgres.Backend, error) {
			return postgres.New(pool, roles(), postgres.WithMaxTTL(-time.Second))
		},
	} {
		if b, err := newBackend(); !errors.Is(err, postgres.ErrConfig) || b != nil {
			t.Errorf("%s: New = %v, %v; want ErrConfig", name, b, err)
		}
	}
	if _, err := postgres.New(pool, roles()); err != nil {
		t.Fatalf("valid configuration: %v", err)
	}
}
