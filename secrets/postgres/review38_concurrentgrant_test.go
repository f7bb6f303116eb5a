package postgres_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/postgres"
)

// TestReview38ConcurrentGrants: every lease of one role grants on the
// same table, and a GRANT (or DROP OWNED) rewrites that table's pg_class
// ACL row: two transactions doing it at once failed with "tuple
// concurrently updated" (SQLSTATE XX000), so concurrent jobs' leases
// failed at random (seen in a clean-clone CI run). Issue and Revoke now
// take one advisory lock around those statements.
func TestReview38ConcurrentGrants(t *testing.T) {
	s := startPostgres(t)
	pool := adminPool(t, s)
	if _, err := pool.Exec(t.Context(), "CREATE TABLE public.builds (id int)"); err != nil {
		t.Fatal(err)
	}
	be, err := postgres.New(pool, roles())
	if err != nil {
		t.Fatal(err)
	}
	const n = 24
	leases := make([]string, n)
	for i := range leases {
		leases[i] = fmt.Sprintf("ztci_%024x", 0x38c0+i)
	}
	run := func(op string, f func(string) error) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i, id := range leases {
			wg.Go(func() { errs[i] = f(id) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("%s %s: %v", op, leases[i], err)
			}
		}
	}
	run("issue", func(id string) error {
		_, err := be.Issue(t.Context(), secrets.Request{Name: "builds-ro", LeaseID: id, TTL: time.Hour})
		return err
	})
	run("revoke", func(id string) error { return be.Revoke(t.Context(), id) })
}
