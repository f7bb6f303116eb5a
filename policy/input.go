package policy

import (
	"github.com/ztci/ztci/identity"
)

// Actions name what an [Input] asks to decide. Policies dispatch on
// input.action; the built-in library denies an action it does not know.
const (
	ActionDeploy          = "deploy"           // release artifacts to an environment
	ActionPipelineRun     = "pipeline.run"     // run a pipeline configuration
	ActionSecretsRelease  = "secrets.release"  // hand secrets to a job
	ActionKubernetesAdmit = "kubernetes.admit" // apply Kubernetes manifests
	ActionTerraformApply  = "terraform.apply"  // apply a Terraform plan
)

// Input is the one document a policy sees as `input`: who is asking (the
// job and its identity), what it runs (the pipeline configuration), what it
// ships (artifacts with their verification results), what it asks for
// (secrets) and what it changes (Kubernetes manifests, a Terraform plan).
//
// The JSON encoding of Input is exactly the document Rego sees. Scalar
// fields are always present (so a comparison in Rego is never silently
// undefined); lists, maps and optional sections are absent when empty.
//
// Input carries no secret values: secret names, digests and claims only.
type Input struct {
	// Action is one of the Action* constants, or a name the caller's own
	// policy understands.
	Action string `json:"action"`
	// Job is the job asking, with its identity claims.
	Job Job `json:"job"`
	// Pipeline is the pipeline configuration being run, if any.
	Pipeline *Pipeline `json:"pipeline,omitempty"`
	// Artifacts are the artifacts involved (e.g. to be deployed), each with
	// the results of verifying its signatures and attestations.
	Artifacts []Artifact `json:"artifacts,omitempty"`
	// Secrets is the secret release being requested, if any.
	Secrets *SecretsRequest `json:"secrets,omitempty"`
	// Manifests are Kubernetes objects (decoded YAML/JSON) to be applied.
	Manifests []map[string]any `json:"manifests,omitempty"`
	// TerraformPlan is the output of `terraform show -json PLAN`.
	TerraformPlan map[string]any `json:"terraform_plan,omitempty"`
}

// Job describes the job asking for a decision: its verified identity and
// the CI claims normalized across platforms (see [identity.Claims]), plus
// approvals granted to this run. Build it with [JobFromIdentity].
type Job struct {
	// ID is the identity's stable identifier, see [identity.Identity.ID].
	ID string `json:"id"`
	// SPIFFEID is set when the identity comes from an SVID.
	SPIFFEID string `json:"spiffe_id"`
	// Issuer and Subject are set when the identity comes from an OIDC token.
	Issuer  string `json:"issuer"`
	Subject string `json:"subject"`
	// Platform names the CI system, e.g. "github-actions".
	Platform string `json:"platform"`
	// Repository is the source repository, e.g. "octo-org/octo-repo".
	Repository string `json:"repository"`
	// RepositoryID and RepositoryOwnerID are the platform's immutable ids
	// of the repository and its owner (see [identity.Claims]): a name can
	// be registered again after a rename or deletion, an id cannot.
	RepositoryID      string `json:"repository_id"`
	RepositoryOwnerID string `json:"repository_owner_id"`
	// Ref is the full git ref, e.g. "refs/heads/main".
	Ref string `json:"ref"`
	// Protected reports whether the platform says Ref is protected.
	Protected bool `json:"protected"`
	// Commit is the commit SHA being built.
	Commit string `json:"commit"`
	// Workflow and WorkflowRef name and pin the pipeline definition.
	Workflow    string `json:"workflow"`
	WorkflowRef string `json:"workflow_ref"`
	// Name is the job's name within the run.
	Name string `json:"name"`
	// RunID identifies the run.
	RunID string `json:"run_id"`
	// Trigger is what started the run: "push", "pull_request", "schedule"...
	Trigger string `json:"trigger"`
	// Actor is the human or bot that triggered the run.
	Actor string `json:"actor"`
	// Runner is "hosted" or "self-hosted".
	Runner string `json:"runner"`
	// Environment is the deployment environment the job targets.
	Environment string `json:"environment"`
	// EnvironmentProtected is the platform's word that Environment is
	// protected (GitLab's environment_protected; GitHub states none: it
	// issues an environment's token only once the environment's
	// protection rules have passed).
	EnvironmentProtected bool `json:"environment_protected"`
	// Approvals are the approvals granted in this run so far.
	Approvals []Approval `json:"approvals,omitempty"`
}

