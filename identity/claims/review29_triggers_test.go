package claims_test

import (
	"slices"
	"testing"

	"github.com/ztci/ztci/identity/claims"
)

// TestReview29TriggersSSHRerunIsUntrusted: a CircleCI job rerun with SSH
// (oidc.circleci.com/ssh-rerun true) hands a person an interactive shell
// holding the job's token. Its event was mapped to "ssh-rerun" but no
// default untrusted list named it, so the exchange, the egress proxy and
// the policy library trusted it as the pipeline's own job.
func TestReview29TriggersSSHRerunIsUntrusted(t *testing.T) {
	t.Parallel()
	base := func(rerun any) map[string]any {
		return map[string]any{
			"sub":                                      "org/o1/project/p1/user/u1",
			"oidc.circleci.com/project-id":             "p1",
			"oidc.circleci.com/vcs-origin":             "github.com/octo/app",
			"oidc.circleci.com/vcs-ref":                "refs/heads/main",
			"oidc.circleci.com/ssh-rerun":              rerun,
			"oidc.circleci.com/job-id":                 "j1",
			"oidc.circleci.com/workflow-id":            "w1",
			"oidc.circleci.com/pipeline-definition-id": "d1",
		}
	}
	tests := []struct {
		name      string
		rerun     any
		untrusted bool
	}{
		{name: "ssh rerun", rerun: true, untrusted: true},
		{name: "ssh rerun as string", rerun: "true", untrusted: true},
		{name: "ordinary job", rerun: false},
		{name: "no claim", rerun: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := claims.CircleCI(base(tt.rerun))
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(claims.DefaultUntrustedTriggers(), c.Event); got != tt.untrusted {
				t.Errorf("event %q: in DefaultUntrustedTriggers = %v, want %v", c.Event, got, tt.untrusted)
			}
		})
	}
}

// TestReview29TriggersDefaultList: the default names GitHub's two "pwn
// request" triggers and CircleCI's SSH rerun, lower case (the form the
// consumers compare), and each call returns a list of its own, so that a
// caller appending to or editing it changes no other consumer's default.
func TestReview29TriggersDefaultList(t *testing.T) {
	t.Parallel()
	got := claims.DefaultUntrustedTriggers()
	for _, want := range []string{"pull_request_target", "workflow_run", claims.EventSSHRerun} {
		if !slices.Contains(got, want) {
			t.Errorf("DefaultUntrustedTriggers() = %q, missing %q", got, want)
		}
	}
	got[0] = "push"
	if again := claims.DefaultUntrustedTriggers(); again[0] == "push" {
		t.Error("DefaultUntrustedTriggers shares its slice between calls")
	}
}
