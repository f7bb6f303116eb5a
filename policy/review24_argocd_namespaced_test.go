package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
)

func review24Project(patch map[string]any) policy.Input {
	spec := map[string]any{
		"sourceRepos":  []any{review22Repo},
		"destinations": []any{map[string]any{"server": "https://kubernetes.default.svc", "namespace": "app"}},
		"namespaceResourceWhitelist": []any{
			map[string]any{"group": "apps", "kind": "Deployment"},
			map[string]any{"group": "", "kind": "ConfigMap"},
			map[string]any{"kind": "Service"},
		},
	}
	for k, v := range patch {
		if v == nil {
			delete(spec, k)
			continue
		}
		spec[k] = v
	}
	return review21Admit(review22Argo("AppProject", spec))
}

// TestReview24KubernetesArgoCDNamespacedKinds: an AppProject without a
// namespaceResourceWhitelist (or with a blacklist only) lets Argo CD
// create every namespaced kind in its destinations: a RoleBinding to
// cluster-admin, a Secret, a ServiceAccount with a token. It now needs a
// whitelist of literal entries naming workload or harmless kinds in their
// own API group, or kinds allowed_kinds lists.
func TestReview24KubernetesArgoCDNamespacedKinds(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, review22ArgoConfig())
	review21Allowed(t, e, "workload and harmless kinds", review24Project(nil))
	entry := func(group, kind string) map[string]any {
		return map[string]any{"namespaceResourceWhitelist": []any{map[string]any{"group": group, "kind": kind}}}
	}
	for name, patch := range map[string]map[string]any{
		"no whitelist":        {"namespaceResourceWhitelist": nil},
		"empty whitelist":     {"namespaceResourceWhitelist": []any{}},
		"blacklist only":      {"namespaceResourceWhitelist": nil, "namespaceResourceBlacklist": []any{map[string]any{"group": "", "kind": "Secret"}}},
		"every kind":          entry("*", "*"),
		"every core kind":     entry("", "*"),
		"kind glob":           entry("apps", "Deploy*"),
		"escaped kind":        entry("rbac.authorization.k8s.io", `Role\Binding`),
		"RoleBinding":         entry("rbac.authorization.k8s.io", "RoleBinding"),
		"Role":                entry("rbac.authorization.k8s.io", "Role"),
		"custom resource":     entry("evil.example", "Secret"),
		"Deployment in core":  entry("", "Deployment"),
		"whitelist not list":  {"namespaceResourceWhitelist": "Deployment"},
		"entry not an object": {"namespaceResourceWhitelist": []any{"apps/Deployment"}},
		"entry with a member the rules do not know": {"namespaceResourceWhitelist": []any{
			map[string]any{"group": "apps", "kind": "Deployment", "name": "*"}}},
	} {
		wantDeny(t, e, name, review24Project(patch), "kubernetes.argocd")
	}
	wantDeny(t, e, "NamespaceResourceWhitelist in another case", review24Project(map[string]any{
		"NamespaceResourceWhitelist": []any{map[string]any{"group": "*", "kind": "*"}}}), "kubernetes.case_variant_key")

	// A credential kind needs allow_argocd_project_credentials as well
	// (review31: Argo CD creates it in shapes this gate never judges).
	cfg := review22ArgoConfig("RoleBinding")
	wantDeny(t, newConfigured(t, cfg), "RoleBinding listed in allowed_kinds only", review24Project(entry("rbac.authorization.k8s.io", "RoleBinding")), "kubernetes.argocd")
	cfg.Kubernetes.AllowArgoCDProjectCredentials = true
	listed := newConfigured(t, cfg)
	review21Allowed(t, listed, "RoleBinding listed in allowed_kinds", review24Project(entry("rbac.authorization.k8s.io", "RoleBinding")))
}

// TestReview24KubernetesArgoCDGlobEscapes: Argo CD's globs read a
// backslash as escaping the next character, so a destination namespace
// "kube\-system" or "\kube-system" matches kube-system (and "app\*" is
// no literal either): a backslash is not literal.
func TestReview24KubernetesArgoCDGlobEscapes(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, review22ArgoConfig())
	for _, ns := range []string{`kube\-system`, `\kube-system`, `kube-syste\m`} {
		wantDeny(t, e, "destination "+ns, review24Project(map[string]any{
			"destinations": []any{map[string]any{"server": "https://kubernetes.default.svc", "namespace": ns}}}), "kubernetes.argocd")
	}
	wantDeny(t, e, "escaped source namespace", review24Project(map[string]any{"sourceNamespaces": []any{`kube\-system`}}), "kubernetes.argocd")
}
