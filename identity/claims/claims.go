package claims

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ztci/ztci/identity"
)

// Platform names set in [identity.Claims.Platform].
const (
	PlatformGitHubActions = "github-actions"
	PlatformGitLabCI      = "gitlab-ci"
	PlatformCircleCI      = "circleci"
	PlatformBuildkite     = "buildkite"
	PlatformZTCI          = "ztci"
)

// EventSSHRerun is the [identity.Claims.Event] of a CircleCI job started
// with "Rerun job with SSH" (claim oidc.circleci.com/ssh-rerun true): a
// person holds an interactive shell in the job, with its OIDC token,
// contexts and secrets, and runs what they type rather than what the
// pipeline says. It is one of [DefaultUntrustedTriggers].
const EventSSHRerun = "ssh-rerun"

// DefaultUntrustedTriggers returns, in a new slice, the run triggers (the
// normalized [identity.Claims.Event], lower case) that identity/exchange's
// WithUntrustedTriggers and policy/egress's WithUntrustedTriggers distrust
// by default, and that the policy library's LibraryConfig.UntrustedTriggers
// names by default (its Rego copy is tested against this one):
//
//   - pull_request_target (GitHub): runs for a pull request from anyone
//     with the base branch's ref, ref_protected true and the repository's
//     secrets; a workflow that checks out the pull request runs
//     unreviewed code under the protected ref's name.
//   - workflow_run (GitHub): runs the same way after a workflow such a
//     pull request started, commonly on that run's artifacts.
//   - ssh-rerun ([EventSSHRerun], CircleCI): an interactive shell holding
//     the job's identity runs whatever its user types.
//
// Not in the default: GitHub's issue_comment, issues, discussion and
// discussion_comment, which run the default branch's reviewed workflow
// for anyone who may comment (list them if a workflow on one checks out a
// pull request's code); pull_request_review(_comment), which runs on the
// unprotected merge ref; GitLab's pipeline sources, whose merge request
// and child pipelines already get no Ref (see [GitLabCI]); Buildkite's
// build sources (see [Buildkite]: its branch is never a protected ref).
func DefaultUntrustedTriggers() []string {
	return []string{"pull_request_target", "workflow_run", EventSSHRerun}
}

