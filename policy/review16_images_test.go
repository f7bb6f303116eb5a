package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview16ImageRegistryHost: an allow-listed image prefix covered a
// reference whose first part Docker reads as another registry's host.
// Docker (distribution/reference splitDockerDomain) takes the part
// before the first "/" as the registry when it holds a "." or ":", is
// "localhost" or is not in lower case: "alpine:5000/evil/app" is the
// image evil/app at the registry on host alpine, port 5000, not a tag
// of docker.io/library/alpine, yet "alpine" covered it at its ":"
// boundary. A prefix covers a reference that names a registry only when
// it names that registry whole.
func TestReview16ImageRegistryHost(t *testing.T) {
	t.Parallel()
	const digest = "@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	cfg := acmeConfig()
	cfg.Pipeline = policy.PipelineConfig{AllowedImages: []string{"alpine", "cimg/", "ghcr.io/acme", "registry.example"}}
	e := newConfigured(t, cfg)
	pipeline := func(img string, asStep bool) policy.Input {
		build := policy.PipelineJob{Name: "build", Images: []string{img}}
		if asStep {
			build = policy.PipelineJob{Name: "build", Steps: []policy.Step{{Name: "s", Uses: "docker://" + img}}}
		}
		return policy.Input{Action: policy.ActionPipelineRun, Job: policy.Job{ID: "x"}, Pipeline: &policy.Pipeline{
			Platform: "github-actions", Jobs: []policy.PipelineJob{build}}}
	}
	for _, img := range []string{
		"alpine:5000/evil/app" + digest,
		"alpine:443/library/alpine" + digest,
		"registry.example:5000/app" + digest,
		"Alpine/evil" + digest, // an upper-case first part is a host to Docker
	} {
		wantDeny(t, e, "image "+img, pipeline(img, false), "pipeline.image_not_allowed")
		wantDeny(t, e, "step docker://"+img, pipeline(img, true), "pipeline.image_not_allowed")
	}
	for _, img := range []string{
		"alpine" + digest,
		"alpine:3.19" + digest,
		"cimg/go:1.22" + digest,
		"ghcr.io/acme/app" + digest,
		"ghcr.io/acme:v1" + digest,
		"registry.example/team/app" + digest,
	} {
		wantAllow(t, e, "image "+img, pipeline(img, false))
		wantAllow(t, e, "step docker://"+img, pipeline(img, true))
	}
}