// Approval is a manual approval granted in a run (a GitHub environment
// review, a CircleCI approval job, a GitLab manual job).
type Approval struct {
	// Name is the approval job or gate, e.g. "hold-production".
	Name string `json:"name"`
	// By is who approved.
	By string `json:"by"`
}

// JobFromIdentity returns the Job for a verified identity, copying its
// normalized claims.
func JobFromIdentity(id identity.Identity) Job {
	c := id.Claims
	j := Job{
		ID:                id.ID(),
		Issuer:            id.Issuer,
		Subject:           id.Subject,
		Platform:          c.Platform,
		Repository:        c.Repository,
		RepositoryID:      c.RepositoryID,
		RepositoryOwnerID: c.RepositoryOwnerID,
		Ref:               c.Ref,
		Protected:         c.RefProtected,
		Commit:            c.Commit,
		Workflow:          c.Workflow,
		WorkflowRef:       c.WorkflowRef,
		Name:              c.Job,
		RunID:             c.RunID,
		Trigger:           c.Event,
		Actor:             c.Actor,
		Runner:            c.Runner,
		Environment:       c.Environment,

		EnvironmentProtected: c.EnvironmentProtected,
	}
	if !id.SPIFFEID.IsZero() {
		j.SPIFFEID = id.SPIFFEID.String()
	}
	return j
}

// Pipeline is a CI configuration normalized across platforms: jobs with
// their dependencies, images, steps and the actions/orbs they use. Raw may
// hold the platform's own document for rules the normalized form cannot
// express.
type Pipeline struct {
	// Platform names the CI system the configuration is for.
	Platform string `json:"platform"`
	// Path is the configuration file, e.g. ".circleci/config.yml".
	Path string `json:"path"`
	// Uses lists pipeline-level reusable units: CircleCI orbs
	// ("circleci/node@5.1.0"), GitLab includes and components
	// ("group/project/templates/deploy.yml@<commit sha>": the built-in
	// library takes a version tag as a pin only on CircleCI, whose orb
	// versions never change). The jobs they add to the
	// pipeline belong in Jobs, to be judged: the rules judge a unit's
	// name and pin, not what it runs.
	Uses []string `json:"uses,omitempty"`
	// Jobs are the pipeline's jobs.
	Jobs []PipelineJob `json:"jobs,omitempty"`
	// Raw is the platform's configuration document, if the caller has it,
	// for rules of the caller's own. The built-in library judges only
	// Jobs and Uses and cannot tell whether they say all Raw says, so it
	// denies a pipeline whose Raw is not empty (pipeline.raw_unjudged).
	Raw map[string]any `json:"raw,omitempty"`
}

// PipelineJob is one job of a [Pipeline].
type PipelineJob struct {
	// Name identifies the job within the pipeline.
	Name string `json:"name"`
	// Type is "approval" for a manual approval gate that holds the jobs
	// requiring it until someone approves (a CircleCI approval job, a
	// GitLab manual job with allow_failure false), "" otherwise.
	Type string `json:"type"`
	// Environment is the deployment environment the job targets, if any
	// (where a platform has none, what holds its deploy credentials: a
	// CircleCI context). One chosen when the job runs is given as
	// written ("${{ inputs.env }}"): the library judges it as production.
	Environment string `json:"environment"`
	// Privileged reports a job that runs with its host's privileges: a
	// privileged container or machine executor, or container options
	// that amount to one ("--privileged" in any spelling, "--cap-add",
	// "--pid=host" and the other host namespaces, "--device", a mount
	// of the Docker socket or of the host's root).
	Privileged bool `json:"privileged"`
	// Requires lists the jobs that must succeed before this one runs. A
	// job this one runs after whatever its outcome (GitHub "if:
	// always()", a CircleCI requires that accepts a failed or canceled
	// job, a GitLab optional need) is not required, and is left out: an
	// approval listed here counts as one the job waits for.
	Requires []string `json:"requires,omitempty"`
	// Branches lists the branches whose commits the job runs on (empty:
	// all). A filter on anything else, such as a pull request's base
	// branch (GitHub's on.pull_request.branches) or tags, is not one: a
	// job that a pull request to main runs does not run on main.
	Branches []string `json:"branches,omitempty"`
	// Images lists the container images the job runs in.
	Images []string `json:"images,omitempty"`
	// Steps are the job's steps.
	Steps []Step `json:"steps,omitempty"`
}

