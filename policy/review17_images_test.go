package policy_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ztci/ztci/policy"
)

// TestReview17DockerHubShortNames: an allow-listed Docker Hub short name
// covered another Hub user's namespace. "alpine" is
// docker.io/library/alpine, but it covered "alpine/git" and
// "alpine/evil" at their "/" boundary: docker.io/alpine/evil, the
// repositories of whoever holds the Hub account "alpine". Prefixes and
// references are now compared as Docker reads them, so "alpine",
// "library/alpine", "docker.io/library/alpine" and
// "index.docker.io/library/alpine" are one entry, covering every
// spelling of docker.io/library/alpine and nothing in another namespace;
// a registry spelled another way ("DOCKER.IO", "docker.io.",
// "docker.io:443") is not covered (fail closed). Judged for pipeline
// images, docker:// steps, Kubernetes containers and image volumes.
func TestReview17DockerHubShortNames(t *testing.T) {
	t.Parallel()
	const digest = "@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	denied := []string{
		"alpine/git",
		"alpine/evil:3.20",
		"docker.io/alpine/evil",
		"index.docker.io/alpine/evil",
		"alpine-evil",
		"library/alpine-evil",
		"DOCKER.IO/library/alpine",
		"docker.io./library/alpine",
		"docker.io:443/library/alpine",
		"registry-1.docker.io/library/alpine",
		"alpine:5000/library/alpine",
	}
	allowed := []string{
		"alpine",
		"alpine:3.20",
		"library/alpine:3.20",
		"docker.io/alpine",
		"docker.io/library/alpine",
		"index.docker.io/library/alpine:3.20",
	}
	for _, entry := range []string{"alpine", "library/alpine", "docker.io/library/alpine", "index.docker.io/library/alpine", "docker.io/alpine"} {
		e := imageEngine(t, []string{entry})
		for _, img := range denied {
			for how, in := range imageInputs(img+digest, "alpine"+digest) {
				wantDeny(t, e, entry+": "+how+" "+img, in, imageRule(in))
			}
		}
		for _, img := range allowed {
			for how, in := range imageInputs(img+digest, "alpine"+digest) {
				wantAllow(t, e, entry+": "+how+" "+img, in)
			}
		}
	}

	// A namespace is allow-listed as one, and covers only itself:
	// "library/" every official image.
	e := imageEngine(t, []string{"alpine/", "ghcr.io/acme", "library/"})
	for _, img := range []string{"alpine/git", "docker.io/alpine/git:2.45", "index.docker.io/alpine/git", "ghcr.io/acme/app", "busybox:1.36", "docker.io/library/busybox"} {
		for how, in := range imageInputs(img+digest, "ghcr.io/acme/app"+digest) {
			wantAllow(t, e, "namespace: "+how+" "+img, in)
		}
	}
	for _, img := range []string{"alpine-evil/app", "acme/app", "GHCR.io/acme/app", "ghcr.io./acme/app", "ghcr.io:443/acme/app"} {
		for how, in := range imageInputs(img+digest, "ghcr.io/acme/app"+digest) {
			wantDeny(t, e, "namespace: "+how+" "+img, in, imageRule(in))
		}
	}
}

// imageEngine is an engine whose pipeline and Kubernetes allow-lists
// are prefixes.
func imageEngine(t testing.TB, prefixes []string) *policy.Engine {
	t.Helper()
	cfg := acmeConfig()
	cfg.Pipeline = policy.PipelineConfig{AllowedImages: prefixes}
	cfg.Kubernetes.AllowedImages = prefixes
	return newConfigured(t, cfg)
}

func imageRule(in policy.Input) string {
	if in.Action == policy.ActionPipelineRun {
		return "pipeline.image_not_allowed"
	}
	return "kubernetes.image_not_allowed"
}

