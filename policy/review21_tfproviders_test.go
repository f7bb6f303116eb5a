package policy_test

import (
	"context"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview21TerraformUntrustedProviders: a provider's code runs for
// more than resource_changes shows. Terraform configures every provider
// the configuration requires, opens its ephemeral resources (Terraform
// 1.10: "ephemeral" blocks, absent from the plan's resources) and calls
// its functions (Terraform 1.8: provider::evil::fn(), no expression in
// the plan), with the apply's credentials; a plan whose only changes were
// a hashicorp/aws bucket was allowed while required_providers { evil = {
// source = "evilcorp/evil" } } ran evilcorp's code. Every provider in
// configuration.provider_config (every module's full_name) and every
// resource change's provider_name must be hashicorp's, Terraform's
// built-in one, or in allowed_providers.
func TestReview21TerraformUntrustedProviders(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	e := newConfigured(t, cfg)
	cfg.Terraform.AllowedProviders = []string{"cloudflare/cloudflare", "tf.acme.example/acme/vault"}
	trusting := newConfigured(t, cfg)

	bucket := map[string]any{"address": "aws_s3_bucket.logs", "mode": "managed", "type": "aws_s3_bucket", "name": "logs",
		"provider_name": "registry.terraform.io/hashicorp/aws",
		"change":        map[string]any{"actions": []any{"create"}, "after": map[string]any{"bucket": "logs"}}}
	provider := func(name, fullName string) map[string]any {
		return map[string]any{"name": name, "full_name": fullName}
	}
	aws := provider("aws", "registry.terraform.io/hashicorp/aws")
	plan := func(configuration any, rcs ...any) policy.Input {
		p := map[string]any{"format_version": "1.2", "resource_changes": append([]any{bucket}, rcs...)}
		if configuration != nil {
			p["configuration"] = configuration
		}
		return policy.Input{Action: policy.ActionTerraformApply, TerraformPlan: p}
	}
	providers := func(pcs map[string]any) map[string]any {
		return map[string]any{"provider_config": pcs, "root_module": map[string]any{}}
	}

	for _, tc := range []struct {
		name string
		e    *policy.Engine
		in   policy.Input
		rule string
	}{
		{"provider required only for functions or ephemeral resources", e, plan(providers(map[string]any{
			"aws": aws, "evil": provider("evil", "registry.terraform.io/evilcorp/evil")})), "terraform.untrusted_provider"},
		{"child module's provider", e, plan(providers(map[string]any{
			"aws": aws, "module.m:aws": map[string]any{"name": "aws", "full_name": "registry.terraform.io/evilcorp/aws", "module_address": "module.m"}})), "terraform.untrusted_provider"},
		{"hashicorp namespace on another host", e, plan(providers(map[string]any{"aws": provider("aws", "evil.example/hashicorp/aws")})), "terraform.untrusted_provider"},
		{"hashicorp as a prefix of the namespace", e, plan(providers(map[string]any{"aws": provider("aws", "registry.terraform.io/hashicorpx/aws")})), "terraform.untrusted_provider"},
		{"hashicorp address with a fourth part", e, plan(providers(map[string]any{"aws": provider("aws", "registry.terraform.io/hashicorp/aws/x")})), "terraform.untrusted_provider"},
		{"built-in namespace of another provider", e, plan(providers(map[string]any{"x": provider("x", "terraform.io/builtin/x")})), "terraform.untrusted_provider"},
		{"provider configuration without full_name", e, plan(providers(map[string]any{"aws": map[string]any{"name": "aws"}})), "terraform.untrusted_provider"},
		{"provider configuration not an object", e, plan(providers(map[string]any{"aws": "registry.terraform.io/hashicorp/aws"})), "terraform.untrusted_provider"},
		{"trusted provider for nothing but its own", trusting, plan(providers(map[string]any{"evil": provider("evil", "registry.terraform.io/evilcorp/evil")})), "terraform.untrusted_provider"},
		{"no-op change from an untrusted provider", e, plan(nil, map[string]any{"address": "evil_thing.x", "type": "evil_thing",
			"provider_name": "registry.terraform.io/evilcorp/evil", "change": map[string]any{"actions": []any{"no-op"}, "after": map[string]any{}}}), "terraform.untrusted_provider"},
		{"provider_config not an object", e, plan(map[string]any{"provider_config": []any{aws}}), "terraform.malformed"},
		{"configuration not an object", e, plan("configuration"), "terraform.malformed"},
	} {
		wantDeny(t, tc.e, tc.name, tc.in, tc.rule)
	}

	for _, tc := range []struct {
		name string
		e    *policy.Engine
		in   policy.Input
	}{
		{"hashicorp providers and Terraform's built-in one", e, plan(providers(map[string]any{
			"aws": aws, "random": provider("random", "registry.terraform.io/hashicorp/random"),
			"module.m:google": provider("google", "registry.opentofu.org/hashicorp/google"),
			"terraform":       provider("terraform", "terraform.io/builtin/terraform")}))},
		{"allowed providers, any case", trusting, plan(providers(map[string]any{
			"aws": aws, "cloudflare": provider("cloudflare", "registry.terraform.io/cloudflare/cloudflare"),
			"vault": provider("vault", "TF.acme.example/acme/vault")}))},
		{"no configuration", e, plan(nil)},
		{"null provider_config", e, plan(map[string]any{"provider_config": nil})},
	} {
		if d, err := tc.e.Evaluate(context.Background(), tc.in); err != nil || !d.Allowed {
			t.Errorf("%s: denied (%v, %v), want allowed", tc.name, rules(d), err)
		}
	}
}
