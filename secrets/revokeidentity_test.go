package secrets_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
)

// A kill-switch mark on an identity ends every job of that identity: its
// leases are revoked at the backend and it gets no new one. Jobs of other
// identities keep theirs.
func TestRevokeIdentity(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	be := newMem("value-of-the-secret")
	b := newBroker(t, be)
	other := identity.Identity{Issuer: "https://ci.example.com", Subject: "repo:octo/other:ref:refs/heads/main"}

	j1, err := b.Begin(ctx, spec("j-1"))
	if err != nil {
		t.Fatal(err)
	}
	j2, err := b.Begin(ctx, spec("j-2"))
	if err != nil {
		t.Fatal(err)
	}
	live, err := b.Begin(ctx, secrets.JobSpec{ID: "j-other", Identity: other})
	if err != nil {
		t.Fatal(err)
	}
	defer live.End(ctx)
	for _, j := range []*secrets.Job{j1, j2, live} {
		if _, err := j.Lease(ctx, "db"); err != nil {
			t.Fatal(err)
		}
	}
	if be.liveCount() != 3 {
		t.Fatalf("%d leases live, want 3", be.liveCount())
	}

	n, err := b.RevokeIdentity(ctx, job.ID())
	if err != nil || n != 2 {
		t.Fatalf("RevokeIdentity = %d, %v; want 2 jobs ended", n, err)
	}
	if be.liveCount() != 1 {
		t.Fatalf("%d leases live after the mark, want only the other identity's", be.liveCount())
	}
	if _, err := j1.Lease(ctx, "db"); !errors.Is(err, secrets.ErrJobEnded) {
		t.Fatalf("lease after the mark: %v, want ErrJobEnded", err)
	}
	if n, err := b.RevokeIdentity(ctx, job.ID()); n != 0 || err != nil {
		t.Fatalf("second RevokeIdentity = %d, %v; want nothing left to end", n, err)
	}
}
