package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestLibraryReviewRegressionsThirteenth feeds the pipeline and secrets
// inputs the thirteenth review found allowed through the real entry
// point, configured with LibraryConfig: a step calling a reusable
// workflow, whose jobs (a production deploy among them) no rule saw; a
// commit or version pin that act reads as a branch; an orb or image
// under an allow-listed prefix only until its ".." segment; a deploy
// environment named in a platform's expression syntax the rules did not
// know, or a non-ASCII spelling of production a collation folds to
// it; a secret name a normalizing backend reads as another secret.
// Each must be denied with the named rule; the ordinary cases stay
// allowed.
func TestLibraryReviewRegressionsThirteenth(t *testing.T) {
	t.Parallel()
	const digest = "@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	cfg := acmeConfig()
	cfg.Pipeline = policy.PipelineConfig{AllowedImages: []string{"cimg/"}, AllowedActions: []string{"actions/"}, AllowedOrbs: []string{"circleci/"}}
	cfg.Secrets.Grants = append(cfg.Secrets.Grants, policy.SecretGrant{Secret: "ci/**", Repositories: []string{"acme/app"}, Refs: []string{"refs/heads/*"}, AllowUnprotected: true})
	e := newConfigured(t, cfg)

	pipeline := func(change func(*policy.Pipeline)) policy.Input {
		p := &policy.Pipeline{Platform: "circleci", Path: ".circleci/config.yml", Uses: []string{"circleci/node@5.1.0"},
			Jobs: []policy.PipelineJob{
				{Name: "build", Images: []string{"cimg/go" + digest}, Steps: []policy.Step{{Name: "checkout", Uses: "actions/checkout@" + sha}}},
				{Name: "hold", Type: "approval", Requires: []string{"build"}},
				{Name: "deploy", Environment: "production", Requires: []string{"hold"}, Branches: []string{"main"}},
			}}
		change(p)
		return policy.Input{Action: policy.ActionPipelineRun, Job: policy.Job{ID: "x"}, Pipeline: p}
	}
	step := func(uses string) func(*policy.Pipeline) {
		return func(p *policy.Pipeline) {
			p.Jobs[0].Steps = append(p.Jobs[0].Steps, policy.Step{Name: "s", Uses: uses})
		}
	}
	environment := func(env string) func(*policy.Pipeline) {
		return func(p *policy.Pipeline) { p.Jobs[2].Environment, p.Jobs[2].Branches = env, nil }
	}

	for _, tc := range []struct {
		name   string
		change func(*policy.Pipeline)
		rule   string
	}{
		{"local reusable workflow", step("./.github/workflows/deploy.yml"), "pipeline.workflow_unjudged"},
		{"remote reusable workflow, pinned and allow-listed", step("actions/reusable/.github/workflows/deploy.yml@" + sha), "pipeline.workflow_unjudged"},
		{"action pinned after a branch", func(p *policy.Pipeline) { p.Jobs[0].Steps[0].Uses = "actions/checkout@main@" + sha }, "pipeline.action_not_pinned"},
		{"orb versioned after a label", func(p *policy.Pipeline) { p.Uses = []string{"circleci/node@volatile@5.1.0"} }, "pipeline.orb_not_pinned"},
		{"orb climbing out of its namespace", func(p *policy.Pipeline) { p.Uses = []string{"circleci/../evil/node@5.1.0"} }, "pipeline.orb_not_allowed"},
		{"image climbing out of its namespace", func(p *policy.Pipeline) { p.Jobs[0].Images = []string{"cimg/../evil/go" + digest} }, "pipeline.image_not_allowed"},
		{"Harness expression environment", environment("<+pipeline.variables.env>"), "pipeline.prod_unfiltered"},
		{"Concourse variable environment", environment("((deploy_env))"), "pipeline.prod_unfiltered"},
		{"TeamCity parameter environment", environment("%env.target%"), "pipeline.prod_unfiltered"},
		// A platform that looks environments up without case or accents
		// (a database collation) finds production under this name.
		{"accented production", environment("pr\u00f6d\u00facti\u00f3n"), "pipeline.prod_unfiltered"},
	} {
		wantDeny(t, e, tc.name, pipeline(tc.change), tc.rule)
	}
	wantAllow(t, e, "pinned, allow-listed pipeline", pipeline(func(*policy.Pipeline) {}))
	wantAllow(t, e, "plain staging environment", pipeline(environment("review/feature-1.2")))

	job := policy.Job{ID: "x", Repository: "acme/app", Ref: "refs/heads/feature"}
	secrets := func(name string) policy.Input {
		return policy.Input{Action: policy.ActionSecretsRelease, Job: job, Secrets: &policy.SecretsRequest{Names: []string{name}}}
	}
	// Each is "ci/../prod/db", "prod/db" or holds whitespace or a control
	// once normalized (NFKC) or trimmed by a backend, or ends where a
	// backend putting it in a URL path reads it up to "#" or ";".
	for _, name := range []string{"ci/\uff0e\uff0e/prod/db", "ci/\u2025/prod/db", "ci/\uff50rod", "ci/db\u00a0", "ci/db\u0085", "ci/db#frag", "ci/db;param"} {
		wantDeny(t, e, "secret "+quote(name), secrets(name), "secrets.malformed")
	}
	wantAllow(t, e, "ASCII secret name", secrets("ci/npm/token-1.2"))
}
