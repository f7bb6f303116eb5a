package policy_test

import (
	"context"
	"slices"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestLibraryReviewRegressions feeds the inputs a security review found
// allowed through the real entry point (a configured engine, typed
// Input): each must now be denied with the named rule.
func TestLibraryReviewRegressions(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Pipeline = policy.PipelineConfig{AllowedImages: []string{"cimg/"}, AllowedActions: []string{"actions/"}, AllowedOrbs: []string{"circleci/"}}
	cfg.Secrets.Grants = append(cfg.Secrets.Grants, policy.SecretGrant{Secret: "dev/*", Repositories: []string{"acme/app"}, Refs: []string{"refs/heads/*"}, AllowUnprotected: true})
	e := newConfigured(t, cfg)

	rc := func(typ string, after map[string]any) map[string]any {
		return map[string]any{"address": typ + ".x", "type": typ, "change": map[string]any{"actions": []any{"create"}, "after": after}}
	}
	plan := func(rcs ...any) policy.Input {
		return policy.Input{Action: policy.ActionTerraformApply, TerraformPlan: map[string]any{"format_version": "1.2", "resource_changes": rcs}}
	}
	pinned := "ghcr.io/acme/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	pod := func(sc map[string]any) policy.Input {
		sc["allowPrivilegeEscalation"] = false
		return policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: []map[string]any{{
			"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"},
			"spec": map[string]any{
				"securityContext": map[string]any{"runAsNonRoot": true},
				"containers":      []any{map[string]any{"name": "c", "image": pinned, "securityContext": sc}},
			},
		}}}
	}
	pipeline := func(uses, env string) policy.Input {
		return policy.Input{Action: policy.ActionPipelineRun, Job: policy.Job{ID: "x"}, Pipeline: &policy.Pipeline{Jobs: []policy.PipelineJob{
			{Name: "build", Environment: env, Steps: []policy.Step{{Name: "s", Uses: uses}}},
		}}}
	}
	deployWith := func(scan policy.Scan) policy.Input {
		in := deployInput()
		in.Artifacts[0].Attestations[1].Scan = &scan
		return in
	}
	release := func(ref string, names ...string) policy.Input {
		in := policy.SecretsInput(identityFor("acme/app"), names...)
		in.Job.Ref = ref
		return in
	}

	for _, tc := range []struct {
		name string
		in   policy.Input
		rule string
	}{
		{"IPv4 world hidden by a wide IPv6 CIDR", plan(rc("aws_security_group_rule", map[string]any{"type": "ingress", "cidr_blocks": []any{"0.0.0.0/0"}, "ipv6_cidr_blocks": []any{"::/1"}})), "terraform.open_ingress"},
		{"inline SG rules that together open the world", plan(rc("aws_security_group", map[string]any{"ingress": []any{map[string]any{"cidr_blocks": []any{"0.0.0.0/1"}}, map[string]any{"cidr_blocks": []any{"128.0.0.0/1"}}}})), "terraform.open_ingress"},
		{"Azure prefixes that merge to /0", plan(rc("azurerm_network_security_rule", map[string]any{"direction": "Inbound", "access": "Allow", "source_address_prefixes": []any{"0.0.0.0/1", "128.0.0.0/1"}})), "terraform.open_ingress"},
		{"Azure unspecified address spelled 0::", plan(rc("azurerm_network_security_rule", map[string]any{"direction": "Inbound", "access": "Allow", "source_address_prefix": "0::"})), "terraform.open_ingress"},
		{"after_unknown not an object", plan(map[string]any{"address": "x", "type": "aws_security_group_rule", "change": map[string]any{"actions": []any{"create"}, "after": map[string]any{"type": "ingress"}, "after_unknown": true}}), "terraform.malformed"},
		{"procMount Unmasked", pod(map[string]any{"procMount": "Unmasked"}), "kubernetes.proc_mount"},
		{"only an empty List", policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: []map[string]any{{"kind": "List", "items": []any{}}}}, "kubernetes.no_manifests"},
		{"unknown kind ending in List", policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: []map[string]any{{"kind": "EvilList", "items": []any{}}}}, "kubernetes.unknown_kind"},
		{"docker:// step with an unpinned image", pipeline("docker://evil/img:latest", ""), "pipeline.image_not_pinned"},
		{"local action leaving the repository", pipeline("./../../evil", ""), "pipeline.action_not_allowed"},
		{"allow-listed action prefix climbed out of", pipeline("actions/checkout/../../evil/x@b4ffde65f46336ab88eb53be808477a3936bae11", ""), "pipeline.action_not_allowed"},
		{"production environment with a trailing space", pipeline("actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11", "production "), "pipeline.prod_unfiltered"},
		{"critical finding listed, counted 0", deployWith(policy.Scan{Scanner: "t", Findings: []policy.Finding{{ID: "CVE-1", Severity: "critical", Package: "p"}}}), "deploy.critical_findings"},
		{"negative critical count", deployWith(policy.Scan{Scanner: "t", Critical: -1}), "deploy.scan_unreadable"},
		{"secret name with a .. segment", release("refs/heads/main", "prod/.."), "secrets.malformed"},
		{"secret name with an empty segment", release("refs/heads/main", "prod/"), "secrets.malformed"},
		{"ref glob matching an empty branch name", release("refs/heads/", "dev/x"), "secrets.not_granted"},
	} {
		d, err := e.Evaluate(context.Background(), tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if d.Allowed || !slices.Contains(rules(d), tc.rule) {
			t.Errorf("%s: allowed %v, violations %v; want a deny with %s", tc.name, d.Allowed, rules(d), tc.rule)
		}
	}

	// The fixes leave the ordinary cases alone.
	for _, in := range []policy.Input{
		plan(rc("aws_security_group_rule", map[string]any{"type": "ingress", "cidr_blocks": []any{"10.0.0.0/8"}, "ipv6_cidr_blocks": []any{"2001:db8::/32"}})),
		pod(map[string]any{"procMount": "Default"}),
		pipeline("./.github/actions/build", ""),
		pipeline("docker://cimg/go@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ""),
		release("refs/heads/main", "prod/db-password"),
	} {
		if d, err := e.Evaluate(context.Background(), in); err != nil || !d.Allowed {
			t.Errorf("%s: denied (%v, %v), want allowed", in.Action, rules(d), err)
		}
	}
}
