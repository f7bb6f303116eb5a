package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
)

const review22Repo = "https://github.com/acme/deploy.git"

func review22ArgoConfig(kinds ...string) policy.LibraryConfig {
	cfg := acmeConfig()
	cfg.Kubernetes.AllowedKinds = append([]string{"Application", "ApplicationSet", "AppProject"}, kinds...)
	cfg.Kubernetes.AllowedArgoCDProjects = []string{"team-a"}
	cfg.Kubernetes.AllowedArgoCDRepos = []string{review22Repo}
	return cfg
}

func review22Argo(kind string, spec map[string]any) map[string]any {
	return map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": kind,
		"metadata": map[string]any{"name": "x", "namespace": "argocd"}, "spec": spec}
}

func review22AppSpec(project, repo, ns string) map[string]any {
	spec := map[string]any{
		"source":      map[string]any{"repoURL": repo, "path": "app", "targetRevision": "0123456789abcdef0123456789abcdef01234567"},
		"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": ns},
		"syncPolicy":  map[string]any{"automated": map[string]any{"prune": true}},
	}
	if project != "" {
		spec["project"] = project
	}
	return spec
}

// TestReview22KubernetesArgoCDApplication: an Application listed in
// allowed_kinds was accepted as written, so a deploy could hand Argo CD
// (and its cluster credentials) any repository and destination: project
// "default" (or none, which means default) lets it deploy anything
// anywhere. It now needs a project in allowed_argocd_projects and every
// repoURL in allowed_argocd_repos; a kube- destination is denied.
func TestReview22KubernetesArgoCDApplication(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, review22ArgoConfig())
	app := func(spec map[string]any) policy.Input { return review21Admit(review22Argo("Application", spec)) }
	review21Allowed(t, e, "listed project and repository", app(review22AppSpec("team-a", review22Repo, "app")))
	multi := review22AppSpec("team-a", review22Repo, "app")
	delete(multi, "source")
	multi["sources"] = []any{map[string]any{"repoURL": review22Repo, "path": "a"}, map[string]any{"repoURL": "https://evil.example/x.git", "ref": "values"}}
	hydrator := review22AppSpec("team-a", review22Repo, "app")
	hydrator["sourceHydrator"] = map[string]any{"drySource": map[string]any{"repoURL": "https://evil.example/dry.git", "path": "."}}
	caseVariant := review22AppSpec("team-a", review22Repo, "app")
	caseVariant["Project"] = "default"
	for name, spec := range map[string]map[string]any{
		"project default":            review22AppSpec("default", review22Repo, "app"),
		"no project (means default)": review22AppSpec("", review22Repo, "app"),
		"unlisted repository":        review22AppSpec("team-a", "https://evil.example/x.git", "app"),
		"repository prefix only":     review22AppSpec("team-a", review22Repo+"/../evil", "app"),
		"unlisted second source":     multi,
		"hydrator dry source":        hydrator,
		"kube-system destination":    review22AppSpec("team-a", review22Repo, "kube-system"),
	} {
		wantDeny(t, e, name, app(spec), "kubernetes.argocd")
	}
	wantDeny(t, e, "Project in another case", app(caseVariant), "kubernetes.case_variant_key")
	wantDeny(t, newConfigured(t, acmeConfig()), "Application with no Argo CD configuration",
		app(review22AppSpec("team-a", review22Repo, "app")), "kubernetes.argocd")
	wantDeny(t, e, "in a List", review21Admit(map[string]any{"apiVersion": "v1", "kind": "List",
		"items": []any{review22Argo("Application", review22AppSpec("default", review22Repo, "app"))}}), "kubernetes.argocd")
}

