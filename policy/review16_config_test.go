package policy_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview16ProductionEnvironmentsConfig: LibraryConfig.Validate
// refuses an empty ProductionEnvironments ("it would exempt every job")
// and an entry that is not a plain name, but a hand-written data document
// (an OPA bundle's data.json) holding "production_environments": [] loaded,
// and the pipeline rules then judged no job as production: an unfiltered
// production deploy without an approval was allowed. The engine refuses
// such a document as it refuses other values the library cannot read.
func TestReview16ProductionEnvironmentsConfig(t *testing.T) {
	t.Parallel()
	for name, envs := range map[string]any{
		"empty list":       []any{},
		"empty entry":      []any{"production", ""},
		"pattern entry":    []any{"production-*"},
		"not a list":       "production",
		"non-string entry": []any{1},
	} {
		doc := libraryConfig()
		section(doc["ztci"].(map[string]any)["config"].(map[string]any), "pipeline")["production_environments"] = envs
		e, err := policy.New(context.Background(), policy.Merge(policy.Builtin(), policy.Data(doc)))
		var ce *policy.ConfigError
		if !errors.As(err, &ce) {
			if e != nil {
				if d, err := e.Evaluate(context.Background(), unfilteredDeploy()); err == nil && d.Allowed {
					t.Errorf("%s: an unfiltered production deploy without approval was allowed", name)
				}
				e.Close()
			}
			t.Errorf("%s: New = %v; want a *ConfigError", name, err)
			continue
		}
		if len(ce.Problems) != 1 || !strings.HasPrefix(ce.Problems[0], "pipeline.production_environments:") {
			t.Errorf("%s: problems %q; want one about pipeline.production_environments", name, ce.Problems)
		}
	}

	// Plain names load, and null reads as unset (the default).
	for name, envs := range map[string]any{"plain names": []any{"production", "Prod EU", "prod/eu-1"}, "null": nil} {
		doc := libraryConfig()
		section(doc["ztci"].(map[string]any)["config"].(map[string]any), "pipeline")["production_environments"] = envs
		e, err := policy.New(context.Background(), policy.Merge(policy.Builtin(), policy.Data(doc)))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		wantDeny(t, e, name, unfilteredDeploy(), "pipeline.prod_unfiltered")
		e.Close()
	}
}

// unfilteredDeploy is a pipeline whose production job runs on every
// branch without an approval.
func unfilteredDeploy() policy.Input {
	return policy.Input{Action: policy.ActionPipelineRun, Job: policy.Job{ID: "x"}, Pipeline: &policy.Pipeline{
		Platform: "circleci", Jobs: []policy.PipelineJob{{Name: "deploy", Environment: "production"}}}}
}
