// Package claims maps the documented OIDC token claims of CI platforms
// (GitHub Actions, GitLab CI, CircleCI, Buildkite, and ztci's own issuer)
// onto the normalized [identity.Claims].
//
// A [Normalizer] runs only on claims whose signature has been verified
// (identity/oidc calls it). [ForIssuer] picks one by issuer URL:
//
//	c, err := claims.GitHubActions(raw) // raw: verified claims
//	if err != nil { ... }                // missing repository/sha, or a wrong JSON type
//	fmt.Println(c.Repository, c.Ref, c.Runner)
//
// Besides names, each normalizer fills the platform's immutable ids of the
// repository and its owner when the token carries them (GitHub
// repository_id and repository_owner_id, GitLab project_id and
// namespace_id, CircleCI project-id and the organization of its sub,
// Buildkite's optional pipeline_id and organization_id): a name can be
// registered again after a rename or deletion, an id cannot. CircleCI's
// organization and actor (user) ids are read from the sub by position,
// "org/<org>/project/<project>/user/<user>", and only when it names the
// token's project: the V2 token's "/vcs-origin/<origin>/vcs-ref/<ref>"
// suffix, which the pusher names, is never searched.
//
// Security contract: a normalizer never fills a field from a claim of the
// wrong type (integers are accepted where platforms disagree on ids, but
// only below 2^53, where a JSON number read as float64 is still the number
// the token states; booleans as true/false or "true"/"false" only, absent
// or null being false and anything else, "" included, a type error),
// fails with [ErrInvalidClaims] when a required claim is missing or has
// the wrong type, and never copies unsigned data. A ref is normalized only when it
// names a ref of the repository the token names: GitLab merge request
// pipelines, whose ref claims spell the source branch (a fork's, perhaps
// one named "main") as "refs/heads/<branch>" of the target project, get
// neither Ref nor WorkflowRef, and neither do GitLab child pipelines
// (pipeline_source parent_pipeline) unless ref_protected is true: a child
// pipeline runs on its parent's ref and belongs to its merge request, so
// the child of a merge request pipeline names the same source branch, and
// no claim says whether the parent was one. GitLab computes a merge
// request pipeline's protection on its refs/merge-requests/<iid>/head ref,
// which no protection rule covers, so a protected child pipeline runs on a
// branch or tag of the project; a legitimate child pipeline of an
// unprotected branch or tag loses its Ref too (protect the ref a grant
// names). A Buildkite build whose build_branch or build_tag is not a name
// git allows for a ref (a third-party fork's "<owner>:<branch>", "a..b", a
// space) gets no Ref. A Buildkite branch is otherwise the build creator's
// word, not a ref git vouches for, with a commit of the creator's choosing
// (RefProtected is never set for Buildkite). A CircleCI Ref is a ref of
// the token's vcs-origin (Repository), which for a forked pull request's
// build (when the project passes secrets to forked builds) is the fork:
// its branch "main" is "refs/heads/main" next to the project's own
// project-id (RepositoryID), so bind a CircleCI Ref with Repository,
// never with RepositoryID alone.
//
// The event claim each platform states becomes Event: GitHub's event_name,
// GitLab's pipeline_source, Buildkite's build_source, ztci's event_name,
// and, for a CircleCI job rerun with SSH (oidc.circleci.com/ssh-rerun),
// [EventSSHRerun] (CircleCI states no other trigger). [DefaultUntrustedTriggers]
// is the list of triggers identity/exchange, policy/egress and the policy
// library distrust by default.
//
// GitLab's environment_protected becomes EnvironmentProtected (also read
// from ztci's own issuer, which writes it as GitLab does): a job names,
// and so creates, any environment from any branch, and only the flag says
// the project restricts who deploys to it. Require both in a grant:
//
//	identity.All(identity.MatchClaim("environment", "production"),
//		identity.MatchClaim("environment_protected", "true"))
//
// GitHub's token names no such flag (an environment's protection rules
// hold back the job itself), so a GitHub job never has it set.
package claims
