package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview32KubernetesArgoCDProjectRoles: an AppProject's roles grant
// their groups (and the JWT tokens issued for them) Argo CD actions on the
// project's Applications: update and override change an Application's
// revision, parameters and manifests after this gate passed it (override
// syncs local manifests or another revision), sync and action/* run it,
// create and exec make new ones or open a shell. They were accepted,
// bypassing the pinned-revision and no-override rules. Now every role
// policy must be a read-only get or a deny, unless
// allow_argocd_project_roles.
func TestReview32KubernetesArgoCDProjectRoles(t *testing.T) {
	t.Parallel()
	role := func(policies ...any) map[string]any {
		return map[string]any{"roles": []any{map[string]any{
			"name": "ci", "groups": []any{"acme:devs"}, "policies": policies}}}
	}
	deny := []struct {
		name  string
		patch map[string]any
	}{
		{"override", role("p, proj:x:ci, applications, override, x/*, allow")},
		{"update", role("p, proj:x:ci, applications, update, x/*, allow")},
		{"sync", role("p, proj:x:ci, applications, sync, x/*, allow")},
		{"action/*", role("p, proj:x:ci, applications, action/*, x/*, allow")},
		{"wildcard action", role("p, proj:x:ci, applications, *, x/*, allow")},
		{"create", role("p, proj:x:ci, applications, create, x/*, allow")},
		{"exec", role("p, proj:x:ci, exec, create, x/*, allow")},
		{"no spaces", role("p,proj:x:ci,applications,update,x/*,allow")},
		{"upper case action", role("p, proj:x:ci, applications, UPDATE, x/*, allow")},
		{"quoted", role(`p, proj:x:ci, applications, "get", x/*, allow`)},
		{"short line", role("p, proj:x:ci, applications, update")},
		{"read plus update", role("p, proj:x:ci, applications, get, x/*, allow", "p, proj:x:ci, applications, update, x/*, allow")},
		{"policy not a string", role(map[string]any{"action": "update"})},
		{"policies not a list", map[string]any{"roles": []any{map[string]any{"name": "ci", "policies": "p, proj:x:ci, applications, update, x/*, allow"}}}},
		{"roles not a list", map[string]any{"roles": map[string]any{"name": "ci"}}},
		{"Roles in another case", map[string]any{"Roles": []any{map[string]any{"name": "ci", "policies": []any{"p, proj:x:ci, applications, sync, x/*, allow"}}}}},
	}
	e := newConfigured(t, review22ArgoConfig())
	for _, tc := range deny {
		wantDeny(t, e, tc.name, review24Project(tc.patch), "kubernetes.argocd")
	}
	review21Allowed(t, e, "read-only role", review24Project(role(
		"p, proj:x:ci, applications, get, x/*, allow",
		"p, proj:x:ci, logs, get, x/*, allow",
		"p, proj:x:ci, applications, sync, x/*, deny")))
	review21Allowed(t, e, "role without policies", review24Project(map[string]any{"roles": []any{map[string]any{"name": "ci"}}}))

	cfg := review22ArgoConfig()
	cfg.Kubernetes.AllowArgoCDProjectRoles = true
	loose := newConfigured(t, cfg)
	for _, tc := range deny[:8] {
		review21Allowed(t, loose, tc.name+" with allow_argocd_project_roles", review24Project(tc.patch))
	}
}

// TestReview32KubernetesArgoCDControlPlaneDestination: an Application (or
// ApplicationSet template) deploying into Argo CD's own namespace (argocd,
// openshift-gitops) lets the repository ship argocd-rbac-cm, argocd-cm or
// a cluster Secret that Argo CD then reads: policy.default: role:admin.
// Only kube- namespaces were denied. Now the namespaces
// control_plane_namespaces lists, and the defaults, are denied as
// destinations of Applications, AppProjects and destination service
// accounts.
func TestReview32KubernetesArgoCDControlPlaneDestination(t *testing.T) {
	t.Parallel()
	app := func(ns string) policy.Input {
		return review21Admit(review22Argo("Application", review22AppSpec("team-a", review22Repo, ns)))
	}
	appSet := func(ns string) policy.Input {
		return review21Admit(review22Argo("ApplicationSet", map[string]any{
			"generators": []any{map[string]any{"list": map[string]any{"elements": []any{}}}},
			"template": map[string]any{"metadata": map[string]any{"name": "x"},
				"spec": review22AppSpec("team-a", review22Repo, ns)}}))
	}
	project := func(ns string) policy.Input {
		return review24Project(map[string]any{"destinations": []any{
			map[string]any{"server": "https://kubernetes.default.svc", "namespace": ns}}})
	}
	e := newConfigured(t, review22ArgoConfig())
	for _, ns := range []string{"argocd", "openshift-gitops", "kube-system", "gitops-system"} {
		in := []struct {
			name string
			in   policy.Input
		}{{"Application " + ns, app(ns)}, {"ApplicationSet " + ns, appSet(ns)}, {"AppProject " + ns, project(ns)}}
		cfg := review22ArgoConfig()
		cfg.Kubernetes.ControlPlaneNamespaces = []string{"gitops-system"}
		configured := newConfigured(t, cfg)
		for _, tc := range in {
			wantDeny(t, configured, tc.name+" (configured)", tc.in, "kubernetes.argocd")
			if ns != "gitops-system" {
				wantDeny(t, e, tc.name, tc.in, "kubernetes.argocd")
			} else {
				review21Allowed(t, e, tc.name+" not configured", tc.in)
			}
		}
	}
	review21Allowed(t, e, "Application app", app("app"))
	// A template's namespace a list generator fills in.
	templated := review22AppSpec("team-a", review22Repo, "{{.ns}}")
	wantDeny(t, e, "ApplicationSet templated from a generator", review21Admit(review22Argo("ApplicationSet", map[string]any{
		"generators": []any{map[string]any{"list": map[string]any{"elements": []any{map[string]any{"ns": "argocd"}}}}},
		"template":   map[string]any{"metadata": map[string]any{"name": "x"}, "spec": templated}})), "kubernetes.argocd")
	// An element named like a kube- namespace is not one when the
	// destination is not templated.
	fixed := review22AppSpec("team-a", review22Repo, "app")
	review21Allowed(t, e, "ApplicationSet element kube-prometheus-stack", review21Admit(review22Argo("ApplicationSet", map[string]any{
		"generators": []any{map[string]any{"list": map[string]any{"elements": []any{map[string]any{"name": "kube-prometheus-stack"}}}}},
		"template":   map[string]any{"metadata": map[string]any{"name": "{{.name}}"}, "spec": fixed}})))
}

