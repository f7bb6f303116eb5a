package audit

import (
	"context"
	"testing"
	"time"
)

// TestReview31RepositoryMark: a compromise checker was asked one id, the
// actor's own, so a kill-switch mark on a repository (or on its owner)
// stopped none of its jobs: each has an id of its own (a SPIFFE ID, an
// "<issuer>#<subject>" naming its branch). ActorCompromised asks for every
// mark id of the actor's verified identity (MarkIDs).
func TestReview31RepositoryMark(t *testing.T) {
	t.Parallel()
	gha := Actor{ID: "https://token.actions.githubusercontent.com#repo:acme/app:ref:refs/heads/x", Kind: "job",
		Claims: map[string]string{"platform": "github-actions", "repository": "acme/app",
			"repository_id": "42", "repository_owner_id": "7", "ref": "refs/heads/x"}}
	workload := gha
	workload.ID, workload.Kind = "spiffe://example.org/ci/job/123", "workload"
	for _, tc := range []struct {
		name   string
		mark   string
		actor  Actor
		marked bool
	}{
		{"the actor itself", gha.ID, gha, true},
		{"repository by name", "repository:github-actions/acme/app", gha, true},
		{"repository by id", "repository_id:github-actions/42", gha, true},
		{"repository owner", "repository_owner_id:github-actions/7", gha, true},
		{"repository by id, job with a SPIFFE ID", "repository_id:github-actions/42", workload, true},
		{"another repository", "repository_id:github-actions/43", gha, false},
		{"same id on another platform", "repository_id:gitlab-ci/42", gha, false},
		{"another branch of the repository", "https://token.actions.githubusercontent.com#repo:acme/app:ref:refs/heads/main", gha, false},
		{"actor without claims", "repository:github-actions/acme/app", Actor{ID: gha.ID}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := CheckMarkID(tc.mark); err != nil {
				t.Fatalf("CheckMarkID(%q): %v", tc.mark, err)
			}
			ks, err := NewKillSwitch(&recorder{}, WithClock(func() time.Time { return testT0 }))
			if err != nil {
				t.Fatal(err)
			}
			if err := ks.Mark(context.Background(), tc.mark, "test", "operator", time.Time{}); err != nil {
				t.Fatal(err)
			}
			if got := ActorCompromised(ks, tc.actor); got != tc.marked {
				t.Fatalf("ActorCompromised with %q marked: %v, want %v", tc.mark, got, tc.marked)
			}
		})
	}
}
