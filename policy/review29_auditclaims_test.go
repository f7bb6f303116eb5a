package policy_test

import (
	"maps"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
)

// TestReview29AuditActorClaims: an evaluation's audit event named the job
// by fewer claims than the identity's, the gate's and the proxy's events
// do. Without repository_id the anomaly detector built a second profile of
// the repository, keyed by a name whoever registers it after a rename or
// deletion takes over. The event's claims are now every claim
// JobFromIdentity copies, keyed as identity.Claims.Map keys them.
func TestReview29AuditActorClaims(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	e, err := policy.New(t.Context(), fsPolicy(`package test
decision := {"allow": true, "violations": []}`), policy.WithQuery("data.test.decision"), policy.WithAudit(rec))
	if err != nil {
		t.Fatal(err)
	}
	id := identity.Identity{Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:acme/app:ref:refs/heads/main",
		Claims: identity.Claims{
			Platform: "github-actions", Repository: "acme/app", RepositoryID: "123", RepositoryOwnerID: "45",
			Ref: "refs/heads/main", RefProtected: true, Commit: "0123456789abcdef0123456789abcdef01234567",
			Workflow: "release", WorkflowRef: "acme/app/.github/workflows/release.yml@refs/heads/main", Job: "build",
			RunID: "9001", Event: "push", Actor: "octocat", Runner: "github-hosted",
			Environment: "production", EnvironmentProtected: true,
		}}
	in := deployInput()
	in.Job = policy.JobFromIdentity(id)
	if _, err := e.Evaluate(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	ev := rec.all()
	if len(ev) != 1 {
		t.Fatalf("events: %+v", ev)
	}
	if want := id.Claims.Map(); !maps.Equal(ev[0].Actor.Claims, want) {
		t.Errorf("actor claims %v, want the identity's %v", ev[0].Actor.Claims, want)
	}
}