// TestReview32KubernetesArgoCDDestinationServiceAccounts: an AppProject's
// destinationServiceAccounts name the service account Argo CD impersonates
// to sync (namespace:name for one in another namespace). One that named
// Argo CD's own controller ("argocd:argocd-application-controller"), a
// kube-system account or a glob was accepted: the sync then runs with
// cluster-admin. Now the account must be a literal name, in the
// destination's namespace or a namespace that is not the control plane's,
// and the entry's server and namespace literal and not the control
// plane's.
func TestReview32KubernetesArgoCDDestinationServiceAccounts(t *testing.T) {
	t.Parallel()
	dsa := func(entries ...any) map[string]any {
		return map[string]any{"destinationServiceAccounts": entries}
	}
	entry := func(server, ns, sa any) map[string]any {
		return map[string]any{"server": server, "namespace": ns, "defaultServiceAccount": sa}
	}
	const in = "https://kubernetes.default.svc"
	e := newConfigured(t, review22ArgoConfig())
	for _, tc := range []struct {
		name  string
		patch map[string]any
	}{
		{"Argo CD's controller", dsa(entry(in, "app", "argocd:argocd-application-controller"))},
		{"kube-system account", dsa(entry(in, "app", "kube-system:clusterrole-aggregation-controller"))},
		{"openshift-gitops account", dsa(entry(in, "app", "openshift-gitops:openshift-gitops-argocd-application-controller"))},
		{"glob account", dsa(entry(in, "app", "*"))},
		{"glob namespace of the account", dsa(entry(in, "app", "*:deployer"))},
		{"empty account", dsa(entry(in, "app", ""))},
		{"account not a string", dsa(entry(in, "app", []any{"deployer"}))},
		{"no account", dsa(map[string]any{"server": in, "namespace": "app"})},
		{"too many colons", dsa(entry(in, "app", "system:serviceaccount:argocd:argocd-server"))},
		{"control plane namespace", dsa(entry(in, "argocd", "deployer"))},
		{"glob namespace", dsa(entry(in, "*", "deployer"))},
		{"glob server", dsa(entry("*", "app", "deployer"))},
		{"entry not an object", dsa("deployer")},
		{"not a list", map[string]any{"destinationServiceAccounts": map[string]any{"defaultServiceAccount": "x"}}},
		{"in another case", map[string]any{"DestinationServiceAccounts": []any{entry(in, "app", "argocd:argocd-server")}}},
		{"unknown member", dsa(map[string]any{"server": in, "namespace": "app", "defaultServiceAccount": "deployer", "DefaultServiceAccount": "argocd:argocd-server"})},
	} {
		wantDeny(t, e, tc.name, review24Project(tc.patch), "kubernetes.argocd")
	}
	review21Allowed(t, e, "deployer in the destination namespace", review24Project(dsa(entry(in, "app", "deployer"))))
	review21Allowed(t, e, "deployer in another namespace", review24Project(dsa(entry(in, "app", "deployers:app"))))
}

// TestReview32KubernetesArgoCDOperationManifests: an Application's
// operation.sync.manifests (what "argocd app sync --local" sends) has the
// controller apply those manifests instead of rendering the pinned
// repository; written into the Application itself it skips the API
// server's override permission, and this gate never judged them (a
// privileged Pod in a string). It was accepted. Now it is an override:
// denied unless allow_argocd_source_overrides, in any case.
func TestReview32KubernetesArgoCDOperationManifests(t *testing.T) {
	t.Parallel()
	const sha = "0123456789abcdef0123456789abcdef01234567"
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {hostPID: true, containers: [{name: x, image: evil, securityContext: {privileged: true}}]}\n"
	app := func(sync map[string]any) policy.Input {
		spec := review22AppSpec("team-a", review22Repo, "app")
		m := review22Argo("Application", spec)
		m["operation"] = map[string]any{"sync": sync}
		return review21Admit(m)
	}
	e := newConfigured(t, review22ArgoConfig())
	for _, tc := range []struct {
		name string
		in   policy.Input
	}{
		{"manifests", app(map[string]any{"revision": sha, "manifests": []any{pod}})},
		{"Manifests", app(map[string]any{"revision": sha, "Manifests": []any{pod}})},
		{"manifests not a list", app(map[string]any{"revision": sha, "manifests": pod})},
	} {
		wantDeny(t, e, tc.name, tc.in, "kubernetes.argocd")
	}
	review21Allowed(t, e, "pinned operation", app(map[string]any{"revision": sha}))
	cfg := review22ArgoConfig()
	cfg.Kubernetes.AllowArgoCDSourceOverrides = true
	review21Allowed(t, newConfigured(t, cfg), "manifests with allow_argocd_source_overrides", app(map[string]any{"revision": sha, "manifests": []any{pod}}))
}
