package egress_test

import (
	"testing"

	"github.com/ztci/ztci/identity/claims"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/egress"
)

// TestReview29TriggersDefaultsAgree: the allow-list's default, the policy
// library's default and identity/exchange's (claims.DefaultUntrustedTriggers)
// distrust the same triggers. A CircleCI SSH rerun (an interactive shell
// holding the job's token, event "ssh-rerun") matched a rule's Refs and
// reached the main branch's deploy hosts; now it matches no Refs glob.
func TestReview29TriggersDefaultsAgree(t *testing.T) {
	t.Parallel()
	library := libraryUntrusted(t, policy.LibraryConfig{})
	al, err := egress.NewAllowList(mainOnly)
	if err != nil {
		t.Fatal(err)
	}
	shared := claims.DefaultUntrustedTriggers()
	tests := []struct {
		name      string
		trigger   string
		untrusted bool
	}{
		{name: "push", trigger: "push"},
		{name: "pull_request", trigger: "pull_request"},
		{name: "issue_comment", trigger: "issue_comment"},
		{name: "no event", trigger: ""},
		{name: "ssh rerun upper case", trigger: "SSH-Rerun", untrusted: true},
	}
	for _, tr := range shared {
		tests = append(tests, struct {
			name      string
			trigger   string
			untrusted bool
		}{name: "shared " + tr, trigger: tr, untrusted: true})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := al.Decide(t.Context(), mainJob(tt.trigger), deployDst)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow == tt.untrusted {
				t.Errorf("allow-list allows=%v, want untrusted=%v", d.Allow, tt.untrusted)
			}
			if got := library(tt.trigger); got != tt.untrusted {
				t.Errorf("library untrusted=%v, want %v", got, tt.untrusted)
			}
		})
	}
}
