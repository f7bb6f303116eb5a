package claims

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ztci/ztci/identity"
)

func fixture(t testing.TB, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestPlatformFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		file   string
		issuer string
		want   identity.Claims
	}{
		{name: "GitHub Actions", file: "github-actions.json", issuer: "https://token.actions.githubusercontent.com", want: identity.Claims{
			Platform: PlatformGitHubActions, Repository: "octo-org/octo-repo", RepositoryID: "74", RepositoryOwnerID: "65",
			Ref: "refs/heads/main", RefProtected: true,
			Commit: "example-sha", Workflow: "example-workflow",
			WorkflowRef: "octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main",
			RunID:       "example-run-id", RunAttempt: "2", Event: "workflow_dispatch", Actor: "octocat",
			Runner: RunnerHosted, Environment: "prod",
		}},
		{name: "GitLab CI", file: "gitlab-ci.json", issuer: "https://gitlab.com", want: identity.Claims{
			Platform: PlatformGitLabCI, Repository: "my-group/my-project", RepositoryID: "20", RepositoryOwnerID: "72",
			Ref:    "refs/heads/feature-branch-1",
			Commit: "714a629c0b401fdce83e847fc9589983fc6f46bc", Workflow: ".gitlab-ci.yml",
			WorkflowRef: "gitlab.example.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main",
			Job:         "302", RunID: "574", Event: "push", Actor: "sample-user", Runner: RunnerSelfHosted,
			Environment: "test-environment2",
		}},
		{name: "CircleCI", file: "circleci.json", issuer: "https://oidc.circleci.com/org/01234567-89ab-cdef-0123-4567890abcde", want: identity.Claims{
			Platform: PlatformCircleCI, Repository: "github.com/circleci/example-repo", Ref: "refs/heads/main",
			RepositoryID: "abcdef01-2345-6789-abcd-ef0123456789", RepositoryOwnerID: "01234567-89ab-cdef-0123-4567890abcde",
			Workflow: "0f3c3b6e-6a3e-4b0e-9b8a-0f2f6f1c2d3e", WorkflowRef: "0f3c3b6e-6a3e-4b0e-9b8a-0f2f6f1c2d3e",
			Job: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", RunID: "8f2e1d0c-3b4a-4c5d-9e6f-7a8b9c0d1e2f",
			Actor: "76543210-fedc-ba98-7654-3210fedcba98",
		}},
		{name: "Buildkite", file: "buildkite.json", issuer: "https://agent.buildkite.com", want: identity.Claims{
			Platform: PlatformBuildkite, Repository: "acme-inc/super-duper-app", Ref: "refs/heads/main",
			Commit: "9f3182061f1e2cb6a7ab59d5f36d1bd07f0cfaa0", Workflow: "super-duper-app", Job: "build",
			RunID: "1", Event: "ui", Runner: RunnerHosted,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ForIssuer(tc.issuer)(fixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("claims =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// TestStableIDs: every platform that signs them names the repository (or
// project, or pipeline) and its owner by ids as well as by names. A name is
// not an identity: when an owner renames or deletes an account, anyone may
// register the old name and recreate the repository ("repojacking"), and
// its jobs then get tokens with the same repository claim. Their ids differ,
// so a grant or SPIFFE ID template that binds the ids refuses them.
func TestStableIDs(t *testing.T) {
	t.Parallel()
	bk := fixture(t, "buildkite.json")
	bk["organization_id"] = "0184990a-4782-42b5-afc1-16715b10b8ff"
	bk["pipeline_id"] = "0184990a-477b-4fa8-9968-496074483cee"
	circle := fixture(t, "circleci.json")
	circle["sub"] = "org/01234567-89ab-cdef-0123-4567890abcde/project/00000000-0000-0000-0000-000000000000/user/1"
	tests := []struct {
		name              string
		normalize         Normalizer
		raw               map[string]any
		repo, owner       string
		wantErr, wantType bool
	}{
		{name: "GitHub", normalize: GitHubActions, raw: fixture(t, "github-actions.json"), repo: "74", owner: "65"},
		{name: "GitHub ids as numbers", normalize: GitHubActions, raw: with(fixture(t, "github-actions.json"), "repository_id", 74.0, "repository_owner_id", 65.0), repo: "74", owner: "65"},
		{name: "GitHub id as object", normalize: GitHubActions, raw: with(fixture(t, "github-actions.json"), "repository_id", map[string]any{}), wantErr: true, wantType: true},
		{name: "GitLab", normalize: GitLabCI, raw: fixture(t, "gitlab-ci.json"), repo: "20", owner: "72"},
		{name: "CircleCI", normalize: CircleCI, raw: fixture(t, "circleci.json"), repo: "abcdef01-2345-6789-abcd-ef0123456789", owner: "01234567-89ab-cdef-0123-4567890abcde"},
		{name: "CircleCI sub naming another project: no owner", normalize: CircleCI, raw: circle, repo: "abcdef01-2345-6789-abcd-ef0123456789"},
		{name: "Buildkite with the optional id claims", normalize: Buildkite, raw: bk, repo: "0184990a-477b-4fa8-9968-496074483cee", owner: "0184990a-4782-42b5-afc1-16715b10b8ff"},
		{name: "Buildkite without them", normalize: Buildkite, raw: fixture(t, "buildkite.json")},
		{name: "ztci", normalize: ZTCI, raw: fixture(t, "github-actions.json"), repo: "74", owner: "65"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := tc.normalize(tc.raw)
			if tc.wantErr {
				var te *ClaimTypeError
				if !errors.Is(err, ErrInvalidClaims) || tc.wantType != errors.As(err, &te) {
					t.Fatalf("err = %v, want ErrInvalidClaims (type error: %v)", err, tc.wantType)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.RepositoryID != tc.repo || c.RepositoryOwnerID != tc.owner {
				t.Fatalf("ids = %q, %q; want %q, %q", c.RepositoryID, c.RepositoryOwnerID, tc.repo, tc.owner)
			}
			if c.Get("repository_id") != tc.repo || c.Get("repository_owner_id") != tc.owner {
				t.Fatal("Get does not name the ids")
			}
		})
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func TestNormalizerErrors(t *testing.T) {
	t.Parallel()
	gh := fixture(t, "github-actions.json")
	set := func(m map[string]any, k string, v any) map[string]any {
		out := map[string]any{}
		for kk, vv := range m {
			out[kk] = vv
		}
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name      string
		normalize Normalizer
		raw       map[string]any
		wantType  bool
	}{
		{name: "GitHub without repository", normalize: GitHubActions, raw: set(gh, "repository", nil)},
		{name: "GitHub repository as object", normalize: GitHubActions, raw: set(gh, "repository", map[string]any{"a": 1}), wantType: true},
		{name: "GitHub ref_protected not boolean", normalize: GitHubActions, raw: set(gh, "ref_protected", "yes"), wantType: true},
		{name: "GitHub run_id fractional", normalize: GitHubActions, raw: set(gh, "run_id", 1.5), wantType: true},
		{name: "GitLab without sha", normalize: GitLabCI, raw: set(fixture(t, "gitlab-ci.json"), "sha", nil)},
		{name: "CircleCI without project", normalize: CircleCI, raw: set(fixture(t, "circleci.json"), "oidc.circleci.com/project-id", nil)},
		{name: "Buildkite commit as array", normalize: Buildkite, raw: set(fixture(t, "buildkite.json"), "build_commit", []any{"x"}), wantType: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.normalize(tc.raw)
			if !errors.Is(err, ErrInvalidClaims) {
				t.Fatalf("err = %v, want ErrInvalidClaims", err)
			}
			var te *ClaimTypeError
			var me *MissingClaimError
			if tc.wantType && !errors.As(err, &te) || !tc.wantType && !errors.As(err, &me) {
				t.Fatalf("err = %#v: wrong error type", err)
			}
		})
	}
}

func TestForIssuer(t *testing.T) {
	t.Parallel()
	raw := fixture(t, "github-actions.json")
	raw["platform"] = "acme-ci"
	c, err := ForIssuer("https://ci.acme.example")(raw)
	if err != nil || c.Platform != "acme-ci" || c.Commit != "example-sha" {
		t.Fatalf("ZTCI normalizer = %+v, %v", c, err)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, name := range []string{"github-actions.json", "gitlab-ci.json", "circleci.json", "buildkite.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"repository":1e300,"sha":true,"ref_protected":[]}`))
	normalizers := []Normalizer{GitHubActions, GitLabCI, CircleCI, Buildkite, ZTCI}
	f.Fuzz(func(t *testing.T, b []byte) {
		var raw map[string]any
		if json.Unmarshal(b, &raw) != nil {
			return
		}
		for _, n := range normalizers {
			c, err := n(raw)
			if err != nil && !errors.Is(err, ErrInvalidClaims) {
				t.Fatalf("error %v outside ErrInvalidClaims", err)
			}
			if err == nil && c.Platform == "" {
				t.Fatal("normalized claims without platform")
			}
		}
	})
}