// imageInputs use img each way the library judges an image; ok is an
// allowed image for the container beside an image volume.
func imageInputs(img, ok string) map[string]policy.Input {
	run := func(j policy.PipelineJob) policy.Input {
		return policy.Input{Action: policy.ActionPipelineRun, Job: policy.Job{ID: "x"}, Pipeline: &policy.Pipeline{
			Platform: "github-actions", Jobs: []policy.PipelineJob{j}}}
	}
	admit := func(containerImage string, volumes []any) policy.Input {
		c := map[string]any{"name": "app", "image": containerImage, "securityContext": map[string]any{"allowPrivilegeEscalation": false}}
		spec := map[string]any{"securityContext": map[string]any{"runAsNonRoot": true}, "containers": []any{c}}
		if volumes != nil {
			spec["volumes"] = volumes
		}
		return policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: []map[string]any{
			{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"}, "spec": spec}}}
	}
	return map[string]policy.Input{
		"pipeline image": run(policy.PipelineJob{Name: "build", Images: []string{img}}),
		"docker:// step": run(policy.PipelineJob{Name: "build", Steps: []policy.Step{{Name: "s", Uses: "docker://" + img}}}),
		"step image":     run(policy.PipelineJob{Name: "build", Steps: []policy.Step{{Name: "s", Image: img}}}),
		"container":      admit(img, nil),
		"image volume":   admit(ok, []any{map[string]any{"name": "d", "image": map[string]any{"reference": img}}}),
	}
}

// FuzzReview17DockerHubNames: the library reads an image reference as
// Docker's reference parser does (splitDockerDomain, dockerName below):
// under the allow-list ["alpine"] a pipeline image is covered exactly
// when Docker names it docker.io/library/alpine (or a tag, digest or
// path under it), and never an evaluation error.
func FuzzReview17DockerHubNames(f *testing.F) {
	for _, seed := range []string{
		"alpine", "alpine:3.20", "alpine/git", "library/alpine", "docker.io/alpine", "docker.io/alpine/git",
		"index.docker.io/library/alpine", "DOCKER.IO/library/alpine", "docker.io./library/alpine",
		"alpine:5000/library/alpine", "localhost/alpine", "Alpine/x", "/alpine", "docker://alpine",
		"alpine@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "", "docker.io/", "ａlpine",
	} {
		f.Add(seed)
	}
	e := imageEngine(f, []string{"alpine"})
	f.Fuzz(func(t *testing.T, img string) {
		if !utf8.ValidString(img) {
			t.Skip("JSON carries no invalid UTF-8")
		}
		in := policy.Input{Action: policy.ActionPipelineRun, Job: policy.Job{ID: "x"}, Pipeline: &policy.Pipeline{
			Platform: "github-actions", Jobs: []policy.PipelineJob{{Name: "build", Images: []string{img}}}}}
		d, err := e.Evaluate(t.Context(), in)
		if err != nil {
			t.Fatalf("%q: %v", img, err)
		}
		denied := slices.Contains(rules(d), "pipeline.image_not_allowed")
		name := dockerName(strings.TrimPrefix(img, "docker://"))
		rest, under := strings.CutPrefix(name, "docker.io/library/alpine")
		covered := under && (rest == "" || strings.ContainsAny(rest[:1], "/:@"))
		if !denied && !covered {
			t.Errorf("%q (Docker: %q) is allowed under [alpine]", img, name)
		}
		if denied && covered && !strings.Contains(img, `\`) && !slices.ContainsFunc(strings.Split(img, "/")[1:], func(s string) bool { return s == "." || s == ".." }) {
			t.Errorf("%q (Docker: %q) is denied under [alpine]", img, name)
		}
	})
}

// dockerName is ref's name in full as distribution/reference's
// splitDockerDomain reads it.
func dockerName(ref string) string {
	domain, rest := "docker.io", ref
	if i := strings.IndexByte(ref, '/'); i >= 0 {
		first := ref[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first {
			domain, rest = first, ref[i+1:]
		}
	}
	if domain == "index.docker.io" {
		domain = "docker.io"
	}
	if domain == "docker.io" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	return domain + "/" + rest
}
