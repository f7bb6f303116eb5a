package identity

import (
	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/audit"
)

// Identity is who a workload is, established by verifying a credential: a
// SPIFFE ID from an SVID, or an OIDC issuer and subject from a job token, with
// the CI claims normalized across platforms.
//
// The zero Identity is "nobody": it matches no grant.
type Identity struct {
	// SPIFFEID is set when the identity comes from an SVID.
	SPIFFEID spiffeid.ID `json:"spiffe_id,omitzero"`
	// Issuer and Subject are set when the identity comes from an OIDC token.
	Issuer  string `json:"issuer,omitempty"`
	Subject string `json:"subject,omitempty"`
	// Claims are the normalized CI claims, when known.
	Claims Claims `json:"claims,omitzero"`
}

// Claims are CI job claims normalized across platforms (GitHub Actions,
// GitLab CI, CircleCI, Buildkite, and a vendor's own issuer). A field a
// platform does not provide is empty.
type Claims struct {
	// Platform names the CI system, e.g. "github-actions", "gitlab-ci".
	Platform string `json:"platform,omitempty"`
	// Repository is the source repository, e.g. "octo-org/octo-repo".
	// A name is not an identity: once its owner renames or deletes the
	// account or repository, anyone may register the name again and
	// recreate the repository ("repojacking"), and its jobs get tokens with
	// the same Repository. Bind RepositoryID and RepositoryOwnerID too.
	Repository string `json:"repository,omitempty"`
	// RepositoryID and RepositoryOwnerID are the platform's immutable ids of
	// the repository (GitLab: project, Buildkite: pipeline) and of its owner
	// (GitHub: user or organization, GitLab: namespace, CircleCI and
	// Buildkite: organization). A repository keeps them across renames, and
	// one recreated under a released name gets new ones.
	RepositoryID      string `json:"repository_id,omitempty"`
	RepositoryOwnerID string `json:"repository_owner_id,omitempty"`
	// Ref is the full git ref, e.g. "refs/heads/main". Empty where the
	// platform names no ref of the repository: a GitLab merge request
	// pipeline, whose ref claims name its source branch (a fork's,
	// perhaps) as the project's own, a GitLab child pipeline on a ref
	// GitLab does not say is protected (its parent may be such a
	// pipeline), or a Buildkite build whose branch
	// git could not name, a fork's "<owner>:<branch>" (see identity/claims).
	Ref string `json:"ref,omitempty"`
	// RefProtected reports whether the platform says the ref is protected.
	RefProtected bool `json:"ref_protected,omitempty"`
	// Commit is the commit SHA being built.
	Commit string `json:"commit,omitempty"`
	// Workflow is the pipeline or workflow definition's name or path.
	Workflow string `json:"workflow,omitempty"`
	// WorkflowRef pins the workflow definition, e.g. "org/repo/.github/workflows/x.yml@refs/heads/main".
	// On GitHub it is the definition of the job (job_workflow_ref): for a
	// reusable workflow, the called one, which any repository allowed to
	// read it (every repository, for a public one) may call, at the ref the
	// caller names. It says what ran, not for whom: bind Repository's ids
	// too.
	// Empty where Ref is for want of a ref (a GitLab merge request
	// pipeline or unprotected child pipeline).
	WorkflowRef string `json:"workflow_ref,omitempty"`
	// Job is the job's name or id within the run.
	Job string `json:"job,omitempty"`
	// RunID and RunAttempt identify the run.
	RunID      string `json:"run_id,omitempty"`
	RunAttempt string `json:"run_attempt,omitempty"`
	// Event is what triggered the run, e.g. "push", "pull_request", "schedule".
	Event string `json:"event,omitempty"`
	// Actor is the human or bot that triggered the run: on GitHub and
	// GitLab a login, which its owner can change and anyone may register
	// once released (as a repository name, see Repository), and, for a
	// GitHub pull_request run, whoever opened or updated the pull request,
	// from a fork perhaps. It is not an identity to grant on (CircleCI's
	// is an id).
	Actor string `json:"actor,omitempty"`
	// Runner is "hosted" or "self-hosted".
	Runner string `json:"runner,omitempty"`
	// Environment is the deployment environment the job targets, if any.
	// Its name is the pipeline author's word: on GitLab a job names any
	// environment, and creates it, from any branch. Bind
	// EnvironmentProtected too where the name stands for a guarded target.
	Environment string `json:"environment,omitempty"`
	// EnvironmentProtected reports whether the platform says Environment is
	// protected (GitLab's environment_protected: only the users and groups
	// the project allows may deploy to it). GitHub names no such claim.
	EnvironmentProtected bool `json:"environment_protected,omitempty"`
}

// ID returns a stable identifier: the SPIFFE ID, or "<issuer>#<subject>", or
// "" for the zero Identity.
func (id Identity) ID() string {
	switch {
	case !id.SPIFFEID.IsZero():
		return id.SPIFFEID.String()
	case id.Issuer != "" || id.Subject != "":
		return id.Issuer + "#" + id.Subject
	default:
		return ""
	}
}

// IsZero reports whether id identifies nobody.
func (id Identity) IsZero() bool { return id.ID() == "" }

// AuditActor returns the identity as an audit actor. Claims are not secret.
func (id Identity) AuditActor() audit.Actor {
	kind := "job"
	if !id.SPIFFEID.IsZero() {
		kind = "workload"
	}
	return audit.Actor{ID: id.ID(), Kind: kind, Claims: id.Claims.Map()}
}

// Map returns the non-empty claims keyed by their JSON names.
func (c Claims) Map() map[string]string {
	m := map[string]string{}
	add := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	add("platform", c.Platform)
	add("repository", c.Repository)
	add("repository_id", c.RepositoryID)
	add("repository_owner_id", c.RepositoryOwnerID)
	add("ref", c.Ref)
	if c.RefProtected {
		m["ref_protected"] = "true"
	}
	add("commit", c.Commit)
	add("workflow", c.Workflow)
	add("workflow_ref", c.WorkflowRef)
	add("job", c.Job)
	add("run_id", c.RunID)
	add("run_attempt", c.RunAttempt)
	add("event", c.Event)
	add("actor", c.Actor)
	add("runner", c.Runner)
	add("environment", c.Environment)
	if c.EnvironmentProtected {
		m["environment_protected"] = "true"
	}
	if len(m) == 0 {
		return nil
	}
	return m
}
