package policy_test

import (
	"context"
	"slices"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestNullConfigReadsAsUnset: a hand-written configuration document (an
// OPA bundle's data.json) may hold null, which the package documentation
// says reads as unset. A null untrusted_triggers is the default list, not
// the empty one that trusts every trigger, and a null
// production_environments is ["production"], not none, which would let a
// production job deploy on every branch without an approval.
func TestNullConfigReadsAsUnset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	doc := libraryConfig()
	cfg := doc["ztci"].(map[string]any)["config"].(map[string]any)
	cfg["untrusted_triggers"] = nil
	cfg["pipeline"] = map[string]any{"production_environments": nil, "protected_branches": nil, "approval_jobs": nil}
	e, err := policy.New(ctx, policy.Merge(policy.Builtin(), policy.Data(doc)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })

	deploy := deployInput()
	deploy.Job.Trigger = "pull_request_target"
	id := identityFor("acme/app")
	id.Claims.Event = "pull_request_target"
	pipeline := policy.Input{Action: policy.ActionPipelineRun, Job: deployInput().Job, Pipeline: &policy.Pipeline{
		Jobs: []policy.PipelineJob{{Name: "deploy", Environment: "production"}},
	}}
	for name, tc := range map[string]struct {
		in   policy.Input
		rule string
	}{
		"deploy by pull_request_target":  {deploy, "deploy.untrusted_trigger"},
		"secret to pull_request_target":  {policy.SecretsInput(id, "prod/db"), "secrets.not_granted"},
		"production job without a gate":  {pipeline, "pipeline.approval_missing"},
		"production job on every branch": {pipeline, "pipeline.prod_unfiltered"},
	} {
		d, err := e.Evaluate(ctx, tc.in)
		if err != nil || d.Allowed || !slices.Contains(rules(d), tc.rule) {
			t.Errorf("%s: %v, %v; want a deny by %s", name, d, err, tc.rule)
		}
	}
}
