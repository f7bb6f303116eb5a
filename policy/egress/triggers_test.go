package egress_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/egress"
)

// mainOnly allows the main branch of octo/app to reach deploy.example:443.
var mainOnly = egress.Rule{Name: "main-deploy", Repositories: []string{"octo/app"}, Refs: []string{"refs/heads/main"},
	Hosts: []string{"deploy.example"}, Ports: []uint16{443}}

var deployDst = egress.Destination{Host: "deploy.example", Port: 443}

func mainJob(event string) identity.Identity {
	return identity.Identity{Issuer: "https://ci.example", Subject: "repo:octo/app:" + event,
		Claims: identity.Claims{Repository: "octo/app", Ref: "refs/heads/main", Event: event}}
}

// TestWithUntrustedTriggersFollowsLibraryConfig: a vendor that distrusts
// issue_comment in the policy library (whose jobs GitHub runs on the
// default branch for a comment anyone may write) passes the same list to
// the allow-list, and a job issue_comment started no longer gets the main
// branch's allowances, unless a rule names the trigger.
func TestWithUntrustedTriggersFollowsLibraryConfig(t *testing.T) {
	t.Parallel()
	cfg := policy.LibraryConfig{UntrustedTriggers: []string{"issue_comment"}}
	named := egress.Rule{Name: "comment-bot", Repositories: []string{"octo/app"}, Refs: []string{"refs/heads/main"},
		Events: []string{"issue_comment"}, Hosts: []string{"bot.example"}, Ports: []uint16{443}}
	al, err := egress.NewAllowListWith([]egress.Rule{mainOnly, named}, egress.WithUntrustedTriggers(cfg.UntrustedTriggers))
	if err != nil {
		t.Fatal(err)
	}
	d, err := al.Decide(t.Context(), mainJob("issue_comment"), deployDst)
	if err != nil || d.Allow || d.Rule != egress.RuleDefaultDeny || !strings.Contains(d.Reason, `started by "issue_comment"`) {
		t.Errorf("issue_comment job on main: got %+v, %v; want a default deny naming the trigger", d, err)
	}
	if d, _ := al.Decide(t.Context(), mainJob("push"), deployDst); !d.Allow {
		t.Errorf("push job on main: got %+v, want the main branch's allowance", d)
	}
	// The list replaces the default, as it does in the library.
	if d, _ := al.Decide(t.Context(), mainJob("workflow_run"), deployDst); !d.Allow {
		t.Errorf("workflow_run job with a list that does not name it: got %+v, want allowed", d)
	}
	if d, _ := al.Decide(t.Context(), mainJob("Issue_Comment"), egress.Destination{Host: "bot.example", Port: 443}); !d.Allow {
		t.Errorf("a rule whose Events name the trigger: got %+v, want allowed", d)
	}
}

// TestUntrustedTriggersMatchTheLibrary: for every configuration and job
// trigger, the allow-list distrusts exactly the jobs the policy library
// distrusts (data.ztci.lib.untrusted_trigger on the trigger policy's input
// carries: the job's event claim), the default list included.
func TestUntrustedTriggersMatchTheLibrary(t *testing.T) {
	t.Parallel()
	configs := [][]string{nil, {}, {"issue_comment"}, {"Issue_Comment ", "workflow_run"}, {" "}, {"PULL_REQUEST_TARGET"}}
	triggers := []string{"", "push", "pull_request", "issue_comment", "ISSUE_COMMENT", " issue_comment\t",
		"pull_request_target", "Pull_Request_Target", " workflow_run ", "workflow_run\n", "\u00a0workflow_run", "WORKFLOW_RUN", "workflow"}
	for _, list := range configs {
		t.Run(fmt.Sprintf("%q", list), func(t *testing.T) {
			t.Parallel()
			library := libraryUntrusted(t, policy.LibraryConfig{UntrustedTriggers: list})
			al, err := egress.NewAllowListWith([]egress.Rule{mainOnly}, egress.WithUntrustedTriggers(list))
			if err != nil {
				t.Fatal(err)
			}
			for _, trigger := range triggers {
				d, err := al.Decide(t.Context(), mainJob(trigger), deployDst)
				if err != nil {
					t.Fatal(err)
				}
				if want := library(trigger); d.Allow == want {
					t.Errorf("trigger %q: the library says untrusted=%v, the allow-list allows=%v", trigger, want, d.Allow)
				}
			}
		})
	}
}

// TestDefaultUntrustedTriggersAreTheLibrarys: NewAllowList, without
// options, distrusts what the library distrusts with no configuration.
func TestDefaultUntrustedTriggersAreTheLibrarys(t *testing.T) {
	t.Parallel()
	library := libraryUntrusted(t, policy.LibraryConfig{})
	al, err := egress.NewAllowList(mainOnly)
	if err != nil {
		t.Fatal(err)
	}
	for _, trigger := range []string{"pull_request_target", "workflow_run", "push", "issue_comment", ""} {
		if d, _ := al.Decide(t.Context(), mainJob(trigger), deployDst); d.Allow == library(trigger) {
			t.Errorf("trigger %q: the library says untrusted=%v, NewAllowList allows=%v", trigger, library(trigger), d.Allow)
		}
	}
}

func TestWithUntrustedTriggersRejectsMisuse(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]egress.AllowListOption{
		"empty trigger": egress.WithUntrustedTriggers([]string{"issue_comment", ""}),
		"nil option":    nil,
	} {
		if _, err := egress.NewAllowListWith([]egress.Rule{mainOnly}, opt); !errors.Is(err, egress.ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", name, err)
		}
	}
}

// libraryUntrusted returns the library's verdict, under cfg, on a job
// whose trigger is the argument.
func libraryUntrusted(t *testing.T, cfg policy.LibraryConfig) func(trigger string) bool {
	t.Helper()
	b, err := policy.BuiltinWith(cfg).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	opts := []func(*rego.Rego){rego.Query("data.ztci.lib.untrusted_trigger(input.job)"), rego.Store(inmem.NewFromObject(b.Data))}
	for path, m := range b.Modules {
		if !strings.HasSuffix(path, "_test.rego") {
			opts = append(opts, rego.Module(path, m))
		}
	}
	pq, err := rego.New(opts...).PrepareForEval(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return func(trigger string) bool {
		rs, err := pq.Eval(t.Context(), rego.EvalInput(map[string]any{"job": map[string]any{"trigger": trigger}}))
		if err != nil {
			t.Fatal(err)
		}
		return len(rs) > 0
	}
}
