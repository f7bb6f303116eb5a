package pglease

import (
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/secrets"
)

// FuzzClaimRow: whatever a row holds, claim either refuses it with
// ErrBadLeaseRecord or returns a valid record with a token.
func FuzzClaimRow(f *testing.F) {
	f.Add("ztci_0a1b", "postgres", "db/ci", "run-1", "spiffe://ci.example.com/r", "host-1", int64(1893456000), "tok", true)
	f.Add("", "postgres", "db/ci", "run-1", "id", "host-1", int64(0), "tok", false)
	f.Add("ztci_0a1b", "pg", "db\n", "run-1", "id", "host-1", int64(0), "", true)
	f.Add("ztci_0a1b", "pg", "db", "run-1", "\xff", "host-1", int64(-1), "tok", true)
	f.Fuzz(func(t *testing.T, id, backend, name, job, identity, owner string, exp int64, token string, hasToken bool) {
		e := time.Unix(exp, 0)
		row := claimRow{leaseID: id, backend: backend, name: name, jobID: job, identity: identity, owner: owner, expiresAt: &e}
		if hasToken {
			row.token = &token
		}
		c, err := row.claim("reaper")
		if err != nil {
			if !errors.Is(err, secrets.ErrBadLeaseRecord) {
				t.Fatalf("error not ErrBadLeaseRecord: %v", err)
			}
			return
		}
		if err := c.Record.Validate(); err != nil || c.Token == "" || c.Claimer != "reaper" {
			t.Fatalf("accepted %+v: %v", c, err)
		}
	})
}
