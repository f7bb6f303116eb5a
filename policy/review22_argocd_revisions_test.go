package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview22KubernetesArgoCDRevisions: Argo CD deploys what a
// source's targetRevision names when it syncs, so an Application on a
// branch, a tag, HEAD or a Helm version range deploys whatever the
// repository holds later, after this gate passed it. Every revision
// must now be a full commit SHA or a sha256 digest, unless
// allow_argocd_floating_revisions.
func TestReview22KubernetesArgoCDRevisions(t *testing.T) {
	t.Parallel()
	const sha = "0123456789abcdef0123456789abcdef01234567"
	e := newConfigured(t, review22ArgoConfig())
	app := func(patch func(spec map[string]any)) policy.Input {
		spec := review22AppSpec("team-a", review22Repo, "app")
		patch(spec)
		return review21Admit(review22Argo("Application", spec))
	}
	rev := func(r any) func(map[string]any) {
		return func(spec map[string]any) { spec["source"].(map[string]any)["targetRevision"] = r }
	}
	floating := map[string]policy.Input{
		"branch":             app(rev("main")),
		"HEAD":               app(rev("HEAD")),
		"tag":                app(rev("v1.2.3")),
		"short SHA":          app(rev(sha[:12])),
		"upper-case SHA":     app(rev("0123456789ABCDEF0123456789ABCDEF01234567")),
		"SHA with a newline": app(rev(sha + "\n")),
		"not a text":         app(rev([]any{sha})),
		"no revision at all": app(func(spec map[string]any) { delete(spec["source"].(map[string]any), "targetRevision") }),
		"Helm version range": app(func(spec map[string]any) {
			spec["source"] = map[string]any{"repoURL": review22Repo, "chart": "app", "targetRevision": "1.*"}
		}),
		"second source": app(func(spec map[string]any) {
			spec["sources"] = []any{map[string]any{"repoURL": review22Repo, "targetRevision": "main", "ref": "values"}}
		}),
		"source hydrator": app(func(spec map[string]any) {
			delete(spec, "source")
			spec["sourceHydrator"] = map[string]any{"drySource": map[string]any{"repoURL": review22Repo, "targetRevision": sha, "path": "."},
				"syncSource": map[string]any{"targetBranch": "env/prod", "path": "app"}}
		}),
		"ApplicationSet Git generator on HEAD": review21Admit(review22Argo("ApplicationSet", map[string]any{
			"generators": []any{map[string]any{"git": map[string]any{"repoURL": review22Repo, "revision": "HEAD", "directories": []any{map[string]any{"path": "apps/*"}}}}},
			"template":   map[string]any{"metadata": map[string]any{"name": "{{path.basename}}"}, "spec": review22AppSpec("team-a", review22Repo, "app")}})),
		"ApplicationSet templated revision": review21Admit(review22Argo("ApplicationSet", map[string]any{
			"generators": []any{map[string]any{"list": map[string]any{"elements": []any{map[string]any{"rev": "main"}}}}},
			"template": map[string]any{"metadata": map[string]any{"name": "x"}, "spec": map[string]any{"project": "team-a",
				"source":      map[string]any{"repoURL": review22Repo, "path": "app", "targetRevision": "{{.rev}}"},
				"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": "app"}}}})),
	}
	withOperation := func(op map[string]any) policy.Input {
		m := review22Argo("Application", review22AppSpec("team-a", review22Repo, "app"))
		m["operation"] = map[string]any{"sync": op}
		return review21Admit(m)
	}
	floating["operation revision"] = withOperation(map[string]any{"revision": "main"})
	floating["operation revisions"] = withOperation(map[string]any{"revisions": []any{sha, "main"}})
	for name, in := range floating {
		wantDeny(t, e, name, in, "kubernetes.argocd")
	}
	wantDeny(t, e, "TargetRevision in another case", app(func(spec map[string]any) {
		spec["source"].(map[string]any)["TargetRevision"] = "main"
	}), "kubernetes.case_variant_key")

	review21Allowed(t, e, "commit SHA", app(rev(sha)))
	review21Allowed(t, e, "OCI digest", app(func(spec map[string]any) {
		spec["source"] = map[string]any{"repoURL": review22Repo, "path": ".", "targetRevision": "sha256:" + sha + sha[:24]}
	}))
	review21Allowed(t, e, "operation on a commit SHA", withOperation(map[string]any{"revision": sha}))

	cfg := review22ArgoConfig()
	cfg.Kubernetes.AllowArgoCDFloatingRevisions = true
	loose := newConfigured(t, cfg)
	for _, name := range []string{"branch", "no revision at all", "Helm version range", "source hydrator", "ApplicationSet Git generator on HEAD"} {
		review21Allowed(t, loose, name+" with allow_argocd_floating_revisions", floating[name])
	}
}
