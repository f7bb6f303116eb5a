package policy_test

import (
	"testing"

	"github.com/ztci/ztci/identity/claims"
)

// TestReview29TriggersLibraryDefault: with no UntrustedTriggers, the
// library distrusts every trigger of claims.DefaultUntrustedTriggers (the
// default identity/exchange and policy/egress apply), ssh-rerun included:
// a CircleCI job rerun with SSH, an interactive shell holding the job's
// identity, deployed as the pipeline's own job on its protected ref.
func TestReview29TriggersLibraryDefault(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())
	tests := []struct {
		name    string
		trigger string
		deny    bool
	}{
		{name: "push", trigger: "push"},
		{name: "ssh rerun, other case", trigger: " SSH-Rerun", deny: true},
	}
	for _, tr := range claims.DefaultUntrustedTriggers() {
		tests = append(tests, struct {
			name    string
			trigger string
			deny    bool
		}{name: "shared " + tr, trigger: tr, deny: true})
	}
	for _, tt := range tests {
		in := deployInput()
		in.Job.Trigger = tt.trigger
		if tt.deny {
			wantDeny(t, e, tt.name, in, "deploy.untrusted_trigger")
			continue
		}
		wantAllow(t, e, tt.name, in)
	}
	// A list replaces the default: keep ssh-rerun in it.
	cfg := acmeConfig()
	cfg.UntrustedTriggers = []string{"issue_comment"}
	in := deployInput()
	in.Job.Trigger = claims.EventSSHRerun
	wantAllow(t, newConfigured(t, cfg), "ssh-rerun with a list that omits it", in)
}
