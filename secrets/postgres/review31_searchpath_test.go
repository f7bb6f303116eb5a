package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/postgres"
)

// createRoleAdmin makes a CREATEROLE-only (not superuser, no
// pg_signal_backend) admin user, as the docs describe, and a pool for it.
func createRoleAdmin(t *testing.T, s server, super *pgxpool.Pool, name string) *pgxpool.Pool {
	t.Helper()
	const pw = "ztci-admin-pw-r31"
	if _, err := super.Exec(t.Context(), "CREATE TABLE IF NOT EXISTS public.builds (id int);\n"+
		"CREATE ROLE "+name+" LOGIN CREATEROLE PASSWORD '"+pw+"';\n"+
		"GRANT SELECT ON public.builds TO "+name+" WITH GRANT OPTION"); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(context.Background(), s.dsn(name, pw))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// TestReview31JobCannotPlantFunctionsForTheAdmin: Revoke called
// pg_terminate_backend(pid, 5000) and Renew computed now() + N * interval
// unqualified. PostgreSQL resolves both through the admin session's
// search_path, and a function or operator whose argument types match
// exactly wins over pg_catalog's that needs a cast (pg_terminate_backend
// takes (integer, bigint); * takes (double precision, interval)). A job
// whose role may create objects in public (every role before PostgreSQL
// 15) defined public.pg_terminate_backend(integer, integer) and
// public.*(bigint, interval): Renew and Revoke ran the job's code as the
// admin, a CREATEROLE user, which made a login role for the job and set
// the credential's VALID UNTIL a thousand years out.
func TestReview31JobCannotPlantFunctionsForTheAdmin(t *testing.T) {
	s := startPostgres(t)
	super := adminPool(t, s)
	if _, err := super.Exec(t.Context(), "GRANT CREATE ON SCHEMA public TO PUBLIC"); err != nil { // as before PostgreSQL 15
		t.Fatal(err)
	}
	admin := createRoleAdmin(t, s, super, "ztciadmin31sp")
	be, err := postgres.New(admin, roles())
	if err != nil {
		t.Fatal(err)
	}
	const role = "ztci_0000000000000000031a5e00"
	g, err := be.Issue(t.Context(), secrets.Request{Name: "builds-ro", LeaseID: role, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := loginAs(t.Context(), s, role, g.Value.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, q := range []string{
		`CREATE FUNCTION public.pg_terminate_backend(integer, integer) RETURNS boolean LANGUAGE plpgsql AS
			$$BEGIN CREATE ROLE escaped_by_revoke LOGIN PASSWORD 'job-chosen'; RETURN true; END$$`,
		`CREATE FUNCTION public.mul(bigint, interval) RETURNS interval LANGUAGE plpgsql AS
			$$BEGIN CREATE ROLE escaped_by_renew LOGIN PASSWORD 'job-chosen'; RETURN interval '1000 years'; END$$`,
		`CREATE OPERATOR public.* (LEFTARG = bigint, RIGHTARG = interval, FUNCTION = public.mul)`,
	} {
		if _, err := conn.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	if _, err := be.Renew(t.Context(), role, time.Hour); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	var far bool
	if err := super.QueryRow(t.Context(), "SELECT rolvaliduntil > now() + interval '2 hours' FROM pg_roles WHERE rolname = $1", role).Scan(&far); err != nil {
		t.Fatal(err)
	}
	if far {
		t.Error("Renew ran the job's operator: VALID UNTIL is past the lease")
	}
	if err := be.Revoke(t.Context(), role); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	var escaped []string
	rows, err := super.Query(t.Context(), "SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'escaped%'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		escaped = append(escaped, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(escaped) > 0 {
		t.Errorf("the job's functions ran as the admin and created roles %v", escaped)
	}
	if roleExists(t, super, role) {
		t.Error("role survives revocation")
	}
}
