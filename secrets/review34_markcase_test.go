package secrets_test

import (
	"testing"

	"github.com/ztci/ztci/secrets"
)

// TestReview34MarkCaseRevoke: RevokeIdentity matched a repository mark id
// byte for byte, so a kill switch's callback (or an operator) naming the
// repository "Acme/App" ended none of the jobs of acme/app (GitHub's names
// are case-insensitive). Repository and owner ids are folded as MarkIDs
// folds them (audit.CanonicalMarkID).
func TestReview34MarkCaseRevoke(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	b := newBroker(t, newMem("value-of-the-secret"))
	j, err := b.Begin(ctx, secrets.JobSpec{ID: "j-review34", Identity: repoJob})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = j.End(ctx) }()
	if n, err := b.RevokeIdentity(ctx, "repository:GitHub-Actions/Acme/App"); err != nil || n != 1 {
		t.Fatalf("RevokeIdentity in another case: %d jobs, %v; want the repository's one job", n, err)
	}
	if _, err := j.Lease(ctx, "db"); err == nil {
		t.Fatal("Lease after its repository was revoked: allowed")
	}
}
