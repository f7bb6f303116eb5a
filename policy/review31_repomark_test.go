package policy_test

import (
	"slices"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview31RepositoryMark: the engine asked its compromise checker
// about the job's identity id only, so a kill-switch mark on the job's
// repository, or on its owner, let every job of the repository through.
// A mark on any of the job's mark ids (audit.MarkIDs) denies it.
func TestReview31RepositoryMark(t *testing.T) {
	t.Parallel()
	for _, mark := range []string{
		"repository:github-actions/acme/app",
		"repository_id:github-actions/42",
		"repository_owner_id:github-actions/7",
	} {
		t.Run(mark, func(t *testing.T) {
			t.Parallel()
			in := deployInput()
			in.Job.RepositoryID, in.Job.RepositoryOwnerID = "42", "7"
			e := newBuiltin(t, policy.WithCompromiseChecker(compromised{mark: true}))
			d, err := e.Evaluate(t.Context(), in)
			if err != nil || d.Allowed || !slices.Equal(rules(d), []string{policy.RuleCompromised}) {
				t.Fatalf("job of a marked repository: %+v, %v; want denied as compromised", d, err)
			}
			other := deployInput()
			other.Job.Repository, other.Job.RepositoryID, other.Job.RepositoryOwnerID = "acme/other", "43", "8"
			other.Job.ID = "https://token.actions.githubusercontent.com#repo:acme/other:environment:production"
			if d, err := e.Evaluate(t.Context(), other); err != nil || !d.Allowed {
				t.Fatalf("job of another repository: %+v, %v; want allowed", d, err)
			}
		})
	}
}