// Step is one step of a [PipelineJob].
type Step struct {
	// Name is the step's display name.
	Name string `json:"name"`
	// Uses is the action, orb command or template the step runs, e.g.
	// "actions/checkout@<sha>". A local action ("./path") is trusted as
	// part of the repository under review: name one so only when its
	// path comes from that repository, not from another repository or
	// ref checked out into the workspace, whose action it runs.
	Uses string `json:"uses"`
	// Image is a container image the step runs, e.g. "docker://alpine@sha256:…".
	Image string `json:"image"`
	// Privileged reports a step that runs privileged (e.g. docker --privileged).
	Privileged bool `json:"privileged"`
}

// Artifact is an artifact with the results of verifying it. It is filled
// from the verify package's result; policy does not verify anything itself.
type Artifact struct {
	// Name is the artifact's name or image reference, e.g. "ghcr.io/org/app".
	Name string `json:"name"`
	// Digest is "<alg>:<hex>", e.g. "sha256:…".
	Digest string `json:"digest"`
	// Verified reports whether the artifact's signature, transparency log
	// entry and timestamps verified. Policies must deny when it is false.
	Verified bool `json:"verified"`
	// Signer is who signed the artifact, as established by verification.
	Signer Signer `json:"signer"`
	// Attestations are the verified attestations about the artifact. When
	// VSA is set they are the facts the summary carries, not attestations
	// this verifier verified.
	Attestations []Attestation `json:"attestations,omitempty"`
	// VSA is set when the artifact's verification was taken from a trusted
	// SLSA verification summary instead of verifying its attestations
	// (policy/gate's WithTrustedVSAs).
	VSA *VerificationSummary `json:"vsa,omitempty"`
}

// VerificationSummary says that an artifact was verified by a trusted
// verifier, which signed a SLSA verification summary (VSA) of it. The
// artifact's Attestations are then the facts that summary carries about
// the attestations it relied on (ztci's own summaries carry them; a third
// party's carry none), never more: a rule that needs predicate contents
// the summary does not carry sees them absent.
type VerificationSummary struct {
	// Verifier is the summary's verifier.id.
	Verifier string `json:"verifier"`
	// Signer is who signed the summary, as established by verification.
	Signer string `json:"signer"`
	// PolicyRevision is the revision of the verifier's policy that passed
	// the artifact.
	PolicyRevision string `json:"policy_revision"`
	// TimeVerified is when it verified (RFC 3339, UTC).
	TimeVerified string `json:"time_verified"`
	// VerifiedLevels are the SLSA levels it says it verified.
	VerifiedLevels []string `json:"verified_levels,omitempty"`
	// Inputs are the attestations it says it relied on.
	Inputs []SummaryInput `json:"inputs,omitempty"`
}

// SummaryInput is one attestation a [VerificationSummary] relied on, as
// far as the summary names it (empty strings when it does not).
type SummaryInput struct {
	// Digest is the digest of the attestation's bundle ("sha256:<hex>").
	Digest string `json:"digest"`
	// PredicateType is its predicate type.
	PredicateType string `json:"predicate_type"`
	// Signer is the certificate identity (SAN) that signed it.
	Signer string `json:"signer"`
	// Builder is the builder id of a SLSA provenance.
	Builder string `json:"builder"`
}

// Signer is a verified signing identity: the certificate's subject
// alternative name and OIDC issuer, and the CI claims from its extensions.
type Signer struct {
	// SAN is the certificate's subject alternative name (URI or email).
	SAN string `json:"san"`
	// Issuer is the OIDC issuer that vouched for SAN.
	Issuer string `json:"issuer"`
	// Claims are the CI claims the certificate carries (Fulcio extensions).
	Claims identity.Claims `json:"claims"`
}

