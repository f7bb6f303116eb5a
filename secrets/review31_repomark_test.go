package secrets_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
)

// repoJob is a job of repository id 42 (owner 7) on GitHub Actions, with
// an identity id of its own (its branch).
var repoJob = identity.Identity{Issuer: "https://token.actions.githubusercontent.com",
	Subject: "repo:acme/app:ref:refs/heads/feature",
	Claims: identity.Claims{Platform: "github-actions", Repository: "acme/app", RepositoryID: "42",
		RepositoryOwnerID: "7", Ref: "refs/heads/feature"}}

// TestReview31RepositoryMark: the broker asked its compromise checker
// about the job's identity id only, so a mark on the job's repository (or
// its owner) let every job of the repository begin, lease and read. Now a
// mark on any of the identity's mark ids (audit.MarkIDs) refuses it, and
// RevokeIdentity of a repository mark ends the repository's jobs.
func TestReview31RepositoryMark(t *testing.T) {
	t.Parallel()
	for _, mark := range []string{
		"repository:github-actions/acme/app",
		"repository_id:github-actions/42",
		"repository_owner_id:github-actions/7",
	} {
		t.Run("checker/"+mark, func(t *testing.T) {
			t.Parallel()
			b := newBroker(t, newMem("value-of-the-secret"), secrets.WithCompromiseChecker(compromised{mark: true}))
			j, err := b.Begin(t.Context(), secrets.JobSpec{ID: "j-review31", Identity: repoJob})
			if err == nil {
				_ = j.End(t.Context())
				t.Fatal("Begin of a job of a marked repository: allowed")
			}
			if !errors.Is(err, secrets.ErrCompromised) {
				t.Fatalf("Begin: %v, want ErrCompromised", err)
			}
		})
		t.Run("revoke/"+mark, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			b := newBroker(t, newMem("value-of-the-secret"))
			j, err := b.Begin(ctx, secrets.JobSpec{ID: "j-review31", Identity: repoJob})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = j.End(ctx) }()
			n, err := b.RevokeIdentity(ctx, mark)
			if err != nil || n != 1 {
				t.Fatalf("RevokeIdentity(%q): %d jobs, %v; want the repository's one job", mark, n, err)
			}
			if _, err := j.Lease(ctx, "db"); err == nil {
				t.Fatal("Lease after its repository was revoked: allowed")
			}
			if j2, err := b.Begin(ctx, secrets.JobSpec{ID: "j-review31-2", Identity: repoJob}); !errors.Is(err, secrets.ErrCompromised) {
				if err == nil {
					_ = j2.End(ctx)
				}
				t.Fatalf("Begin during the revoke hold: %v, want ErrCompromised", err)
			}
		})
	}
}
