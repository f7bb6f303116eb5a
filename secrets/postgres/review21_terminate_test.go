package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/postgres"
)

// TestReview21RevokeEndsSessionsUnderCreateRoleAdmin: the documented
// admin is a user with CREATEROLE, not a superuser. Such a user holds no
// privileges of the roles it creates, so pg_terminate_backend refused to
// end the job's sessions ("permission denied to terminate process"), the
// revocation failed, and the job's open connection kept every grant: a
// revoked credential whose connection stayed open kept working. The
// session must be unable to run a query once the lease is revoked.
func TestReview21RevokeEndsSessionsUnderCreateRoleAdmin(t *testing.T) {
	s := startPostgres(t)
	super := adminPool(t, s)
	const adminPW = "ztci-admin-pw-r21"
	if _, err := super.Exec(t.Context(), "CREATE TABLE public.builds (id int); INSERT INTO public.builds VALUES (1);\n"+
		"CREATE ROLE ztciadmin LOGIN CREATEROLE PASSWORD '"+adminPW+"';\n"+
		"GRANT SELECT ON public.builds TO ztciadmin WITH GRANT OPTION"); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(context.Background(), s.dsn("ztciadmin", adminPW))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	be, err := postgres.New(pool, roles())
	if err != nil {
		t.Fatal(err)
	}
	b, err := secrets.New(secrets.AllowNames("builds-ro"), be)
	if err != nil {
		t.Fatal(err)
	}
	j, err := b.Begin(t.Context(), secrets.JobSpec{ID: "r21-term", Identity: jobIdentity})
	if err != nil {
		t.Fatal(err)
	}
	l, err := j.Lease(t.Context(), "builds-ro")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := login(t.Context(), s, l)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM public.builds").Scan(&n); err != nil {
		t.Fatal(err)
	}

	if err := l.Revoke(t.Context()); err != nil {
		t.Errorf("Revoke: %v", err)
	}
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM public.builds").Scan(&n); err == nil {
		t.Error("the revoked lease's open session still reads the granted table")
	}
	if roleExists(t, super, l.ID()) {
		t.Error("role survives revocation")
	}
}
