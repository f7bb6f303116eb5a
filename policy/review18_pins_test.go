package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview18PinnedNameIsPlain: "@<sha>" pinned a reference whatever its
// name held. Under an allow-listed remote include prefix,
// "https://gitlab.example.com/acme/ci/-/raw/main/deploy.yml?p=@<sha>" was
// pinned and allowed, and GitLab fetches main's deploy.yml, whatever it
// says today: the "@<sha>" is in the query, which the server ignores. A
// "#" fragment is the same, a percent-escape decodes to what the rules
// did not read ("%40" an "@", "%2e%2e" a ".." segment), and whitespace or
// a control in a name no forge allows is not a name the rules can place.
// Such a name is not pinned, for a step's action, a pipeline-level unit
// and a CircleCI orb version alike.
func TestReview18PinnedNameIsPlain(t *testing.T) {
	t.Parallel()
	const sha = "0123456789abcdef0123456789abcdef01234567"
	cfg := acmeConfig()
	cfg.Pipeline = policy.PipelineConfig{
		AllowedActions: []string{"actions/", "https://code.forgejo.org/actions/"},
		AllowedOrbs:    []string{"circleci/", "acme/ci", "https://gitlab.example.com/acme/ci/"},
	}
	e := newConfigured(t, cfg)
	step := func(uses string) policy.Input {
		return policy.Input{Action: policy.ActionPipelineRun, Job: policy.Job{ID: "x"}, Pipeline: &policy.Pipeline{
			Platform: "github-actions", Jobs: []policy.PipelineJob{{Name: "build", Steps: []policy.Step{{Name: "s", Uses: uses}}}}}}
	}
	unit := func(platform, uses string) policy.Input {
		return policy.Input{Action: policy.ActionPipelineRun, Job: policy.Job{ID: "x"}, Pipeline: &policy.Pipeline{
			Platform: platform, Uses: []string{uses}, Jobs: []policy.PipelineJob{{Name: "build"}}}}
	}

	for _, name := range []string{
		"https://gitlab.example.com/acme/ci/-/raw/main/deploy.yml?p=",
		"https://gitlab.example.com/acme/ci/-/raw/main/deploy.yml#",
		"https://gitlab.example.com/acme/ci/-/raw/main/deploy.yml%3F",
		"acme/ci/deploy.yml?ref=main&x=",
		"acme/ci/%2e%2e/evil/deploy.yml",
		"acme/ci/deploy.yml ",
		"acme/ci/deploy.yml\n",
		"acme/ci/dep\u00a0loy.yml",
	} {
		wantDeny(t, e, "unit "+quote(name), unit("gitlab", name+"@"+sha), "pipeline.orb_not_pinned")
	}
	for _, name := range []string{
		"actions/checkout?x=",
		"actions/checkout#",
		"actions/checkout%40main",
		"actions/checkout ",
		"actions/checkout\t",
		"https://code.forgejo.org/actions/checkout?ref=main&x=",
	} {
		wantDeny(t, e, "action "+quote(name), step(name+"@"+sha), "pipeline.action_not_pinned")
	}
	for _, orb := range []string{"circleci/node?x@5.1.0", "circleci/node%20@5.1.0", "circleci/node #@5.1.0"} {
		wantDeny(t, e, "orb "+quote(orb), unit("circleci", orb), "pipeline.orb_not_pinned")
	}

	// Plain names stay pinned.
	for _, in := range map[string]policy.Input{
		"action":       step("actions/checkout@" + sha),
		"action path":  step("actions/cache/save@" + sha),
		"forgejo url":  step("https://code.forgejo.org/actions/checkout@" + sha),
		"include":      unit("gitlab", "acme/ci/templates/deploy.yml@"+sha),
		"remote":       unit("gitlab", "https://gitlab.example.com/acme/ci/-/raw/"+sha+"/deploy.yml@"+sha),
		"circleci orb": unit("circleci", "circleci/node@5.1.0"),
	} {
		d, err := e.Evaluate(t.Context(), in)
		if err != nil || !d.Allowed {
			t.Errorf("%v: denied (%v, %v), want allowed", in.Pipeline, rules(d), err)
		}
	}
}
