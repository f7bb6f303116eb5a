package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview29KubernetesArgoCDSourceOverrides: an Application on an
// allowed repository and a pinned commit could still carry inline
// overrides (helm values, valuesObject, parameters; kustomize patches,
// images, namespace, commonAnnotations; plugin env and parameters;
// jsonnet extVars and tlas) that change what Argo CD renders, a
// privileged pod or another image, which this gate never judged. Now a
// source's helm, kustomize, plugin and directory may hold only members
// that select what the repository holds, unless
// allow_argocd_source_overrides.
func TestReview29KubernetesArgoCDSourceOverrides(t *testing.T) {
	t.Parallel()
	const sha = "0123456789abcdef0123456789abcdef01234567"
	tool := func(name string, v any) map[string]any {
		return map[string]any{"repoURL": review22Repo, "path": "app", "targetRevision": sha, name: v}
	}
	app := func(src map[string]any) policy.Input {
		spec := review22AppSpec("team-a", review22Repo, "app")
		spec["source"] = src
		return review21Admit(review22Argo("Application", spec))
	}
	privileged := "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: x\n    securityContext:\n      privileged: true\n"
	overrides := map[string]policy.Input{
		"helm values":                 app(tool("helm", map[string]any{"values": "image: evil/x:latest\n"})),
		"helm valuesObject":           app(tool("helm", map[string]any{"valuesObject": map[string]any{"privileged": true}})),
		"helm parameters":             app(tool("helm", map[string]any{"parameters": []any{map[string]any{"name": "image.repository", "value": "evil/x"}}})),
		"helm fileParameters":         app(tool("helm", map[string]any{"fileParameters": []any{map[string]any{"name": "x", "path": "y"}}})),
		"helm remote valueFile":       app(tool("helm", map[string]any{"valueFiles": []any{"values.yaml", "https://evil.example/values.yaml"}})),
		"helm valueFile not a text":   app(tool("helm", map[string]any{"valueFiles": []any{1}})),
		"helm valueFiles not a list":  app(tool("helm", map[string]any{"valueFiles": "values.yaml"})),
		"helm not an object":          app(tool("helm", "values")),
		"helm unknown member":         app(tool("helm", map[string]any{"Values": "x: 1"})),
		"kustomize patches":           app(tool("kustomize", map[string]any{"patches": []any{map[string]any{"patch": privileged}}})),
		"kustomize images":            app(tool("kustomize", map[string]any{"images": []any{"app=evil/x:latest"}})),
		"kustomize namespace":         app(tool("kustomize", map[string]any{"namespace": "kube-system"})),
		"kustomize commonAnnotations": app(tool("kustomize", map[string]any{"commonAnnotations": map[string]any{"nginx.ingress.kubernetes.io/enable-global-auth": "false"}})),
		"kustomize commonLabels":      app(tool("kustomize", map[string]any{"commonLabels": map[string]any{"argocd.argoproj.io/secret-type": "cluster"}})),
		"kustomize namePrefix":        app(tool("kustomize", map[string]any{"namePrefix": "argocd-"})),
		"plugin env":                  app(tool("plugin", map[string]any{"name": "p", "env": []any{map[string]any{"name": "IMAGE", "value": "evil/x"}}})),
		"plugin parameters":           app(tool("plugin", map[string]any{"name": "p", "parameters": []any{map[string]any{"name": "image", "string": "evil/x"}}})),
		"jsonnet extVars":             app(tool("directory", map[string]any{"jsonnet": map[string]any{"extVars": []any{map[string]any{"name": "image", "value": "evil/x"}}}})),
		"jsonnet tlas":                app(tool("directory", map[string]any{"jsonnet": map[string]any{"tlas": []any{map[string]any{"name": "privileged", "value": "true", "code": true}}}})),
		"second source helm values": review21Admit(review22Argo("Application", func() map[string]any {
			spec := review22AppSpec("team-a", review22Repo, "app")
			spec["sources"] = []any{tool("helm", map[string]any{"values": "privileged: true\n"})}
			return spec
		}())),
		"ApplicationSet template kustomize images": review21Admit(review22Argo("ApplicationSet", map[string]any{
			"generators": []any{map[string]any{"list": map[string]any{"elements": []any{map[string]any{"env": "prod"}}}}},
			"template": map[string]any{"metadata": map[string]any{"name": "x"}, "spec": func() map[string]any {
				spec := review22AppSpec("team-a", review22Repo, "app")
				spec["source"] = tool("kustomize", map[string]any{"images": []any{"app=evil/x:latest"}})
				return spec
			}()}})),
		"operation helm parameters": func() policy.Input {
			m := review22Argo("Application", review22AppSpec("team-a", review22Repo, "app"))
			m["operation"] = map[string]any{"sync": map[string]any{"revision": sha,
				"source": tool("helm", map[string]any{"parameters": []any{map[string]any{"name": "image", "value": "evil/x"}}})}}
			return review21Admit(m)
		}(),
	}
	e := newConfigured(t, review22ArgoConfig())
	for name, in := range overrides {
		wantDeny(t, e, name, in, "kubernetes.argocd")
	}

	for _, tc := range []struct {
		name string
		src  map[string]any
	}{
		{"helm value files in the repository", tool("helm", map[string]any{"valueFiles": []any{"values.yaml", "$values/prod.yaml"}, "releaseName": "app", "ignoreMissingValueFiles": true, "skipCrds": true})},
		{"kustomize version", tool("kustomize", map[string]any{"version": "v5.4.3"})},
		{"plugin by name", tool("plugin", map[string]any{"name": "p"})},
		{"directory recurse and jsonnet libs", tool("directory", map[string]any{"recurse": true, "include": "*.yaml", "exclude": "test/*", "jsonnet": map[string]any{"libs": []any{"vendor"}}})},
	} {
		review21Allowed(t, e, tc.name, app(tc.src))
	}

	review21Allowed(t, e, "ApplicationSet plugin generator", review21Admit(review22Argo("ApplicationSet", map[string]any{
		"generators": []any{map[string]any{"plugin": map[string]any{"configMapRef": map[string]any{"name": "gen"}, "input": map[string]any{"parameters": map[string]any{"env": "prod"}}}}},
		"template":   map[string]any{"metadata": map[string]any{"name": "x"}, "spec": review22AppSpec("team-a", review22Repo, "app")}})))

	cfg := review22ArgoConfig()
	cfg.Kubernetes.AllowArgoCDSourceOverrides = true
	loose := newConfigured(t, cfg)
	for _, name := range []string{"helm values", "kustomize patches", "plugin env", "jsonnet tlas", "ApplicationSet template kustomize images"} {
		review21Allowed(t, loose, name+" with allow_argocd_source_overrides", overrides[name])
	}
}