// Attestation is one verified in-toto attestation. At most one of
// Provenance, Scan, SecretsProvenance and VEX is set, according to
// PredicateType; Predicate may hold the raw predicate for other types.
type Attestation struct {
	// PredicateType is the in-toto predicate type URI.
	PredicateType string `json:"predicate_type"`
	// Signer is who signed the attestation.
	Signer Signer `json:"signer"`
	// Provenance is set for SLSA provenance predicates.
	Provenance *Provenance `json:"provenance,omitempty"`
	// Scan is set for vulnerability scan predicates.
	Scan *Scan `json:"scan,omitempty"`
	// SecretsProvenance is set for ztci secrets provenance predicates
	// (https://ztci.dev/secrets-provenance/v1).
	SecretsProvenance *SecretsProvenance `json:"secrets_provenance,omitempty"`
	// VEX is set for OpenVEX predicates (https://openvex.dev/ns/v0.2.0):
	// the statements of the document that name this artifact.
	VEX *VEX `json:"vex,omitempty"`
	// Predicate is the raw predicate, if the caller passes it on.
	Predicate map[string]any `json:"predicate,omitempty"`
}

// Provenance holds the SLSA provenance fields policies decide on.
type Provenance struct {
	// BuilderID is runDetails.builder.id.
	BuilderID string `json:"builder_id"`
	// BuildType is buildDefinition.buildType.
	BuildType string `json:"build_type"`
	// SourceRepository is the source the build came from, as a URI, e.g.
	// "git+https://github.com/org/repo".
	SourceRepository string `json:"source_repository"`
	// SourceRef is the git ref built, e.g. "refs/heads/main".
	SourceRef string `json:"source_ref"`
	// SourceDigest is the commit built.
	SourceDigest string `json:"source_digest"`
	// ExternalParameters is buildDefinition.externalParameters.
	ExternalParameters map[string]any `json:"external_parameters,omitempty"`
}

// Scan summarizes a vulnerability scan predicate.
type Scan struct {
	// Scanner names the scanner, e.g. "trivy 0.58".
	Scanner string `json:"scanner"`
	// ScannedAt is when the scan was made (RFC 3339, UTC); empty when the
	// scan does not say. The deploy rules deny a scan older than
	// DeployConfig.MaxScanAge, or without a time, when that is set.
	ScannedAt string `json:"scanned_at,omitempty"`
	// Counts by severity.
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	// Findings lists individual findings, if the caller passes them on.
	Findings []Finding `json:"findings,omitempty"`
}

// Finding is one vulnerability finding.
type Finding struct {
	ID string `json:"id"` // e.g. "CVE-2024-3094"
	// Aliases are the vulnerability's other ids (GHSA-…, GO-…), which VEX
	// statements may name instead of ID.
	Aliases []string `json:"aliases,omitempty"`
	// Severity is "critical", "high", "medium", "low" or "unknown"; the
	// deploy rules read "unknown", and anything else, as at or above every
	// threshold, and count it as critical (max_critical).
	Severity string `json:"severity"`
	Package  string `json:"package"` // e.g. "pkg:deb/debian/xz-utils@5.6.0"
}

// VEX is what a verified OpenVEX document says about one artifact.
type VEX struct {
	// Statements are the document's statements that name the artifact as
	// a product, in document order (an empty list: none does).
	Statements []VEXStatement `json:"statements"`
}

