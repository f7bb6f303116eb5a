package claims_test

import (
	"testing"

	"github.com/ztci/ztci/identity/claims"
)

// TestReview22CircleCISubjectByPosition: CircleCI's V2 token appends
// "/vcs-origin/<origin>/vcs-ref/<ref>" to its sub, and the ref is the
// pusher's to name. The actor was the text after the sub's last "/user/",
// so a branch "x/user/<release manager's id>" made any pusher that user
// to a grant on MatchClaim("actor", ...), and every V2 token's actor
// held the origin and ref. The ids are read by position now.
func TestReview22CircleCISubjectByPosition(t *testing.T) {
	t.Parallel()
	const (
		org, project, user = "0rg", "pr0ject", "us3r"
		victim             = "v1ct1m"
	)
	base := "org/" + org + "/project/" + project + "/user/" + user
	for _, tc := range []struct {
		name, sub, wantOwner, wantActor string
	}{
		{"V1", base, org, user},
		{"V2", base + "/vcs-origin/github.com/acme/app/vcs-ref/refs/heads/main", org, user},
		{"V2 branch naming a user", base + "/vcs-origin/github.com/acme/app/vcs-ref/refs/heads/x/user/" + victim, org, user},
		{"V2 origin naming a user", base + "/vcs-origin/gitlab.com/acme/user/" + victim + "/vcs-ref/refs/heads/main", org, user},
		{"unknown suffix", base + "/user/" + victim, org, ""},
		{"no user", "org/" + org + "/project/" + project, org, ""},
		{"another project", "org/" + org + "/project/other/user/" + victim, "", ""},
		{"user first", "user/" + victim + "/org/" + org + "/project/" + project, "", ""},
	} {
		raw := map[string]any{"oidc.circleci.com/project-id": project, "sub": tc.sub}
		c, err := claims.CircleCI(raw)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if c.RepositoryOwnerID != tc.wantOwner || c.Actor != tc.wantActor {
			t.Errorf("%s: owner %q actor %q, want %q %q", tc.name, c.RepositoryOwnerID, c.Actor, tc.wantOwner, tc.wantActor)
		}
	}
}
