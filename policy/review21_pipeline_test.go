package policy_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview21PipelineCircleCISpelledExactly: an orb's or include's
// "@1.2.3" counted as a pin whenever pipeline.platform read "circleci"
// after lower() and trim_space(), so a vendor writing "CircleCI" or
// "circleci " (or a platform of its own whose name folds to it) had a
// GitLab component's movable tag accepted as a pin. Only the spelling
// ztci writes (identity/claims.PlatformCircleCI) relaxes the rule.
func TestReview21PipelineCircleCISpelledExactly(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Pipeline = policy.PipelineConfig{AllowedImages: []string{"cimg/"}, AllowedActions: []string{"actions/"}, AllowedOrbs: []string{"circleci/"}}
	e := newConfigured(t, cfg)

	pipeline := func(platform string) policy.Input {
		return policy.Input{Action: policy.ActionPipelineRun, Job: policy.Job{ID: "x"}, Pipeline: &policy.Pipeline{
			Platform: platform, Path: ".circleci/config.yml", Uses: []string{"circleci/node@5.1.0"},
			Jobs: []policy.PipelineJob{
				{Name: "build", Images: []string{"cimg/go@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
					Steps: []policy.Step{{Name: "checkout", Uses: "actions/checkout@" + sha}}},
				{Name: "hold", Type: "approval", Requires: []string{"build"}},
				{Name: "deploy", Environment: "production", Requires: []string{"hold"}, Branches: []string{"main"}},
			}}}
	}
	for _, p := range []string{"CircleCI", " circleci", "circleci\n", "CIRCLECI", "circleci-server"} {
		wantDeny(t, e, p, pipeline(p), "pipeline.orb_not_pinned")
	}
	if d, err := e.Evaluate(context.Background(), pipeline("CircleCI")); err == nil && len(d.Violations) > 0 &&
		!strings.Contains(d.Violations[0].Message, `platform "circleci", spelled exactly so`) {
		t.Errorf("CircleCI: message %q does not say which spelling counts", d.Violations[0].Message)
	}
	if d, err := e.Evaluate(context.Background(), pipeline("circleci")); err != nil || !d.Allowed {
		t.Errorf("circleci: denied (%v, %v), want allowed", rules(d), err)
	}
}

// TestReview21SecretGrantNullMembersRefused: the configuration schema
// reads null as unset, but secrets.rego read a grant's "issuers": null
// (environments, ids, repository_ids alike) as a list naming nothing:
// the grant covered no job, whatever the docs said. A grant's member
// written null is now refused when the Engine loads the document; left
// out, it is unset.
func TestReview21SecretGrantNullMembersRefused(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"issuers", "environments", "ids", "repository_ids", "secret", "refs", "protected"} {
		doc := libraryConfig()
		grant := section(doc["ztci"].(map[string]any)["config"].(map[string]any), "secrets")["grants"].([]any)[0].(map[string]any)
		grant[key] = nil
		e, err := policy.New(context.Background(), policy.Merge(policy.Builtin(), policy.Data(doc)))
		var ce *policy.ConfigError
		if !errors.As(err, &ce) || !errors.Is(err, policy.ErrInvalidConfig) {
			if e != nil {
				e.Close()
			}
			t.Errorf("%s: null: New = %v; want a *ConfigError", key, err)
			continue
		}
		if want := "secrets.grants[0]." + key + ":"; len(ce.Problems) != 1 || !strings.HasPrefix(ce.Problems[0], want) {
			t.Errorf("%s: problems %q; want one about %s", key, ce.Problems, want)
		}
	}

	// Left out, the member is unset: the grant covers the job.
	doc := libraryConfig()
	grant := section(doc["ztci"].(map[string]any)["config"].(map[string]any), "secrets")["grants"].([]any)[0].(map[string]any)
	delete(grant, "issuers")
	e, err := policy.New(context.Background(), policy.Merge(policy.Builtin(), policy.Data(doc)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	in := policy.Input{Action: policy.ActionSecretsRelease, Job: policy.JobFromIdentity(identityFor("acme/app")), Secrets: &policy.SecretsRequest{Names: []string{"prod/db"}}}
	if d, err := e.Evaluate(context.Background(), in); err != nil || !d.Allowed {
		t.Errorf("issuers left out: denied (%v, %v), want allowed", rules(d), err)
	}
}
