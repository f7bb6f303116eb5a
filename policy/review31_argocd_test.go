package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview31KubernetesArgoCDToolCase: the source override rule read a
// source's helm, kustomize, plugin and directory members, and the source,
// sources and drySource holding them, by their exact names: "Helm" (or
// "HELM", "kuſtomize") with values, or a "Source" holding a helm with
// parameters, passed, and a case-insensitive decoder reads either as the
// member. Now every case variant (Unicode simple folding) is judged as
// the member itself.
func TestReview31KubernetesArgoCDToolCase(t *testing.T) {
	t.Parallel()
	const sha = "0123456789abcdef0123456789abcdef01234567"
	src := func(tool string, v any) map[string]any {
		return map[string]any{"repoURL": review22Repo, "path": "app", "targetRevision": sha, tool: v}
	}
	app := func(key string, v any) policy.Input {
		spec := review22AppSpec("team-a", review22Repo, "app")
		delete(spec, "source")
		spec[key] = v
		return review21Admit(review22Argo("Application", spec))
	}
	values := map[string]any{"values": "securityContext:\n  privileged: true\n"}
	// Floating revisions allowed: a source hydrator is judged here for
	// its drySource only.
	floating := review22ArgoConfig()
	floating.Kubernetes.AllowArgoCDFloatingRevisions = true
	e := newConfigured(t, floating)
	for _, tc := range []struct {
		name string
		in   policy.Input
	}{
		{"Helm", app("source", src("Helm", values))},
		{"HELM", app("source", src("HELM", values))},
		{"Kustomize images", app("source", src("Kustomize", map[string]any{"images": []any{"app=evil/x:latest"}}))},
		{"kustomize with a long s", app("source", src("ku\u017ftomize", map[string]any{"images": []any{"app=evil/x:latest"}}))},
		{"Plugin env", app("source", src("Plugin", map[string]any{"name": "p", "env": []any{map[string]any{"name": "IMAGE", "value": "evil/x"}}}))},
		{"Directory jsonnet", app("source", src("Directory", map[string]any{"jsonnet": map[string]any{"tlas": []any{map[string]any{"name": "x", "value": "y"}}}}))},
		{"Helm not an object", app("source", src("Helm", "values"))},
		{"Source holding helm", app("Source", src("helm", values))},
		{"SOURCES holding helm", app("SOURCES", []any{src("helm", values)})},
		{"sources with a long s holding Helm", app("\u017fources", []any{src("Helm", values)})},
		{"drySource in another case", app("sourceHydrator", map[string]any{"DrySource": src("helm", values)})},
	} {
		wantDeny(t, e, tc.name, tc.in, "kubernetes.argocd")
	}

	cfg := floating
	cfg.Kubernetes.AllowArgoCDSourceOverrides = true
	review21Allowed(t, newConfigured(t, cfg), "Helm values with allow_argocd_source_overrides", app("source", src("Helm", values)))
}

// TestReview31KubernetesArgoCDProjectCredentials: an AppProject's
// namespaceResourceWhitelist could grant Secret and ServiceAccount (harmless
// kinds when a deploy applies them itself, where this gate judges their
// shape: an Argo CD cluster Secret, a service-account-token Secret) and,
// with allowed_kinds listing them, Role and RoleBinding, and its
// clusterResourceWhitelist ClusterRole and ClusterRoleBinding: Argo CD then
// creates them from the repository, in shapes this gate never sees (a
// token for the namespace's most privileged service account, a binding
// to cluster-admin). They are now denied unless
// allow_argocd_project_credentials.
func TestReview31KubernetesArgoCDProjectCredentials(t *testing.T) {
	t.Parallel()
	const rbac = "rbac.authorization.k8s.io"
	ns := func(group, kind string) map[string]any {
		return map[string]any{"namespaceResourceWhitelist": []any{
			map[string]any{"group": "apps", "kind": "Deployment"}, map[string]any{"group": group, "kind": kind}}}
	}
	cluster := func(kind string) map[string]any {
		return map[string]any{"clusterResourceWhitelist": []any{map[string]any{"group": rbac, "kind": kind}}}
	}
	noGroup := map[string]any{"namespaceResourceWhitelist": []any{map[string]any{"kind": "Secret"}}}
	cases := []struct {
		name  string
		patch map[string]any
	}{
		{"Secret", ns("", "Secret")},
		{"Secret without a group", noGroup},
		{"ServiceAccount", ns("", "ServiceAccount")},
		{"Role", ns(rbac, "Role")},
		{"RoleBinding", ns(rbac, "RoleBinding")},
		{"ClusterRole", cluster("ClusterRole")},
		{"ClusterRoleBinding", cluster("ClusterRoleBinding")},
	}
	e := newConfigured(t, review22ArgoConfig("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"))
	for _, tc := range cases {
		wantDeny(t, e, tc.name, review24Project(tc.patch), "kubernetes.argocd")
	}
	review21Allowed(t, e, "workload and harmless kinds", review24Project(nil))

	cfg := review22ArgoConfig("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")
	cfg.Kubernetes.AllowArgoCDProjectCredentials = true
	loose := newConfigured(t, cfg)
	for _, tc := range cases {
		review21Allowed(t, loose, tc.name+" with allow_argocd_project_credentials", review24Project(tc.patch))
	}
	// The switch lifts only this check: RBAC kinds still need allowed_kinds.
	only := review22ArgoConfig()
	only.Kubernetes.AllowArgoCDProjectCredentials = true
	wantDeny(t, newConfigured(t, only), "RoleBinding not in allowed_kinds", review24Project(ns(rbac, "RoleBinding")), "kubernetes.argocd")
}

// TestReview31KubernetesArgoCDManagedNamespaceMetadata: an Application's
// syncPolicy.managedNamespaceMetadata has Argo CD write its labels onto the
// destination namespace (pod-security.kubernetes.io/enforce: privileged),
// which a deploy may do itself only with Namespace in allowed_kinds; it was
// accepted. Now it needs Namespace listed.
func TestReview31KubernetesArgoCDManagedNamespaceMetadata(t *testing.T) {
	t.Parallel()
	app := func(key string) policy.Input {
		spec := review22AppSpec("team-a", review22Repo, "app")
		spec["syncPolicy"] = map[string]any{"syncOptions": []any{"CreateNamespace=true"},
			key: map[string]any{"labels": map[string]any{"pod-security.kubernetes.io/enforce": "privileged"}}}
		return review21Admit(review22Argo("Application", spec))
	}
	e := newConfigured(t, review22ArgoConfig())
	wantDeny(t, e, "managedNamespaceMetadata", app("managedNamespaceMetadata"), "kubernetes.argocd")
	wantDeny(t, e, "ManagedNamespaceMetadata", app("ManagedNamespaceMetadata"), "kubernetes.argocd")
	review21Allowed(t, newConfigured(t, review22ArgoConfig("Namespace")), "Namespace in allowed_kinds", app("managedNamespaceMetadata"))
}
