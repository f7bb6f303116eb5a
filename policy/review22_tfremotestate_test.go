package policy_test

import (
	"context"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview22TerraformRemoteStateReadAtApply: a terraform_remote_state
// nested in a check block is read at every plan and apply, by Terraform's
// built-in (trusted) provider, and its backend takes credentials from
// where its config points: backend "kubernetes" with config_path set to a
// kubeconfig the repository carries, whose user exec plugin ran `sh -c`
// during `terraform apply` (checked with Terraform 1.11). The change
// below is that plan's, as `terraform show -json` wrote it. The operator
// trusts the built-in provider (allowed_providers), as one must to apply
// its terraform_data.
func TestReview22TerraformRemoteStateReadAtApply(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Terraform.AllowedProviders = []string{"terraform.io/builtin/terraform"}
	cfg.Terraform.AllowedTypes = []string{"terraform_data"}
	e := newConfigured(t, cfg)
	read := func(reason string, config map[string]any) policy.Input {
		rc := map[string]any{
			"address": "data.terraform_remote_state.r", "mode": "data", "type": "terraform_remote_state", "name": "r",
			"provider_name": "terraform.io/builtin/terraform",
			"change": map[string]any{"actions": []any{"read"}, "before": nil,
				"after":         map[string]any{"backend": "kubernetes", "config": config, "defaults": nil, "workspace": nil},
				"after_unknown": map[string]any{"outputs": true}},
			"action_reason": reason,
		}
		return policy.Input{Action: policy.ActionTerraformApply, TerraformPlan: map[string]any{
			"format_version": "1.2", "resource_changes": []any{rc},
			"configuration": map[string]any{"provider_config": map[string]any{
				"terraform": map[string]any{"name": "terraform", "full_name": "terraform.io/builtin/terraform"}}},
		}}
	}
	wantDeny(t, e, "check-nested read with a repository kubeconfig", read("read_because_check_nested",
		map[string]any{"secret_suffix": "x", "config_path": "./kc"}), "terraform.provisioner")
	wantDeny(t, e, "read deferred to the apply", read("read_because_config_unknown",
		map[string]any{"bucket": "state", "key": "k", "shared_config_files": []any{"./aws.cfg"}}), "terraform.provisioner")

	// The built-in provider's allowed resource stays allowed.
	data := policy.Input{Action: policy.ActionTerraformApply, TerraformPlan: map[string]any{
		"format_version": "1.2", "resource_changes": []any{map[string]any{
			"address": "terraform_data.a", "mode": "managed", "type": "terraform_data", "name": "a",
			"provider_name": "terraform.io/builtin/terraform",
			"change":        map[string]any{"actions": []any{"create"}, "after": map[string]any{"input": "x"}}}},
	}}
	if d, err := e.Evaluate(context.Background(), data); err != nil || !d.Allowed {
		t.Errorf("terraform_data create: denied (%v, %v), want allowed", rules(d), err)
	}
}
