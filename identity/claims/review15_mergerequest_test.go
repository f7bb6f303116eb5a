package claims_test

import (
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/claims"
)

// TestReview15GitLabMergeRequestRef: GitLab writes a merge request
// pipeline's source branch into ref_path ("refs/heads/" + source branch,
// Ci::Pipeline#source_ref_path), ref/ref_type and ci_config_ref_uri, under
// the target project's project_path. A fork's branch named "main", run in
// the parent project, read as the project's refs/heads/main, so a grant on
// ref or workflow_ref (MatchClaim("ref", "refs/heads/main")) admitted the
// fork's commit and CI configuration. Such pipelines normalize no ref.
func TestReview15GitLabMergeRequestRef(t *testing.T) {
	t.Parallel()
	fork := map[string]any{
		"project_path": "acme/app", "project_id": "20", "namespace_id": "72", "sha": "0123abcd",
		"pipeline_source": "merge_request_event", "ref": "main", "ref_type": "branch",
		"ref_path": "refs/heads/main", "ref_protected": "false",
		"ci_config_ref_uri": "gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main",
	}
	for _, source := range []string{"merge_request_event", "external_pull_request_event"} {
		for _, withPath := range []bool{true, false} {
			raw := map[string]any{}
			for k, v := range fork {
				raw[k] = v
			}
			raw["pipeline_source"] = source
			if !withPath {
				delete(raw, "ref_path") // before GitLab 16: built from ref and ref_type
			}
			c, err := claims.GitLabCI(raw)
			if err != nil {
				t.Fatal(err)
			}
			who := identity.Identity{Issuer: "https://gitlab.com", Subject: "project_path:acme/app:ref_type:branch:ref:main", Claims: c}
			if identity.MatchClaim("ref", "refs/heads/main").Match(who) || c.Ref != "" {
				t.Errorf("%s (ref_path %v): Ref = %q, want none", source, withPath, c.Ref)
			}
			if c.WorkflowRef != "" {
				t.Errorf("%s (ref_path %v): WorkflowRef = %q, want none", source, withPath, c.WorkflowRef)
			}
			if c.Repository != "acme/app" || c.Event != source || c.Workflow != ".gitlab-ci.yml" {
				t.Errorf("%s: other claims changed: %+v", source, c)
			}
		}
	}
	// A push pipeline keeps its ref.
	fork["pipeline_source"] = "push"
	c, err := claims.GitLabCI(fork)
	if err != nil || c.Ref != "refs/heads/main" || c.WorkflowRef != "gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main" {
		t.Fatalf("push: %+v, %v", c, err)
	}
}
