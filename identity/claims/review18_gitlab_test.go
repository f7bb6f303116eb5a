package claims_test

import (
	"errors"
	"maps"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/claims"
)

func review18GitLab(over map[string]any) map[string]any {
	raw := map[string]any{
		"project_path": "acme/app", "project_id": "20", "namespace_id": "72", "sha": "0123abcd",
		"pipeline_source": "push", "ref": "main", "ref_type": "branch", "ref_path": "refs/heads/main",
		"ref_protected": "true", "environment": "production",
		"ci_config_ref_uri": "gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main",
	}
	maps.Copy(raw, over)
	for k, v := range over {
		if v == nil {
			delete(raw, k)
		}
	}
	return raw
}

// TestReview18EnvironmentProtected: GitLab's environment_protected was
// dropped, so a grant on environment "production" could not tell the
// project's protected production environment from one a developer's job
// on any branch creates by naming it. It is normalized, strictly: a value
// in no documented form is a type error, not "unprotected".
func TestReview18EnvironmentProtected(t *testing.T) {
	t.Parallel()
	prod := identity.All(identity.MatchClaim("environment", "production"), identity.MatchClaim("environment_protected", "true"))
	for _, tc := range []struct {
		name  string
		value any // nil: absent
		want  bool
	}{
		{name: "string true", value: "true", want: true},
		{name: "string false", value: "false"},
		{name: "JSON true", value: true, want: true},
		{name: "JSON false", value: false},
		{name: "absent"},
	} {
		for name, normalize := range map[string]claims.Normalizer{"GitLab": claims.GitLabCI, "ZTCI": claims.ZTCI} {
			raw := review18GitLab(map[string]any{"environment_protected": tc.value})
			raw["repository"] = raw["project_path"] // the ZTCI names
			c, err := normalize(raw)
			if err != nil {
				t.Fatalf("%s %s: %v", name, tc.name, err)
			}
			who := identity.Identity{Issuer: "https://gitlab.com", Subject: "s", Claims: c}
			if c.EnvironmentProtected != tc.want || prod.Match(who) != tc.want {
				t.Errorf("%s %s: EnvironmentProtected = %v, want %v", name, tc.name, c.EnvironmentProtected, tc.want)
			}
		}
	}
	for _, bad := range []any{"", "TRUE", "yes", "1", 1.0, []any{"true"}, map[string]any{}} {
		_, err := claims.GitLabCI(review18GitLab(map[string]any{"environment_protected": bad}))
		var te *claims.ClaimTypeError
		if !errors.Is(err, claims.ErrInvalidClaims) || !errors.As(err, &te) || te.Claim != "environment_protected" {
			t.Errorf("environment_protected %#v: err = %v, want a ClaimTypeError", bad, err)
		}
	}
}

// TestReview18EmptyBoolean: "" was read as false for every boolean claim
// (ref_protected, CircleCI's ssh-rerun), though the contract names only
// true/false and "true"/"false"; a token stating a flag in no documented
// form is refused, so an ssh-rerun job cannot pass as a plain one.
func TestReview18EmptyBoolean(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		normalize claims.Normalizer
		raw       map[string]any
	}{
		"GitLab ref_protected": {claims.GitLabCI, review18GitLab(map[string]any{"ref_protected": ""})},
		"GitHub ref_protected": {claims.GitHubActions, map[string]any{"repository": "o/r", "sha": "abc", "ref_protected": ""}},
		"CircleCI ssh-rerun": {claims.CircleCI, map[string]any{
			"oidc.circleci.com/project-id": "p", "oidc.circleci.com/ssh-rerun": "",
		}},
	} {
		if _, err := tc.normalize(tc.raw); !errors.Is(err, claims.ErrInvalidClaims) {
			t.Errorf("%s \"\": err = %v, want ErrInvalidClaims", name, err)
		}
	}
}

// TestReview18GitLabChildPipelineRef: a child pipeline (pipeline_source
// parent_pipeline) runs on its parent's ref and, when the parent is a
// merge request pipeline, belongs to that merge request: its ref claims
// name the source branch, a fork's "main" perhaps, as the project's
// refs/heads/main, the hole closed for merge request pipelines themselves.
// A child pipeline keeps its ref only when GitLab says it is protected,
// which a merge request pipeline's never is.
func TestReview18GitLabChildPipelineRef(t *testing.T) {
	t.Parallel()
	mainRef := identity.MatchClaim("ref", "refs/heads/main")
	for _, protected := range []any{"false", false, nil} {
		for _, withPath := range []bool{true, false} {
			over := map[string]any{"pipeline_source": "parent_pipeline", "ref_protected": protected}
			if !withPath {
				over["ref_path"] = nil // before GitLab 16: built from ref and ref_type
			}
			c, err := claims.GitLabCI(review18GitLab(over))
			if err != nil {
				t.Fatal(err)
			}
			who := identity.Identity{Issuer: "https://gitlab.com", Subject: "s", Claims: c}
			if c.Ref != "" || c.WorkflowRef != "" || mainRef.Match(who) {
				t.Errorf("ref_protected %v (ref_path %v): Ref %q, WorkflowRef %q, want none", protected, withPath, c.Ref, c.WorkflowRef)
			}
			if c.Repository != "acme/app" || c.Event != "parent_pipeline" || c.Workflow != ".gitlab-ci.yml" {
				t.Errorf("other claims changed: %+v", c)
			}
		}
	}
	// A child pipeline of a protected branch or tag keeps its ref.
	for _, ref := range []map[string]any{
		{"ref_path": "refs/heads/main"},
		{"ref_path": "refs/tags/v1", "ref": "v1", "ref_type": "tag"},
		{"ref_path": nil, "ref": "v1", "ref_type": "tag"},
	} {
		over := map[string]any{"pipeline_source": "parent_pipeline", "ref_protected": "true"}
		maps.Copy(over, ref)
		c, err := claims.GitLabCI(review18GitLab(over))
		if err != nil || c.Ref == "" || !c.RefProtected || c.WorkflowRef == "" {
			t.Errorf("protected child %v: %+v, %v", ref, c, err)
		}
	}
	// Other sources are unchanged: an unprotected push keeps its ref.
	c, err := claims.GitLabCI(review18GitLab(map[string]any{"ref_protected": "false"}))
	if err != nil || c.Ref != "refs/heads/main" {
		t.Errorf("push: %+v, %v", c, err)
	}
}