// NormalEvent is a run trigger (Claims.Event, or an entry of an untrusted
// triggers list) as every ztci package compares it: without case and
// surrounding space, as the policy library does (lower and trim_space).
func NormalEvent(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// Runner kinds set in [identity.Claims.Runner].
const (
	RunnerHosted     = "hosted"
	RunnerSelfHosted = "self-hosted"
)

// ErrInvalidClaims reports raw claims a normalizer cannot map: a required
// claim is missing, or a claim has the wrong JSON type.
var ErrInvalidClaims = errors.New("claims: invalid")

// ClaimTypeError reports a claim whose JSON type is not the documented one.
type ClaimTypeError struct {
	Claim string
	Want  string // "string or integer" (below 2^53), "boolean"
	Got   string // the JSON type found
}

func (e *ClaimTypeError) Error() string {
	return fmt.Sprintf("%v: claim %q: want %s, got %s", ErrInvalidClaims, e.Claim, e.Want, e.Got)
}

func (e *ClaimTypeError) Unwrap() error { return ErrInvalidClaims }

// MissingClaimError reports a required claim that is absent or empty.
type MissingClaimError struct{ Claim string }

func (e *MissingClaimError) Error() string {
	return fmt.Sprintf("%v: required claim %q is missing", ErrInvalidClaims, e.Claim)
}

func (e *MissingClaimError) Unwrap() error { return ErrInvalidClaims }

// Normalizer maps the verified raw claims of a token (as decoded by
// encoding/json into map[string]any) onto [identity.Claims]. It must not
// trust anything the signature did not cover, and must fail rather than
// guess when a claim has an unexpected type.
type Normalizer func(raw map[string]any) (identity.Claims, error)

// ForIssuer returns the normalizer for a well-known CI issuer URL, and
// [ZTCI] (GitHub-compatible names, as minted by identity/oidc) otherwise.
// Self-hosted GitLab or GitHub Enterprise issuers must be configured
// explicitly with the platform's normalizer.
func ForIssuer(issuer string) Normalizer {
	switch {
	case issuer == "https://token.actions.githubusercontent.com" ||
		strings.HasPrefix(issuer, "https://token.actions.githubusercontent.com/"):
		return GitHubActions
	case issuer == "https://gitlab.com":
		return GitLabCI
	case strings.HasPrefix(issuer, "https://oidc.circleci.com/org/"):
		return CircleCI
	case issuer == "https://agent.buildkite.com":
		return Buildkite
	}
	return ZTCI
}

// reader extracts typed claims and remembers the first type error.
type reader struct {
	raw map[string]any
	err error
}

// maxExactInteger bounds the integers a float64 holds exactly: from 2^53
// on, encoding/json rounds ("9007199254740993" arrives as ...992).
const maxExactInteger = 1 << 53

// str returns a string claim; integers are formatted (CI systems disagree
// on whether ids are strings or numbers); absent or null is "". An integer
// of magnitude 2^53 or more is a type error, not rounded: the raw claims
// come through encoding/json as float64, so such a number would be
// normalized to another value than the token states, and two distinct
// ids (repository_id, repository_owner_id, the immutable ids grants and
// exchange templates bind) to one.
func (r *reader) str(name string) string {
	v, ok := r.raw[name]
	if !ok || v == nil {
		return ""
	}
	switch v := v.(type) {
	case string:
		return v
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < maxExactInteger {
			return strconv.FormatInt(int64(v), 10)
		}
	}
	r.fail(name, "string or integer", v)
	return ""
}

// boolean accepts true/false or "true"/"false" (GitHub and GitLab send
// strings); absent or null is false. Anything else, "" included, is a type
// error: a flag the token states in no documented form is not read as
// either value.
func (r *reader) boolean(name string) bool {
	v, ok := r.raw[name]
	if !ok || v == nil {
		return false
	}
	switch v {
	case true, "true":
		return true
	case false, "false":
		return false
	}
	r.fail(name, "boolean", v)
	return false
}

func (r *reader) require(name string) string {
	s := r.str(name)
	if s == "" && r.err == nil {
		r.err = &MissingClaimError{Claim: name}
	}
	return s
}

func (r *reader) fail(name, want string, v any) {
	if r.err == nil {
		r.err = &ClaimTypeError{Claim: name, Want: want, Got: jsonType(v)}
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func runner(env, hosted string) string {
	switch env {
	case "":
		return ""
	case hosted:
		return RunnerHosted
	case "self-hosted":
		return RunnerSelfHosted
	}
	return env
}

// GitHubActions normalizes a GitHub Actions OIDC token
// (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect).
// repository and sha are required.
func GitHubActions(raw map[string]any) (identity.Claims, error) {
	r := reader{raw: raw}
	c := identity.Claims{
		Platform:          PlatformGitHubActions,
		Repository:        r.require("repository"),
		RepositoryID:      r.str("repository_id"),
		RepositoryOwnerID: r.str("repository_owner_id"),
		Ref:               r.str("ref"),
		RefProtected:      r.boolean("ref_protected"),
		Commit:            r.require("sha"),
		Workflow:          r.str("workflow"),
		WorkflowRef:       r.str("job_workflow_ref"),
		RunID:             r.str("run_id"),
		RunAttempt:        r.str("run_attempt"),
		Event:             r.str("event_name"),
		Actor:             r.str("actor"),
		Runner:            runner(r.str("runner_environment"), "github-hosted"),
		Environment:       r.str("environment"),
	}
	if c.WorkflowRef == "" {
		c.WorkflowRef = r.str("workflow_ref")
	}
	return c, r.err
}

// ZTCI normalizes a job token minted by identity/oidc's Issuer, which uses
// GitHub-compatible claim names plus "job" and "platform" (the CI system the
// vendor runs; default "ztci").
func ZTCI(raw map[string]any) (identity.Claims, error) {
	r := reader{raw: raw}
	c := identity.Claims{
		Platform:          r.str("platform"),
		Repository:        r.str("repository"),
		RepositoryID:      r.str("repository_id"),
		RepositoryOwnerID: r.str("repository_owner_id"),
		Ref:               r.str("ref"),
		RefProtected:      r.boolean("ref_protected"),
		Commit:            r.str("sha"),
		Workflow:          r.str("workflow"),
		WorkflowRef:       r.str("workflow_ref"),
		Job:               r.str("job"),
		RunID:             r.str("run_id"),
		RunAttempt:        r.str("run_attempt"),
		Event:             r.str("event_name"),
		Actor:             r.str("actor"),
		Runner:            r.str("runner_environment"),
		Environment:       r.str("environment"),
		// identity/oidc writes it, as GitLab does, for a job with an
		// environment.
		EnvironmentProtected: r.boolean("environment_protected"),
	}
	if c.Platform == "" {
		c.Platform = PlatformZTCI
	}
	return c, r.err
}

// GitLabCI normalizes a GitLab CI ID token
// (https://docs.gitlab.com/ci/secrets/id_token_authentication/). GitLab's
// ref is short ("main"); the full ref comes from ref_path, or is built from
// ref_type. project_path and sha are required. A merge request pipeline
// (pipeline_source merge_request_event or external_pull_request_event) has
// no Ref nor WorkflowRef: GitLab names its source branch, perhaps a fork's,
// as a branch of the target project. Nor has a child pipeline
// (parent_pipeline) whose ref GitLab does not say is protected: its parent
// may be a merge request pipeline.
func GitLabCI(raw map[string]any) (identity.Claims, error) {
	r := reader{raw: raw}
	c := identity.Claims{
		Platform:             PlatformGitLabCI,
		Repository:           r.require("project_path"),
		RepositoryID:         r.str("project_id"),
		RepositoryOwnerID:    r.str("namespace_id"),
		Ref:                  r.str("ref_path"),
		RefProtected:         r.boolean("ref_protected"),
		Commit:               r.require("sha"),
		Workflow:             r.str("ci_config_ref_uri"),
		WorkflowRef:          r.str("ci_config_ref_uri"),
		Job:                  r.str("job_id"),
		RunID:                r.str("pipeline_id"),
		Event:                r.str("pipeline_source"),
		Actor:                r.str("user_login"),
		Runner:               runner(r.str("runner_environment"), "gitlab-hosted"),
		Environment:          r.str("environment"),
		EnvironmentProtected: r.boolean("environment_protected"),
	}
	if c.Ref == "" {
		switch ref, typ := r.str("ref"), r.str("ref_type"); {
		case ref == "":
		case typ == "branch":
			c.Ref = "refs/heads/" + ref
		case typ == "tag":
			c.Ref = "refs/tags/" + ref
		}
	}
	if i := strings.LastIndex(c.Workflow, "//"); i >= 0 {
		c.Workflow, _, _ = strings.Cut(c.Workflow[i+2:], "@")
	}
	switch {
	case gitLabChangeRequest(c.Event):
		// GitLab writes a merge request pipeline's source branch as
		// "refs/heads/<branch>" (ref_path, ref and ref_type, and the ref
		// of ci_config_ref_uri), next to the target project's path,
		// whatever project the branch lives in: a fork's branch named
		// "main" reads as the project's own refs/heads/main, with the
		// fork's commit and CI configuration. No ref of the project holds
		// what such a pipeline builds (GitHub names a pull request's merge
		// ref, refs/pull/<n>/merge): Ref and WorkflowRef stay empty.
		c.Ref, c.WorkflowRef = "", ""
	case c.Event == gitLabChildPipeline && !c.RefProtected:
		// A child pipeline runs on its parent's ref and belongs to the
		// parent's merge request, if any: the child of a merge request
		// pipeline names the same source branch, a fork's perhaps, as
		// "refs/heads/<branch>", and no claim says whether the parent
		// was one. GitLab marks a merge request pipeline's ref
		// unprotected (its ref is refs/merge-requests/<iid>/head, which
		// no protection rule covers), so a protected ref is a branch or
		// tag of the project; any other is unknown.
		c.Ref, c.WorkflowRef = "", ""
	}
	return c, r.err
}

// gitLabChildPipeline is the pipeline_source of a GitLab child pipeline
// (trigger: include), which inherits its parent's ref.
const gitLabChildPipeline = "parent_pipeline"

// gitLabChangeRequest reports whether source, a pipeline_source, is that of
// a GitLab pipeline for a merge request (or for a GitHub pull request
// mirrored into GitLab), whose ref claims name the source branch.
func gitLabChangeRequest(source string) bool {
	return source == "merge_request_event" || source == "external_pull_request_event"
}

const circle = "oidc.circleci.com/"

// CircleCI normalizes a CircleCI OIDC token
// (https://circleci.com/docs/guides/permissions-authentication/openid-connect-tokens/).
// CircleCI names the repository by its VCS origin ("github.com/org/repo"),
// which becomes Repository; project-id is required.
//
// Ref (vcs-ref) is a ref of Repository (vcs-origin), not necessarily of
// the project's repository: a forked pull request's build, which gets a
// token when the project passes secrets to builds from forked pull
// requests, states the fork's origin and the fork's branch (perhaps one
// named "main", "refs/heads/main") next to the project's own project-id,
// so RepositoryID and Ref together name the fork's branch as the
// project's. Bind Ref together with Repository, as CircleCI's
// documentation asks of vcs-origin, never with RepositoryID alone.
func CircleCI(raw map[string]any) (identity.Claims, error) {
	r := reader{raw: raw}
	project := r.require(circle + "project-id")
	c := identity.Claims{
		Platform:     PlatformCircleCI,
		Repository:   r.str(circle + "vcs-origin"),
		RepositoryID: project,
		Ref:          r.str(circle + "vcs-ref"),
		Workflow:     r.str(circle + "pipeline-definition-id"),
		WorkflowRef:  r.str(circle + "pipeline-definition-id"),
		Job:          r.str(circle + "job-id"),
		RunID:        r.str(circle + "workflow-id"),
	}
	c.RepositoryOwnerID, c.Actor = circleSubject(r.str("sub"), project)
	if r.boolean(circle + "ssh-rerun") {
		c.Event = EventSSHRerun
	}
	return c, r.err
}

// circleSubject reads the organization and user ids from a CircleCI sub,
// "org/<org-id>/project/<project-id>/user/<user-id>", to which the V2 token
// appends "/vcs-origin/<origin>/vcs-ref/<ref>". The ids are read by
// position, and only when the sub names project: the origin and the ref
// are the pusher's to choose, so a branch "x/user/<id>" searched for
// "/user/" would name any user as the actor. An id the sub does not hold
// in its place is not read.
func circleSubject(sub, project string) (org, user string) {
	s := strings.SplitN(sub, "/", 7)
	if len(s) < 4 || s[0] != "org" || s[2] != "project" || project == "" || s[3] != project {
		return "", ""
	}
	if len(s) >= 6 && s[4] == "user" && (len(s) == 6 || strings.HasPrefix(s[6], "vcs-origin/")) {
		user = s[5]
	}
	return s[1], user
}

// Buildkite normalizes a Buildkite agent OIDC token
// (https://buildkite.com/docs/agent/v3/cli-oidc). Repository is
// "<organization_slug>/<pipeline_slug>"; both and build_commit are required.
// Ref is "refs/tags/<build_tag>" or "refs/heads/<build_branch>" only when
// that is a name git allows for a ref: Buildkite names a third-party fork's
// branch "<fork owner>:<branch>", which no branch of the repository can be
// named (git refuses ':'), and a build's branch is whatever its creator
// typed. Such a build gets no Ref. Any other branch is still the creator's
// word: a build made in the UI, by the API or by another pipeline's
// trigger step names a branch and a commit of its creator's choosing
// ("main" and an unreviewed commit), and RefProtected is never set. Bind
// what only a protected branch should get to the pipeline (Repository,
// RepositoryID) and to Buildkite's own controls on who may build it, not
// to Ref.
func Buildkite(raw map[string]any) (identity.Claims, error) {
	r := reader{raw: raw}
	org, pipeline := r.require("organization_slug"), r.require("pipeline_slug")
	c := identity.Claims{
		Platform:          PlatformBuildkite,
		Repository:        org + "/" + pipeline,
		RepositoryID:      r.str("pipeline_id"),     // optional claim (--claim pipeline_id)
		RepositoryOwnerID: r.str("organization_id"), // optional claim (--claim organization_id)
		Commit:            r.require("build_commit"),
		Workflow:          pipeline,
		Job:               r.str("step_key"),
		RunID:             r.str("build_number"),
		Event:             r.str("build_source"),
		Runner:            runner(r.str("runner_environment"), "buildkite-hosted"),
	}
	if c.Job == "" {
		c.Job = r.str("job_id")
	}
	if tag := r.str("build_tag"); tag != "" {
		c.Ref = gitRef("refs/tags/", tag)
	} else if b := r.str("build_branch"); b != "" {
		c.Ref = gitRef("refs/heads/", b)
	}
	return c, r.err
}

// gitRef returns prefix+name when git could hold a ref of that name (git
// check-ref-format, and no leading '-' as for a branch), else "": a name
// git refuses (a fork's "owner:branch", "a..b", "x.lock", a space or a
// control byte) is not a ref of the repository, whatever a prefix or glob
// on Ref would make of it.
func gitRef(prefix, name string) string {
	if name == "@" || strings.HasPrefix(name, "-") || strings.HasSuffix(name, ".") ||
		strings.Contains(name, "..") || strings.Contains(name, "@{") {
		return ""
	}
	for _, c := range []byte(name) {
		if c < 0x20 || c == 0x7f || strings.IndexByte(" ~^:?*[\\", c) >= 0 {
			return ""
		}
	}
	for part := range strings.SplitSeq(name, "/") {
		if part == "" || strings.HasPrefix(part, ".") || strings.HasSuffix(part, ".lock") {
			return ""
		}
	}
	return prefix + name
}
