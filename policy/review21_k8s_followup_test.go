package policy_test

import (
	"context"
	"slices"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview21KubernetesArgoCDSecrets: Argo CD reads clusters and
// repositories from every Secret in its namespace labelled
// argocd.argoproj.io/secret-type. A deploy that writes one registers a
// cluster Argo CD then deploys to with its own credentials, or points a
// repository (and the credentials a repo-creds template lends it) at the
// writer's server; argocd-secret holds the admin password and signing
// key. These Secrets are not harmless unless Secret is in allowed_kinds.
func TestReview21KubernetesArgoCDSecrets(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())
	secret := func(name string, labels any) map[string]any {
		meta := map[string]any{"name": name, "namespace": "argocd"}
		if labels != nil {
			meta["labels"] = labels
		}
		return map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": meta,
			"stringData": map[string]any{"name": "prod", "server": "https://evil.example", "config": "{}"}}
	}
	label := func(v string) map[string]any { return map[string]any{"argocd.argoproj.io/secret-type": v} }
	for _, tc := range []struct {
		name string
		m    map[string]any
		rule string
	}{
		{"cluster secret", secret("evil-cluster", label("cluster")), "kubernetes.unknown_kind"},
		{"repository secret", secret("repo", label("repository")), "kubernetes.unknown_kind"},
		{"repo-creds secret", secret("creds", label("repo-creds")), "kubernetes.unknown_kind"},
		{"repository-write secret", secret("w", label("repository-write")), "kubernetes.unknown_kind"},
		{"a secret type Argo CD may add", secret("x", label("some-future-type")), "kubernetes.unknown_kind"},
		{"label key in another case", secret("x", map[string]any{"ArgoCD.argoproj.io/Secret-Type": "cluster"}), "kubernetes.unknown_kind"},
		{"argocd-secret", secret("argocd-secret", nil), "kubernetes.unknown_kind"},
		{"labels that are not an object", secret("x", "argocd.argoproj.io/secret-type=cluster"), "kubernetes.unknown_kind"},
		{"Labels in another case", map[string]any{"apiVersion": "v1", "kind": "Secret",
			"metadata": map[string]any{"name": "x", "Labels": label("cluster")}}, "kubernetes.case_variant_key"},
		{"in a List", map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{secret("c", label("cluster"))}}, "kubernetes.unknown_kind"},
	} {
		wantDeny(t, e, tc.name, review21Admit(tc.m), tc.rule)
	}
	review21Allowed(t, e, "an application Secret", review21Admit(secret("app-db", map[string]any{"app.kubernetes.io/name": "app"})))
	cfg := acmeConfig()
	cfg.Kubernetes.AllowedKinds = []string{"Secret"}
	review21Allowed(t, newConfigured(t, cfg), "Argo CD cluster Secret in allowed_kinds", review21Admit(secret("c", label("cluster"))))
}

// TestReview21KubernetesNginxSecurityDefaults: ingress-nginx 1.12 made
// allow-cross-namespace-resources false and strict-validate-path-type
// true by default as security features. A ConfigMap that turns the first
// on lets an Ingress's annotations name another namespace's Secret (its
// TLS key, basic-auth file) for the controller to read; one that turns
// the second off lifts the check on Exact and Prefix paths.
func TestReview21KubernetesNginxSecurityDefaults(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())
	cm := func(data map[string]any) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "ingress-nginx-controller", "namespace": "ingress-nginx"}, "data": data}
	}
	for name, data := range map[string]map[string]any{
		"allow-cross-namespace-resources true":     {"allow-cross-namespace-resources": "true"},
		"allow-cross-namespace-resources 1":        {"allow-cross-namespace-resources": "1"},
		"Allow-Cross-Namespace-Resources True":     {"Allow-Cross-Namespace-Resources": "True"},
		"strict-validate-path-type false":          {"strict-validate-path-type": "false"},
		"strict-validate-path-type unreadable":     {"strict-validate-path-type": "no"},
		"STRICT-VALIDATE-PATH-TYPE false":          {"STRICT-VALIDATE-PATH-TYPE": "false"},
		"cross-namespace beside safe settings":     {"allow-snippet-annotations": "false", "allow-cross-namespace-resources": "true"},
		"path type off beside safe risk level":     {"annotations-risk-level": "High", "strict-validate-path-type": "false"},
		"cross-namespace value that is not a text": {"allow-cross-namespace-resources": true},
	} {
		wantDeny(t, e, name, review21Admit(cm(data)), "kubernetes.unknown_kind")
	}
	review21Allowed(t, e, "the 1.12 defaults written out", review21Admit(cm(map[string]any{
		"allow-cross-namespace-resources": "false", "strict-validate-path-type": "true",
		"allow-snippet-annotations": "false", "annotations-risk-level": "High",
	})))
}

// TestReview21KubernetesVolumeTypeRule: a volume source outside the
// restricted profile, an unlisted inline csi driver and a claim template
// that binds an existing volume are reported as kubernetes.volume_type,
// not as a hostPath: an operator reading the decision (or a compliance
// report) would otherwise look for a host directory that is not there.
// hostPath and gitRepo volumes and hostPath/local PersistentVolumes stay
// kubernetes.host_path.
func TestReview21KubernetesVolumeTypeRule(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())
	pod := func(vol map[string]any) policy.Input {
		return review21Admit(review21Workloads(review21PodSpec(vol))["Pod"])
	}
	claim := map[string]any{"spec": map[string]any{"volumeName": "node-root"}}
	for name, tc := range map[string]struct {
		in   policy.Input
		want string
	}{
		"nfs":                 {pod(map[string]any{"name": "v", "nfs": map[string]any{"server": "10.0.0.5", "path": "/"}}), "kubernetes.volume_type"},
		"csi":                 {pod(map[string]any{"name": "v", "csi": map[string]any{"driver": "smb.csi.k8s.io"}}), "kubernetes.volume_type"},
		"ephemeral claim":     {pod(map[string]any{"name": "v", "ephemeral": map[string]any{"volumeClaimTemplate": claim}}), "kubernetes.volume_type"},
		"hostPath":            {pod(map[string]any{"name": "v", "hostPath": map[string]any{"path": "/"}}), "kubernetes.host_path"},
		"gitRepo":             {pod(map[string]any{"name": "v", "gitRepo": map[string]any{"repository": "https://evil.example/x.git"}}), "kubernetes.host_path"},
		"hostPath beside nfs": {pod(map[string]any{"name": "v", "hostPath": map[string]any{"path": "/"}, "nfs": map[string]any{"server": "10.0.0.5", "path": "/"}}), ""},
	} {
		d, err := e.Evaluate(context.Background(), tc.in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := rules(d)
		if tc.want == "" {
			if !slices.Contains(got, "kubernetes.host_path") || !slices.Contains(got, "kubernetes.volume_type") {
				t.Errorf("%s: violations %v, want both kubernetes.host_path and kubernetes.volume_type", name, got)
			}
			continue
		}
		if d.Allowed || !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%s: allowed %v, violations %v; want only %s", name, d.Allowed, got, tc.want)
		}
	}
}