// VEXStatement is one OpenVEX statement about an artifact. The deploy rules
// let a statement whose signer is in DeployConfig.VEXSigners lift a
// finding's deny when its status is "fixed", or "not_affected" with a
// justification, and no statement about the same finding at least as
// recent says otherwise (one about a subcomponent that may be the
// finding's package spelled otherwise, v1.2.3 or 1.2.3, counts). At least
// as recent by either of its dates: a contrary statement whose Timestamp
// is not before the lifting one's, or whose last change (the later of its
// Timestamp and LastUpdated) is not before the lifting one's, wins, and so
// does one on a tie.
type VEXStatement struct {
	// Vulnerability is the statement's vulnerability name, Aliases its
	// other ids; a finding is covered when its id or an alias is one of
	// them.
	Vulnerability string   `json:"vulnerability"`
	Aliases       []string `json:"aliases,omitempty"`
	// Status is "not_affected", "affected", "fixed" or
	// "under_investigation".
	Status string `json:"status"`
	// Justification is one of the five OpenVEX justifications, or "".
	Justification string `json:"justification"`
	// Timestamp is when the statement was known to be true (RFC 3339,
	// UTC): its own timestamp, else the document's.
	Timestamp string `json:"timestamp"`
	// LastUpdated is when the statement was last changed (RFC 3339, UTC):
	// its own last_updated, else the document's; empty (absent) when
	// neither has one, and the statement was last changed at Timestamp.
	// A signer re-confirming a status updates it, not Timestamp, so the
	// deploy rules read both (see VEXStatement). Either one in the future
	// (beyond five minutes of clock skew) or not a readable RFC 3339 time
	// leaves the statement without a time: it lifts nothing, and a
	// contrary one counts as the most recent.
	LastUpdated string `json:"last_updated,omitempty"`
	// Subcomponents are the parts of the artifact the statement is about,
	// as package URLs (or, for a part named otherwise, its identifier,
	// which matches no finding); empty: the artifact as a whole. A finding
	// is covered when its package matches one of them as OpenVEX matches
	// package URLs (no version: any version; given qualifiers must match).
	Subcomponents []string `json:"subcomponents,omitempty"`
}

// SecretsProvenance is what a verified secrets provenance says of the
// build of an artifact: the job that built it and every credential that
// job received. It holds names, ids and times, never a secret value.
type SecretsProvenance struct {
	// Job is the job that built the artifact, from its verified identity.
	Job BuildJob `json:"job"`
	// Credentials are the credentials the job received (an empty list:
	// none).
	Credentials []Credential `json:"credentials"`
}

// BuildJob is the job a [SecretsProvenance] speaks for.
type BuildJob struct {
	// ID is the runner's job id.
	ID string `json:"id"`
	// Identity is the job's verified identity id.
	Identity string `json:"identity"`
	// SPIFFEID is the job's workload SPIFFE ID, if it has one.
	SPIFFEID string `json:"spiffe_id"`
	// Repository is the source repository, e.g. "acme/app".
	Repository string `json:"repository"`
	// Ref is the git ref the job ran on.
	Ref string `json:"ref"`
	// RefProtected is the platform's word that Ref is protected.
	RefProtected bool `json:"ref_protected"`
	// RunID identifies the run.
	RunID string `json:"run_id"`
}

// Credential is one credential a build's job received.
type Credential struct {
	// LeaseID is the backend's lease id.
	LeaseID string `json:"lease_id"`
	// Backend labels the secrets backend that issued it.
	Backend string `json:"backend"`
	// Secret is the secret's name.
	Secret string `json:"secret"`
	// DecisionID and PolicyRevision identify the release decision.
	DecisionID     string `json:"decision_id"`
	PolicyRevision string `json:"policy_revision"`
	// IssuedAt and RevokedAt are RFC 3339 times in UTC; RevokedAt is ""
	// when the provenance was signed while the lease was live.
	IssuedAt  string `json:"issued_at"`
	RevokedAt string `json:"revoked_at"`
	// Compromised reports that the lease is marked compromised: the gate
	// sets it from its revocation store (gate.Revocations.Leases) on every
	// decision. The deploy rules deny any value but false.
	Compromised bool `json:"compromised"`
}

// SecretsRequest is a request to release secrets to the job in
// [Input.Job]. It names secrets; it never holds their values.
type SecretsRequest struct {
	// Names are the secrets requested.
	Names []string `json:"names,omitempty"`
	// Renewal is set when the broker asks again for a lease being renewed
	// (secrets.Request.Renewal): the job already holds the secret, and a
	// policy may judge extending it otherwise than releasing it.
	Renewal bool `json:"renewal"`
}

// SecretsInput returns the Input that asks whether the job with identity id
// may receive the named secrets (Action "secrets.release"). The secrets
// package uses it to consult an [Evaluator].
func SecretsInput(id identity.Identity, names ...string) Input {
	return Input{
		Action:  ActionSecretsRelease,
		Job:     JobFromIdentity(id),
		Secrets: &SecretsRequest{Names: names},
	}
}
