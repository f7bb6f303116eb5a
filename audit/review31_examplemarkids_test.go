package audit_test

import (
	"fmt"

	"github.com/ztci/ztci/audit"
)

// A kill-switch mark on a repository's id denies each of its jobs, whatever
// the job's own id: checkers are asked for every mark id of the actor.
func ExampleActorCompromised() {
	job := audit.Actor{ID: "https://token.actions.githubusercontent.com#repo:acme/app:ref:refs/heads/main", Kind: "job",
		Claims: map[string]string{"platform": "github-actions", "repository": "acme/app", "repository_id": "42"}}
	fmt.Println(audit.MarkIDs(job))
	marked := markSet{audit.MarkRepositoryID + "github-actions/42": true}
	fmt.Println(marked.Compromised(job.ID), audit.ActorCompromised(marked, job))
	// Output:
	// [https://token.actions.githubusercontent.com#repo:acme/app:ref:refs/heads/main repository:github-actions/acme/app repository_id:github-actions/42]
	// false true
}

type markSet map[string]bool

func (m markSet) Compromised(id string) bool { return m[id] }
