package pgreplay_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/oidc/pgreplay"
)

// Every gate replica opens its own pool on the shared database and hands the
// cache to its verifier. This example needs a running PostgreSQL, so it has
// no Output and is compiled, not run; the package tests run the same wiring
// against a real server.
func Example() {
	ctx := context.Background()
	// sslmode=verify-full: pgx's default ("prefer") falls back to plain
	// text and checks no certificate, so whoever sits on the path could
	// answer every claim "first use" and replay tokens. The password comes
	// from PGPASSWORD or ~/.pgpass, never the source.
	pool, err := pgxpool.New(ctx, "postgres://gate@db.example.com/ztci?sslmode=verify-full&sslrootcert=/etc/ztci/db-ca.pem")
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	rc, err := pgreplay.New(ctx, pool)
	if err != nil {
		panic(err) // do not start without single-use
	}
	defer rc.Close()
	v, err := oidc.NewVerifier("https://ci.example.com", "deploy", oidc.WithSingleUse(rc))
	if err != nil {
		panic(err)
	}
	_, err = v.Verify(ctx, "eyJ...")
	fmt.Println("deny:", err != nil) // any error: deny
}

// A table name is a strict identifier: anything else is refused before a
// connection is made.
func ExampleWithTable() {
	pool, _ := pgxpool.New(context.Background(), "postgres://gate@127.0.0.1:1/ztci") // connects lazily
	defer pool.Close()
	_, err := pgreplay.New(context.Background(), pool, pgreplay.WithTable(`replay"; DROP TABLE jobs; --`))
	fmt.Println(errors.Is(err, pgreplay.ErrConfig))
	// Output:
	// true
}
