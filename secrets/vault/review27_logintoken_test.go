package vault_test

import (
	"testing"
)

// The job's login token a dynamic secret's lease hangs on is revoked
// with the lease (Lease.Revoke, or the job's end), not left holding the
// job's Vault policies until the JWT role's token_ttl.
func TestReview27LoginTokenRevokedWithLease(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		end  bool // end the job instead of revoking the lease
	}{
		{name: "lease revoked"},
		{name: "job ended", end: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			j := f.job(t, "r27-login", good, audience)
			l, err := j.Lease(t.Context(), "db")
			if err != nil {
				t.Fatal(err)
			}
			if n := f.fake.liveJobTokens(); n != 1 {
				t.Fatalf("%d live login tokens while the lease lives; want 1", n)
			}
			if tt.end {
				err = j.End(t.Context())
			} else {
				err = l.Revoke(t.Context())
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := f.fake.liveLeases(); n != 0 {
				t.Fatalf("%d Vault lease(s) left live", n)
			}
			if n := f.fake.liveJobTokens(); n != 0 {
				t.Fatalf("%d login token(s) left live after the lease was revoked", n)
			}
			_ = j.End(t.Context())
		})
	}
}
