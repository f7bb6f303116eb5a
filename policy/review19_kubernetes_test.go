package policy_test

import (
	"context"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview19KubernetesIngressPaths feeds Ingresses whose paths carry
// nginx configuration syntax. ingress-nginx writes a path into
// nginx.conf as a location, bare unless it is a regex, so a path with
// whitespace, a line break, ";", a brace, a quote or a backslash closes
// the location and opens the writer's own, which reads the controller's
// service account token (CVE-2021-25745, CVE-2021-25748). The API server
// checks only that an ImplementationSpecific path starts with "/". Each
// must be denied; ordinary paths, regexes included, stay allowed.
func TestReview19KubernetesIngressPaths(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())

	admit := func(ms ...map[string]any) policy.Input {
		return policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: ms}
	}
	ingressIn := func(apiVersion string, spec map[string]any) map[string]any {
		return map[string]any{"apiVersion": apiVersion, "kind": "Ingress", "metadata": map[string]any{"name": "i"}, "spec": spec}
	}
	withPaths := func(paths ...map[string]any) map[string]any {
		ps := make([]any, len(paths))
		for i, p := range paths {
			ps[i] = p
		}
		return map[string]any{"rules": []any{map[string]any{"host": "app.example", "http": map[string]any{"paths": ps}}}}
	}
	backend := map[string]any{"service": map[string]any{"name": "app", "port": map[string]any{"number": 80}}}
	path := func(p any) map[string]any {
		return map[string]any{"path": p, "pathType": "ImplementationSpecific", "backend": backend}
	}
	ingress := func(p any) map[string]any { return ingressIn("networking.k8s.io/v1", withPaths(path(p))) }

	for _, tc := range []struct {
		name string
		in   policy.Input
		rule string
	}{
		{"location break-out (CVE-2021-25745)", admit(ingress("/x { } location /y { alias /var/run/secrets/kubernetes.io/serviceaccount/; }")), "kubernetes.unknown_kind"},
		{"line break (CVE-2021-25748)", admit(ingress("/x\nalias /var/run/secrets/kubernetes.io/serviceaccount/;")), "kubernetes.unknown_kind"},
		{"carriage return", admit(ingress("/x\r}")), "kubernetes.unknown_kind"},
		{"tab", admit(ingress("/x\t{")), "kubernetes.unknown_kind"},
		{"semicolon", admit(ingress("/x;")), "kubernetes.unknown_kind"},
		{"opening brace", admit(ingress("/x{")), "kubernetes.unknown_kind"},
		{"closing brace", admit(ingress("/x}")), "kubernetes.unknown_kind"},
		{"double quote", admit(ingress(`/x"`)), "kubernetes.unknown_kind"},
		{"single quote", admit(ingress("/x'")), "kubernetes.unknown_kind"},
		{"backslash", admit(ingress(`/x\`)), "kubernetes.unknown_kind"},
		{"NUL", admit(ingress("/x\x00")), "kubernetes.unknown_kind"},
		{"DEL", admit(ingress("/x\x7f")), "kubernetes.unknown_kind"},
		{"path that is not a string", admit(ingress([]any{"/x;"})), "kubernetes.unknown_kind"},
		{"second path of a rule", admit(ingressIn("networking.k8s.io/v1", withPaths(path("/"), path("/y }")))), "kubernetes.unknown_kind"},
		{"extensions/v1beta1 Ingress", admit(ingressIn("extensions/v1beta1", map[string]any{"rules": []any{map[string]any{"http": map[string]any{
			"paths": []any{map[string]any{"path": "/x;}", "backend": map[string]any{"serviceName": "app", "servicePort": 80}}}}}}})), "kubernetes.unknown_kind"},
		{"rules of another shape", admit(ingressIn("networking.k8s.io/v1", map[string]any{"rules": map[string]any{"http": map[string]any{"paths": map[string]any{"path": "/x;"}}}})), "kubernetes.unknown_kind"},
		{"Ingress in a List", admit(map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{ingress("/x }")}}), "kubernetes.unknown_kind"},
		{"Path in another case", admit(ingressIn("networking.k8s.io/v1", withPaths(map[string]any{"path": "/", "Path": "/x;}", "pathType": "Prefix", "backend": backend}))), "kubernetes.case_variant_key"},
	} {
		wantDeny(t, e, tc.name, tc.in, tc.rule)
	}

	for _, tc := range []struct {
		name string
		in   policy.Input
	}{
		{"root path", admit(ingress("/"))},
		{"prefix paths", admit(ingressIn("networking.k8s.io/v1", withPaths(path("/api/v1"), path("/static/app.v2-min_~x.js"))))},
		{"regex paths", admit(ingress("/api/v[0-9]+/(.*)"), ingressIn("networking.k8s.io/v1", withPaths(path("/(foo|bar)/?$"))))},
		{"percent-escaped space", admit(ingress("/a%20b"))},
		{"an annotation named path", admit(map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
			"metadata": map[string]any{"name": "i", "annotations": map[string]any{"path": "a b; {c}"}}, "spec": withPaths(path("/"))})},
	} {
		if d, err := e.Evaluate(context.Background(), tc.in); err != nil || !d.Allowed {
			t.Errorf("%s: denied (%v, %v), want allowed", tc.name, rules(d), err)
		}
	}

	// allowed_kinds still accepts an Ingress the operator vouches for.
	cfg := acmeConfig()
	cfg.Kubernetes.AllowedKinds = []string{"Ingress"}
	if d, err := newConfigured(t, cfg).Evaluate(context.Background(), admit(ingress("/x;"))); err != nil || !d.Allowed {
		t.Errorf("Ingress in allowed_kinds: denied (%v, %v), want allowed", rules(d), err)
	}
}

// TestReview19KubernetesRunAsNull: Kubernetes reads a container's null
// runAsUser or runAsNonRoot as unset, so the pod's applies. A container
// runAsUser: null over a pod's runAsUser 0 runs as root and was read as
// "no runAsUser"; a container runAsNonRoot: null under a pod's true is
// non-root and was denied.
func TestReview19KubernetesRunAsNull(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())

	pinned := "ghcr.io/acme/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	pod := func(psc, csc map[string]any) policy.Input {
		csc["allowPrivilegeEscalation"] = false
		return policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: []map[string]any{{
			"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"},
			"spec": map[string]any{"securityContext": psc, "containers": []any{map[string]any{"name": "app", "image": pinned, "securityContext": csc}}},
		}}}
	}

	for _, tc := range []struct {
		name string
		in   policy.Input
	}{
		{"container runAsUser null over pod 0", pod(map[string]any{"runAsNonRoot": true, "runAsUser": 0}, map[string]any{"runAsUser": nil})},
		{"container runAsUser null over pod 0, container non-root", pod(map[string]any{"runAsUser": 0}, map[string]any{"runAsNonRoot": true, "runAsUser": nil})},
		{"container runAsNonRoot null under pod false", pod(map[string]any{"runAsNonRoot": false}, map[string]any{"runAsNonRoot": nil})},
		{"both null", pod(map[string]any{"runAsNonRoot": nil, "runAsUser": nil}, map[string]any{"runAsNonRoot": nil, "runAsUser": nil})},
	} {
		wantDeny(t, e, tc.name, tc.in, "kubernetes.run_as_root")
	}

	for _, tc := range []struct {
		name string
		in   policy.Input
	}{
		{"container runAsNonRoot null under pod true", pod(map[string]any{"runAsNonRoot": true}, map[string]any{"runAsNonRoot": nil})},
		{"container runAsUser null over pod 1000", pod(map[string]any{"runAsNonRoot": true, "runAsUser": 1000}, map[string]any{"runAsUser": nil})},
		{"container runAsUser 1000 over pod 0", pod(map[string]any{"runAsNonRoot": true, "runAsUser": 0}, map[string]any{"runAsUser": 1000})},
	} {
		if d, err := e.Evaluate(context.Background(), tc.in); err != nil || !d.Allowed {
			t.Errorf("%s: denied (%v, %v), want allowed", tc.name, rules(d), err)
		}
	}
}
