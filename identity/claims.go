package identity

// claimNames lists the names [Claims.Get] accepts, in the order of the
// [Claims] fields: the JSON names of the fields.
var claimNames = [...]string{
	"platform", "repository", "repository_id", "repository_owner_id", "ref",
	"ref_protected", "commit", "workflow", "workflow_ref", "job", "run_id",
	"run_attempt", "event", "actor", "runner", "environment",
	"environment_protected",
}

// ClaimNames returns the names [Claims.Get] accepts.
func ClaimNames() []string { return append([]string(nil), claimNames[:]...) }

// Get returns the claim with the given JSON name ("repository", "ref", ...),
// "true"/"" for ref_protected and environment_protected, and "" for an unknown name or an empty claim.
// It does not allocate.
func (c Claims) Get(name string) string {
	switch name {
	case "platform":
		return c.Platform
	case "repository":
		return c.Repository
	case "repository_id":
		return c.RepositoryID
	case "repository_owner_id":
		return c.RepositoryOwnerID
	case "ref":
		return c.Ref
	case "ref_protected":
		if c.RefProtected {
			return "true"
		}
		return ""
	case "commit":
		return c.Commit
	case "workflow":
		return c.Workflow
	case "workflow_ref":
		return c.WorkflowRef
	case "job":
		return c.Job
	case "run_id":
		return c.RunID
	case "run_attempt":
		return c.RunAttempt
	case "event":
		return c.Event
	case "actor":
		return c.Actor
	case "runner":
		return c.Runner
	case "environment":
		return c.Environment
	case "environment_protected":
		if c.EnvironmentProtected {
			return "true"
		}
		return ""
	default:
		return ""
	}
}