// TestReview22KubernetesArgoCDApplicationSet: an ApplicationSet stamps
// out Applications from a template its generators fill in, and a
// generator may carry its own template; every template's project and
// every repoURL (a Git generator's too) is judged, and a templatePatch,
// which rewrites any field from the generators' parameters, is denied.
func TestReview22KubernetesArgoCDApplicationSet(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, review22ArgoConfig())
	set := func(tmplSpec map[string]any, gens []any, extra map[string]any) policy.Input {
		spec := map[string]any{"generators": gens, "template": map[string]any{"metadata": map[string]any{"name": "{{path.basename}}"}, "spec": tmplSpec}}
		for k, v := range extra {
			spec[k] = v
		}
		return review21Admit(review22Argo("ApplicationSet", spec))
	}
	gitGen := func(repo string) []any {
		return []any{map[string]any{"git": map[string]any{"repoURL": repo, "revision": "0123456789abcdef0123456789abcdef01234567", "directories": []any{map[string]any{"path": "apps/*"}}}}}
	}
	good := review22AppSpec("team-a", review22Repo, "app")
	review21Allowed(t, e, "listed project and repositories", set(good, gitGen(review22Repo), nil))
	overriding := []any{map[string]any{"list": map[string]any{"elements": []any{}, "template": map[string]any{"metadata": map[string]any{}, "spec": map[string]any{"project": "default"}}}}}
	for name, in := range map[string]policy.Input{
		"templated project":             set(review22AppSpec("{{.project}}", review22Repo, "app"), gitGen(review22Repo), nil),
		"no template project":           set(review22AppSpec("", review22Repo, "app"), gitGen(review22Repo), nil),
		"templated repository":          set(review22AppSpec("team-a", "{{.url}}", "app"), gitGen(review22Repo), nil),
		"unlisted Git generator":        set(good, gitGen("https://evil.example/x.git"), nil),
		"generator template overriding": set(good, overriding, nil),
		"templatePatch": set(good, gitGen(review22Repo), map[string]any{
			"templatePatch": "spec:\n  project: default\n"}),
	} {
		wantDeny(t, e, name, in, "kubernetes.argocd")
	}
}

// TestReview22KubernetesArgoCDAppProject: an AppProject is the boundary
// Argo CD holds Applications to; one a deploy writes with wildcards
// (every repository, every cluster and namespace, every cluster-scoped
// kind) unbinds every Application in it.
func TestReview22KubernetesArgoCDAppProject(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, review22ArgoConfig("Namespace"))
	proj := func(patch map[string]any) policy.Input {
		spec := map[string]any{
			"sourceRepos":              []any{review22Repo, "!https://github.com/acme/other.git"},
			"destinations":             []any{map[string]any{"server": "https://kubernetes.default.svc", "namespace": "app"}, map[string]any{"namespace": "!kube-system", "server": "https://kubernetes.default.svc"}},
			"clusterResourceWhitelist": []any{map[string]any{"group": "", "kind": "Namespace"}},
			"sourceNamespaces":         []any{"argocd"},
			// Without one Argo CD creates every namespaced kind.
			"namespaceResourceWhitelist": []any{map[string]any{"group": "apps", "kind": "Deployment"}},
		}
		for k, v := range patch {
			spec[k] = v
		}
		return review21Admit(review22Argo("AppProject", spec))
	}
	review21Allowed(t, e, "narrow project", proj(nil))
	for name, patch := range map[string]map[string]any{
		"every repository":      {"sourceRepos": []any{"*"}},
		"repository glob":       {"sourceRepos": []any{"https://github.com/acme/*"}},
		"every cluster":         {"destinations": []any{map[string]any{"server": "*", "namespace": "app"}}},
		"every namespace":       {"destinations": []any{map[string]any{"server": "https://kubernetes.default.svc", "namespace": "*"}}},
		"kube-system namespace": {"destinations": []any{map[string]any{"server": "https://kubernetes.default.svc", "namespace": "kube-system"}}},
		"cluster name glob":     {"destinations": []any{map[string]any{"name": "prod-*", "namespace": "app"}}},
		"destination of a field the rules do not know": {"destinations": []any{map[string]any{"server": "https://kubernetes.default.svc", "namespace": "app", "Namespace": "*"}}},
		"every cluster-scoped kind":                    {"clusterResourceWhitelist": []any{map[string]any{"group": "*", "kind": "*"}}},
		"ClusterRoleBinding":                           {"clusterResourceWhitelist": []any{map[string]any{"group": "rbac.authorization.k8s.io", "kind": "ClusterRoleBinding"}}},
		"every source namespace":                       {"sourceNamespaces": []any{"*"}},
		"sourceRepos not a list":                       {"sourceRepos": "*"},
	} {
		wantDeny(t, e, name, proj(patch), "kubernetes.argocd")
	}
}

// TestReview22KubernetesArgoCDConfig: the new lists take exact, non-empty
// names.
func TestReview22KubernetesArgoCDConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]func(*policy.LibraryConfig){
		"empty project": func(c *policy.LibraryConfig) { c.Kubernetes.AllowedArgoCDProjects = []string{""} },
		"empty repo":    func(c *policy.LibraryConfig) { c.Kubernetes.AllowedArgoCDRepos = []string{""} },
	} {
		c := review22ArgoConfig()
		cfg(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
