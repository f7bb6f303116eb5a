package policy

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/gobwas/glob"

	"github.com/ztci/ztci/internal/origin"
	"github.com/ztci/ztci/internal/slsasource"
)

// LibraryConfig configures the built-in library. It is the typed form of
// the data document the library reads as data.ztci.config; [BuiltinWith]
// validates it and loads it beside the library's modules.
//
// The zero value is valid and denies every deploy and every secret release
// (no signer, builder, source or grant is allowed). A nil list means "use
// the rule set's default"; where a non-nil empty list would differ from
// nil, the field says what it means.
type LibraryConfig struct {
	Deploy     DeployConfig
	Pipeline   PipelineConfig
	Secrets    SecretsConfig
	Kubernetes KubernetesConfig
	Terraform  TerraformConfig
	// UntrustedTriggers are run triggers (the job's event claim, the
	// policy input's job.trigger, the trigger ztci's job provenance
	// records, and the build trigger a signing certificate names,
	// signer.claims.event, for the artifact's signature and each
	// attestation the deploy rules read) whose jobs never count as running
	// on a protected ref, for deploys, secret releases and the builds and
	// signatures deploys rely on. GitHub runs a pull_request_target
	// workflow with the base branch's ref, ref_protected true and the
	// repository's secrets for a pull request from anyone, so a workflow
	// that checks out the pull request runs code nobody reviewed under the
	// protected ref's name; it runs a
	// workflow_run workflow the same way after a workflow a pull request
	// from anyone started, commonly taking that run's artifacts. CircleCI's
	// "Rerun job with SSH" gives a person an interactive shell holding the
	// job's token, contexts and secrets; identity/claims sets such a job's
	// event to "ssh-rerun". Nil: ["pull_request_target", "workflow_run",
	// "ssh-rerun"], identity/claims' DefaultUntrustedTriggers and the
	// default of identity/exchange and policy/egress; a non-nil empty list
	// trusts every trigger, and a list replaces the default (keep
	// "ssh-rerun" in a list for CircleCI jobs). Not in the default, and trusted on a protected
	// ref: issue_comment, issues, discussion and discussion_comment, which
	// GitHub also runs on the default branch with its secrets for anyone
	// who may comment or open an issue (a public repository's: anyone).
	// If a workflow on one builds, checks out or runs a pull request's code
	// (a "/deploy" or "/test" comment command), list it: set
	// ["pull_request_target", "workflow_run", "ssh-rerun", "issue_comment",
	// "issues", "discussion", "discussion_comment"]. pull_request_review and
	// pull_request_review_comment run on the pull request's merge ref,
	// which is not protected. The egress proxy's allow-list reads its own
	// copy: pass this list to it too, with policy/egress's
	// WithUntrustedTriggers, so that it does not allow a job these rules
	// distrust to reach what its ref would.
	UntrustedTriggers []string
}

// AllowedSigner is a signing identity: a certificate's subject alternative
// name and OIDC issuer. Both are compared exactly and both are required.
type AllowedSigner struct {
	// SAN is the certificate's subject alternative name, e.g.
	// "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main".
	SAN string
	// Issuer is the OIDC issuer, e.g. "https://token.actions.githubusercontent.com".
	Issuer string
}

// DeployConfig configures the deploy rule set (action "deploy").
type DeployConfig struct {
	// Signers may sign the artifacts. Empty: every deploy is denied.
	Signers []AllowedSigner
	// AttestationSigners may sign attestations, in addition to Signers
	// (for example the SLSA generator's reusable workflow).
	AttestationSigners []AllowedSigner
	// Builders are the SLSA builder ids (runDetails.builder.id) accepted,
	// compared exactly. Empty: every deploy is denied.
	Builders []string
	// Sources are the source repositories accepted. They are compared as
	// the verify package compares them: a leading "git+", a URI scheme at
	// the very start ("acme/x://github.com/victim/app" keeps its "://"),
	// one trailing "/" and one trailing ".git" are ignored (text that would
	// still hold one of them, "app.git.git", is kept whole and matches only
	// itself), host, owner and name are compared exactly, so "git+https://github.com/acme/app",
	// "https://github.com/acme/app" and "github.com/acme/app" are one
	// source. The certificate that signed a provenance, when it names
	// the signing job's repository (Fulcio's Source Repository URI), must
	// name an allowed source's owner and name too: the predicate says what
	// its signer wrote, the certificate what the verifier established.
	// Empty: every deploy is denied.
	Sources []string
	// SourceRefs, if not nil, are the only git refs a build may come from
	// (exact, e.g. "refs/heads/main"): the provenance's source ref, and
	// the ref the certificate that signed it names (Fulcio's Source
	// Repository Ref), if any. A non-nil empty list accepts none. Nil:
	// any ref.
	SourceRefs []string
	// MaxCritical is the number of critical findings an attached scan may
	// report (default 0). A finding of a severity the rules do not
	// recognise ("unknown", a CVSS score, a misspelling) counts as
	// critical, as attest/vuln asks of its consumers. Negative values are
	// rejected.
	MaxCritical int
	// RequireScan denies artifacts without a vulnerability scan signed by
	// an allowed identity. Required or not, a signed attestation of a
	// scan predicate type of any version (in-toto vulns, cosign vuln)
	// whose summary the rules cannot read, because the gate does not
	// summarize that version or its findings are not a list of objects,
	// is denied (deploy.scan_unreadable), not passed over.
	RequireScan bool
	// MaxScanAge, when positive, denies an artifact whose signed scan is
	// older than this (rule deploy.scan_too_old), or says nothing of when it
	// was made (no RFC 3339 time of a day that exists, or a time more than
	// five minutes in the future, which would never age): a compliant scan
	// of last year says nothing of this year's vulnerabilities. Whole
	// seconds (a fraction is dropped; Validate refuses a positive age under
	// one second); zero turns the rule off.
	MaxScanAge time.Duration
	// DenySeverity, when set, denies every finding of a signed scan at or
	// above it (rule deploy.vulnerability): "critical", "high", "medium" or
	// "low". A finding of unknown severity is at or above every threshold.
	// A finding is lifted only by a VEX statement signed by one of
	// VEXSigners. Empty: off (MaxCritical still applies).
	DenySeverity string
	// VEXSigners may sign OpenVEX attestations that lift a finding's deny
	// (deploy.vulnerability and the count of MaxCritical): a statement
	// naming the finding's vulnerability (id or alias) and this artifact
	// (and, if it names subcomponents, the finding's package) with status
	// "fixed", or "not_affected" with a justification, and a time that is
	// not in the future, unless a statement at least as recent (or without
	// a readable time) about that vulnerability, by any of its names, and
	// about a part that may be the finding's package (spelled otherwise:
	// v1.2.3 or 1.2.3, qualifiers or none), says "affected" or
	// "under_investigation". They are not added to
	// AttestationSigners: the build that is gated should not vouch for its
	// own exceptions. Empty: no VEX statement counts.
	VEXSigners []AllowedSigner
	// AllowUnprotectedRefUnsafe lets jobs on unprotected refs deploy. The
	// default denies them. It does not admit a build that received a
	// production credential (ProductionSecrets, ProductionBackends) on an
	// unprotected ref or from an untrusted trigger: that is denied either
	// way.
	AllowUnprotectedRefUnsafe bool
	// ProductionSecrets are names or globs of production secrets, matched
	// without case ("prod/*"; as a list of what to deny, "*" crosses "/":
	// "prod/*" covers "prod/db/password", as a Vault policy path or an
	// AWS IAM resource "prod/*" does), and ProductionBackends labels of
	// production secrets backends (exact). A build whose signed secrets
	// provenance shows it received a credential matching either, from a
	// job whose ref is not protected or that the build's signed evidence
	// says an untrusted trigger started (see UntrustedTriggers), is denied
	// (deploy.production_secret_unprotected_ref). Empty: no credential
	// counts as production.
	ProductionSecrets  []string
	ProductionBackends []string
	// RequireSecretsProvenance denies an artifact without secrets
	// provenance signed by an allowed identity
	// (deploy.secrets_provenance_missing): without one, nothing says which
	// credentials reached the build.
	RequireSecretsProvenance bool
}

// PipelineConfig configures the pipeline rule set (action "pipeline.run").
type PipelineConfig struct {
	// ProductionEnvironments name the environments whose jobs need branch
	// filters and an approval, compared case-insensitively and exactly
	// otherwise: "production" does not cover "production-eu", and an
	// entry that is not a plain name ("production-*", read as a pattern)
	// is rejected. A job environment that is not a plain ASCII name (an
	// expression, a variable, "prödúction") counts as production. Nil:
	// ["production"]. A non-nil empty list is rejected: it would exempt
	// every job.
	ProductionEnvironments []string
	// ProtectedBranches are the branches production jobs may run on. Nil:
	// ["main"].
	ProtectedBranches []string
	// ApprovalJobs, if set, are the only approval jobs that count. Empty:
	// any job of type "approval".
	ApprovalJobs []string
	// AllowedImages, AllowedActions and AllowedOrbs are prefixes of the
	// images, actions and orbs a pipeline may use, matched at a boundary
	// ("actions/checkout" covers "actions/checkout@<sha>", not
	// "actions/checkout-evil@<sha>"; see the package documentation).
	// Images and their prefixes are compared as Docker reads them:
	// "alpine", "library/alpine" and "docker.io/library/alpine" are one
	// prefix, covering "alpine:3.20" but not "alpine/git" (another Docker
	// Hub account's namespace: allow it as "alpine/"), and an image whose
	// first part names a registry host is covered only by a prefix naming
	// that host whole: "alpine" does not cover "alpine:5000/evil/app".
	// Empty: none.
	AllowedImages  []string
	AllowedActions []string
	AllowedOrbs    []string
}

// SecretsConfig configures the secrets rule set (action "secrets.release").
type SecretsConfig struct {
	// Grants say who may receive which secret. A secret is released only
	// if a grant matches it, and whenever any grant does: grants add up,
	// so a narrower grant ("ci/deploy-key" on protected refs only) does
	// not restrict what a broader one ("ci/**" on any ref) gives. Names
	// are printable ASCII (see the package documentation). Empty: every
	// release is denied.
	Grants []SecretGrant
}

// SecretGrant gives secrets to jobs of some repositories on some refs.
// [LibraryConfig.Data] leaves a nil list out of the grant's document; a
// document written by hand must too: a grant member written null
// ("issuers": null) is refused when the Engine loads it ([ConfigError]),
// as the rules would read it as a list that covers no job.
type SecretGrant struct {
	// Secret is a secret name or glob ("prod/*"); "*" does not cross "/".
	// Required.
	Secret string
	// Repositories are the job repositories ("acme/app"), exact. Required.
	Repositories []string
	// RepositoryIDs, if not nil, are the only repository ids (the
	// platform's immutable id, [identity.Claims].RepositoryID: GitHub's
	// repository_id, GitLab's project_id) whose jobs the grant covers,
	// beside Repositories. A name can be registered again once its owner
	// renames or deletes the account or repository, and the new
	// repository's jobs carry the same name ("repojacking"); its id is
	// new. A non-nil empty list covers none. Nil: any id.
	RepositoryIDs []string
	// Issuers, if not nil, are the only identity authorities whose jobs
	// the grant covers: OIDC issuer URLs ("https://token.actions.githubusercontent.com"),
	// exact, or SPIFFE trust domains ("spiffe://ci.example") for jobs that
	// present an SVID. A repository name means something only to the
	// platform that issued it: where the gate trusts more than one issuer
	// or trust domain, "acme/app" on one is not "acme/app" on another
	// (anyone may own that path on a second platform), so set Issuers. A
	// non-nil empty list covers none. Nil: any issuer the identity
	// verifier trusts.
	Issuers []string
	// Refs are globs of the job's ref ("refs/heads/main", "refs/tags/v*").
	// Required.
	Refs []string
	// Environments, if not nil, are the only job environments the grant
	// covers (exact; an empty entry is rejected: a job that names no
	// environment is in none); a non-nil empty list covers none. Nil: any
	// environment.
	Environments []string
	// IDs, if not nil, are the only job identity ids the grant covers
	// (exact, none empty); a non-nil empty list covers none. Nil: any
	// identity.
	IDs []string
	// AllowUnprotected extends the grant to unprotected refs. The default
	// covers protected refs only.
	AllowUnprotected bool
	// AllowUnprotectedEnvironment extends a grant with Environments to
	// jobs in an environment their token does not say is protected
	// (environment_protected, which GitLab CI and identity/oidc's issuer
	// write). The default covers protected environments only, on every
	// platform but GitHub Actions (Platform exactly "github-actions"):
	// any developer's job creates an environment by naming it, so
	// "production" unprotected is a name, not a control. GitHub states no
	// protection (it issues an environment's token only once the
	// environment's protection rules have passed) and is not affected;
	// a platform spelled otherwise, or unnamed, is.
	AllowUnprotectedEnvironment bool
}

// KubernetesConfig configures the Kubernetes rule set (action
// "kubernetes.admit").
type KubernetesConfig struct {
	// AllowedImages are image prefixes containers and image volumes may
	// use, matched at a boundary ("ghcr.io/acme" covers "ghcr.io/acme/app",
	// not "ghcr.io/acme-evil/app"; see the package documentation), both
	// read as Docker reads them ("alpine" is docker.io/library/alpine, and
	// does not cover "alpine/git", another Docker Hub account's
	// namespace); an image whose first part names a registry host is
	// covered only by a prefix naming that host whole ("alpine" does not
	// cover "alpine:5000/evil/app"). Empty: any image pinned by digest.
	AllowedImages []string
	// AllowedKinds are kinds accepted in addition to the workloads the
	// rules judge and the kinds they know to be harmless (ConfigMap,
	// Secret, Service, ...). Pod specs inside them are still judged; a
	// harmless kind listed here is accepted in the shapes the rules would
	// otherwise deny (an Argo CD cluster Secret, a ConfigMap that loosens
	// ingress-nginx). A controller's custom resource listed here is
	// accepted as written: what the controller then deploys, this gate
	// never sees. Argo CD's Application, ApplicationSet and AppProject
	// are judged even so (see AllowedArgoCDProjects).
	AllowedKinds []string
	// AllowedVolumeTypes are pod volume sources accepted beyond the ones
	// the Pod Security restricted profile allows (configMap, csi,
	// downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected,
	// secret; image volumes are judged as images), spelled as the pod spec
	// spells them ("nfs", "iscsi"). The kubelet mounts any other source
	// from the node, with the node's network and credentials, from
	// whatever server or disk the pod names. hostPath and gitRepo are
	// denied whatever this says and are rejected here, as are csi (see
	// AllowedCSIDrivers) and names that are not volume sources. Empty:
	// the restricted set only.
	AllowedVolumeTypes []string
	// AllowedCSIDrivers are the CSI drivers (exact names, e.g.
	// "secrets-store.csi.k8s.io") an inline csi volume may name: its
	// attributes reach the driver as the pod's author wrote them, and a
	// driver that mounts a share or a node directory they name mounts
	// it. Claims (persistentVolumeClaim, ephemeral) are not affected.
	// Empty: no inline csi volume.
	AllowedCSIDrivers []string
	// AllowedArgoCDProjects are the Argo CD projects (exact names) an
	// Application, or each template of an ApplicationSet, may name in
	// spec.project. An Application deploys, with Argo CD's credentials,
	// whatever its project lets it; "default" (what an empty project
	// means) lets it deploy anything anywhere unless an administrator
	// narrowed it. List only projects whose sourceRepos, destinations and
	// cluster resource whitelist are narrow. Empty: no Application.
	AllowedArgoCDProjects []string
	// AllowedArgoCDRepos are the repository URLs (exact, as written in
	// repoURL: "https://github.com/acme/deploy.git") an Application or
	// ApplicationSet may deploy from, or a Git generator read, and an
	// AppProject's sourceRepos may hold: what they hold is deployed
	// without passing this gate, so list only repositories whose content
	// is itself gated. Empty: none.
	AllowedArgoCDRepos []string
	// AllowArgoCDFloatingRevisions accepts an Argo CD source whose
	// targetRevision (a Git generator's revision) is a branch, a tag,
	// HEAD, a Helm version or range, or unset, and a source hydrator
	// (which syncs from a branch): what it deploys then changes whenever
	// the repository does, after this gate passed the Application. False
	// (the default): every source is pinned to a full commit SHA (40 hex
	// digits) or a digest ("sha256:" and 64 hex digits).
	AllowArgoCDFloatingRevisions bool
	// AllowArgoCDSourceOverrides accepts an Argo CD source (an
	// Application's, an ApplicationSet template's, an operation's) whose
	// helm, kustomize, plugin or directory member changes what Argo CD
	// renders from the repository: helm values, valuesObject, parameters,
	// fileParameters or a valueFiles URL; kustomize patches, images,
	// namespace, name prefixes, common labels or annotations; plugin env or
	// parameters; jsonnet extVars or tlas. These are written in the
	// Application, not the repository, and this gate judges neither what
	// they render nor the image they swap in. False (the default): a
	// source may select only what the repository holds (helm valueFiles in
	// it, releaseName, version; kustomize version; a plugin's name; a
	// directory's recurse, include, exclude and jsonnet libs).
	AllowArgoCDSourceOverrides bool
	// AllowArgoCDProjectCredentials accepts an AppProject whose
	// namespaceResourceWhitelist or clusterResourceWhitelist grants a
	// credential kind: Secret, ServiceAccount, Role, RoleBinding,
	// ClusterRole or ClusterRoleBinding (the RBAC kinds, in any group,
	// only if AllowedKinds lists them too). Argo CD then creates them from
	// the repository, in shapes this gate never sees: a
	// service-account-token Secret for the namespace's most privileged
	// service account, an Argo CD cluster Secret, a binding to
	// cluster-admin. False (the default): such an AppProject is denied.
	AllowArgoCDProjectCredentials bool
	// AllowArgoCDProjectRoles accepts an AppProject whose roles grant
	// their groups and JWT tokens an Argo CD action other than get (a
	// policy "p, proj:x:ci, applications, get, x/*, allow") or a deny:
	// update and override change an Application's revision, parameters
	// or manifests after this gate passed it, sync and action/* run it,
	// create makes new Applications, exec opens a shell in their pods.
	// False (the default): such an AppProject is denied.
	AllowArgoCDProjectRoles bool
	// ControlPlaneNamespaces are namespaces (exact Kubernetes names),
	// besides the defaults (argocd, openshift-gitops and every kube-
	// namespace), that no Argo CD Application, ApplicationSet template or
	// AppProject destination may name and no AppProject destination
	// service account may live in: an Application deploying into Argo
	// CD's own namespace ships argocd-rbac-cm (policy.default:
	// role:admin) or a cluster Secret that Argo CD then reads. List the
	// namespace Argo CD runs in when it is not a default one. They only
	// add to the defaults.
	ControlPlaneNamespaces []string
	// AllowedIngressURLs are the URLs (exact, as the annotation holds
	// them, nginx variables included) an Ingress's ingress-nginx auth-url
	// or mirror-target may name: the controller connects to them itself,
	// from its own network, with the clients' headers (and, mirroring,
	// their bodies). Empty: no Ingress with either annotation.
	AllowedIngressURLs []string
	// AllowedIngressCollectors are the values (exact: a host, or for
	// jaeger-endpoint and jaeger-sampler-host a URL) a ConfigMap's
	// ingress-nginx collector keys may hold: otlp-collector-host,
	// zipkin-collector-host, jaeger-collector-host, jaeger-endpoint,
	// jaeger-sampler-host, datadog-collector-host, syslog-host and
	// global-rate-limit-memcached-host. The controller sends there, from
	// its own network, the trace spans, access log lines (each request's
	// path and query) or rate limit keys of every Ingress. Empty: none
	// set.
	AllowedIngressCollectors []string
	// AllowedIngressRealIP are the values (exact) ingress-nginx may trust
	// to name a client's address: each entry of a ConfigMap's
	// proxy-real-ip-cidr (comma-separated, spaces trimmed; the load
	// balancers' ranges) and a forwarded-for-header other than
	// X-Forwarded-For (the header they set). A ConfigMap that sets
	// use-forwarded-headers, enable-real-ip, use-proxy-protocol or
	// compute-full-forwarded-for other than false must also name a
	// proxy-real-ip-cidr: its default, 0.0.0.0/0, lets any client spoof
	// the address every source-range check judges. Empty: none.
	AllowedIngressRealIP []string
	// AllowIngressSourceRanges accepts an Ingress annotated with
	// ingress-nginx's whitelist-source-range, allowlist-source-range or
	// denylist-source-range. Each writes allow and deny rules into the
	// Ingress's location, and nginx then ignores the ones its http level
	// holds: the controller ConfigMap's block-cidrs no longer applies to
	// that Ingress. It accepts, too, a ConfigMap setting ingress-nginx's
	// whitelist-source-range, denylist-source-range, block-cidrs,
	// block-user-agents or block-referers: every Ingress's default source
	// ranges and the administrator's block lists ("" empties one). False
	// (the default): such an Ingress or ConfigMap is denied (listing
	// Ingress or ConfigMap in AllowedKinds accepts it too).
	AllowIngressSourceRanges bool
}

// volumeSources are the members of a Kubernetes Volume that name its
// source (core/v1 VolumeSource) and that AllowedVolumeTypes may list.
var volumeSources = []string{
	"awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "configMap",
	"downwardAPI", "emptyDir", "ephemeral", "fc", "flexVolume", "flocker",
	"gcePersistentDisk", "glusterfs", "iscsi", "nfs", "persistentVolumeClaim",
	"photonPersistentDisk", "portworxVolume", "projected", "quobyte", "rbd", "scaleIO",
	"secret", "storageos", "vsphereVolume",
}

// TerraformConfig configures the Terraform rule set (action
// "terraform.apply").
type TerraformConfig struct {
	// DeletableTypes are the resource types a plan may delete or replace.
	// Like AllowedTypes, each is accepted only from a trusted provider.
	DeletableTypes []string
	// AllowedTypes are resource types, beyond the ones the rules judge,
	// that a plan may create or update. A type is what its provider makes
	// of it, so a listed type is accepted only from its own provider
	// (hashicorp/<the name's prefix>: aws_instance from hashicorp/aws; a
	// judged type's, hashicorp/google-beta for google_ too) or from one
	// in AllowedProviders; aws_instance from evilcorp/aws is unknown.
	AllowedTypes []string
	// AllowedProviders are provider sources, beyond hashicorp's, that a
	// plan may name at all (configuration.provider_config, provider_name:
	// terraform runs a provider's code when it configures it, opens its
	// ephemeral resources or calls its functions, so any other is denied
	// as terraform.untrusted_provider), whose resource types AllowedTypes
	// and DeletableTypes accept beyond each type's own, and whose data
	// sources a plan may read during the apply: "namespace/type" on the
	// Terraform or OpenTofu registry ("cloudflare/cloudflare"), or
	// "host/namespace/type" (a private registry), compared without case.
	AllowedProviders []string
}

// ErrInvalidConfig: a [LibraryConfig] is invalid. It wraps [ErrLoad], so
// [New] fails with it when given [BuiltinWith] of an invalid config.
var ErrInvalidConfig = fmt.Errorf("%w: invalid library configuration", ErrLoad)

// ConfigError is the refusal of a bundle holding the built-in library
// whose data.ztci.config the library cannot read as written: a member it
// does not read ("max_criticals", a signer's "SAN"), or a value of another
// type (max_critical "0", deny_severity "HIGH"), which a rule would
// otherwise read as its default. A configuration written by
// [LibraryConfig] never has one; a hand-written data document (an OPA
// bundle's data.json) may. A bundle holding modules of the library but
// not the check itself (ztci/config_schema.rego) is refused with one too.
// It wraps [ErrInvalidConfig]: [New] fails with it, and [Engine.Reload]
// keeps the policy in force.
type ConfigError struct {
	// Problems name each path and what it should hold, sorted.
	Problems []string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v: data.ztci.config: %s", ErrInvalidConfig, strings.Join(e.Problems, "; "))
}

func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// Validate reports every problem of c at once; the error wraps
// [ErrInvalidConfig].
func (c *LibraryConfig) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	signers := func(field string, ss []AllowedSigner) {
		for i, s := range ss {
			if s.SAN == "" || s.Issuer == "" {
				bad("Deploy.%s[%d] needs both SAN and Issuer", field, i)
			}
		}
	}
	nonEmpty := func(field string, xs []string) {
		for i, x := range xs {
			if x == "" {
				bad("%s[%d] is empty", field, i)
			}
		}
	}
	// The library matches these with glob.match and "/" as the separator:
	// a pattern that does not compile would fail every decision that
	// reaches it as an evaluation error, not as a configuration error.
	globs := func(field string, xs []string) {
		for i, x := range xs {
			if _, err := glob.Compile(x, '/'); err != nil {
				bad("%s[%d] %q is not a glob pattern: %v", field, i, x, err)
			}
		}
	}
	d := &c.Deploy
	signers("Signers", d.Signers)
	signers("AttestationSigners", d.AttestationSigners)
	signers("VEXSigners", d.VEXSigners)
	switch d.DenySeverity {
	case "", "critical", "high", "medium", "low":
	default:
		bad("Deploy.DenySeverity is %q; want critical, high, medium, low or empty", d.DenySeverity)
	}
	nonEmpty("Deploy.Builders", d.Builders)
	nonEmpty("Deploy.SourceRefs", d.SourceRefs)
	for i, s := range d.Sources {
		if slsasource.NormalizeRepo(s) == "" {
			bad("Deploy.Sources[%d] %q names no repository", i, s)
		}
	}
	nonEmpty("Deploy.ProductionSecrets", d.ProductionSecrets)
	globs("Deploy.ProductionSecrets", d.ProductionSecrets)
	nonEmpty("Deploy.ProductionBackends", d.ProductionBackends)
	if d.MaxScanAge < 0 {
		bad("Deploy.MaxScanAge is %v; it must not be negative", d.MaxScanAge)
	}
	// The library reads whole seconds: a positive age under one second
	// would become 0, which turns the rule off instead of making it strict.
	if d.MaxScanAge > 0 && d.MaxScanAge < time.Second {
		bad("Deploy.MaxScanAge is %v; it is counted in whole seconds, and under one second would turn the rule off", d.MaxScanAge)
	}
	if d.MaxCritical < 0 {
		bad("Deploy.MaxCritical is %d; it must not be negative", d.MaxCritical)
	}
	p := &c.Pipeline
	if p.ProductionEnvironments != nil && len(p.ProductionEnvironments) == 0 {
		bad("Pipeline.ProductionEnvironments is empty, which would exempt every job; leave it nil for the default")
	}
	nonEmpty("Pipeline.ProductionEnvironments", p.ProductionEnvironments)
	// The library compares these with job environments exactly (without
	// case): "production-*" would read as a pattern and cover only a job
	// whose environment is "production-*", not "production-eu".
	for i, env := range p.ProductionEnvironments {
		if env != "" && !plainEnvironment(env) {
			bad("Pipeline.ProductionEnvironments[%d] %q is not a plain name (ASCII letters and digits, space, \".\", \"_\", \"-\", \"/\", \":\"): names are compared exactly, not as patterns, and a job environment that is not a plain name counts as production already", i, env)
		}
	}
	nonEmpty("Pipeline.ProtectedBranches", p.ProtectedBranches)
	nonEmpty("Pipeline.ApprovalJobs", p.ApprovalJobs)
	// An empty prefix would allow everything.
	nonEmpty("Pipeline.AllowedImages", p.AllowedImages)
	nonEmpty("Pipeline.AllowedActions", p.AllowedActions)
	nonEmpty("Pipeline.AllowedOrbs", p.AllowedOrbs)
	for i, g := range c.Secrets.Grants {
		if g.Secret == "" || len(g.Repositories) == 0 || len(g.Refs) == 0 {
			bad("Secrets.Grants[%d] needs Secret, Repositories and Refs", i)
		}
		nonEmpty(fmt.Sprintf("Secrets.Grants[%d].Repositories", i), g.Repositories)
		nonEmpty(fmt.Sprintf("Secrets.Grants[%d].Refs", i), g.Refs)
		globs(fmt.Sprintf("Secrets.Grants[%d].Secret", i), []string{g.Secret})
		globs(fmt.Sprintf("Secrets.Grants[%d].Refs", i), g.Refs)
		// An empty environment would cover every job that names none.
		nonEmpty(fmt.Sprintf("Secrets.Grants[%d].Environments", i), g.Environments)
		nonEmpty(fmt.Sprintf("Secrets.Grants[%d].IDs", i), g.IDs)
		nonEmpty(fmt.Sprintf("Secrets.Grants[%d].RepositoryIDs", i), g.RepositoryIDs)
		for j, iss := range g.Issuers {
			if !validAuthority(iss) {
				bad("Secrets.Grants[%d].Issuers[%d] %q is neither an https issuer URL nor a SPIFFE trust domain (spiffe://<domain>)", i, j, iss)
			}
		}
	}
	nonEmpty("Kubernetes.AllowedImages", c.Kubernetes.AllowedImages)
	nonEmpty("Kubernetes.AllowedKinds", c.Kubernetes.AllowedKinds)
	for i, t := range c.Kubernetes.AllowedVolumeTypes {
		if !slices.Contains(volumeSources, t) {
			bad("Kubernetes.AllowedVolumeTypes[%d] %q is not a volume source it may name (hostPath and gitRepo are always denied, inline csi volumes are accepted by driver in AllowedCSIDrivers; names are case-sensitive: %s)", i, t, strings.Join(volumeSources, ", "))
		}
	}
	nonEmpty("Kubernetes.AllowedCSIDrivers", c.Kubernetes.AllowedCSIDrivers)
	nonEmpty("Kubernetes.AllowedArgoCDProjects", c.Kubernetes.AllowedArgoCDProjects)
	nonEmpty("Kubernetes.AllowedArgoCDRepos", c.Kubernetes.AllowedArgoCDRepos)
	// A namespace the API server would refuse (upper case, a glob) names
	// none: it would deny nothing.
	for i, ns := range c.Kubernetes.ControlPlaneNamespaces {
		if !namespaceName(ns) {
			bad("Kubernetes.ControlPlaneNamespaces[%d] %q is not a Kubernetes namespace name (lower-case letters, digits and \"-\", at most 63)", i, ns)
		}
	}
	nonEmpty("Kubernetes.AllowedIngressURLs", c.Kubernetes.AllowedIngressURLs)
	nonEmpty("Kubernetes.AllowedIngressCollectors", c.Kubernetes.AllowedIngressCollectors)
	nonEmpty("Kubernetes.AllowedIngressRealIP", c.Kubernetes.AllowedIngressRealIP)
	nonEmpty("Terraform.DeletableTypes", c.Terraform.DeletableTypes)
	nonEmpty("Terraform.AllowedTypes", c.Terraform.AllowedTypes)
	for i, p := range c.Terraform.AllowedProviders {
		if !validProviderSource(p) {
			bad("Terraform.AllowedProviders[%d] %q is not a provider source (namespace/type or host/namespace/type)", i, p)
		}
	}
	nonEmpty("UntrustedTriggers", c.UntrustedTriggers)
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
}

// Data returns the data document for c, {"ztci": {"config": {...}}}, as
// [Data] and `opa eval -d` take it. It validates c first.
func (c *LibraryConfig) Data() (map[string]any, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return map[string]any{"ztci": map[string]any{"config": c.document()}}, nil
}

// BuiltinWith returns the built-in library configured by c: the library's
// modules and c as data.ztci.config. Load (and so [New]) fails with
// [ErrInvalidConfig] if c is invalid. c is copied: later changes to the
// caller's value do not reach the policy.
//
// It replaces Merge(Builtin(), Data(map[string]any{"ztci": {"config":
// ...}})), which keeps working.
//
// c is the whole configuration: a setting c leaves at its default is
// written as null (which the library reads as unset), so that another
// source merged beside it ([Merge]) cannot set it. Left out, it could: a
// bundle merged for its rules whose data held
// {"ztci": {"config": {"untrusted_triggers": []}}} trusted every trigger
// although c said nothing of them; now Load fails, the leaf being
// defined twice.
func BuiltinWith(c LibraryConfig) Source {
	doc, err := c.Data()
	if err != nil {
		return SourceFunc(func(context.Context) (*Bundle, error) { return nil, err })
	}
	cfg := doc["ztci"].(map[string]any)["config"].(map[string]any)
	for section, members := range unsetMembers {
		m := cfg
		if section != "" {
			m = cfg[section].(map[string]any)
		}
		for _, k := range members {
			if _, ok := m[k]; !ok {
				m[k] = nil
			}
		}
	}
	return Merge(Builtin(), Data(doc))
}

// unsetMembers are the members of data.ztci.config, by section ("" for
// the top level), that document leaves out when c leaves them at their
// default. TestBuiltinWithLeavesNothingUnset fails when one is missing.
var unsetMembers = map[string][]string{
	"":         {"untrusted_triggers"},
	"deploy":   {"deny_severity", "source_refs"},
	"pipeline": {"production_environments", "protected_branches"},
}

// document is data.ztci.config for c. Keys are the Rego rule sets' own
// (see library/ztci/*.rego); a field at its default is left out so the
// rule set's default applies.
func (c *LibraryConfig) document() map[string]any {
	strs := func(xs []string) []any {
		out := make([]any, len(xs))
		for i, x := range xs {
			out[i] = x
		}
		return out
	}
	signers := func(ss []AllowedSigner) []any {
		out := make([]any, len(ss))
		for i, s := range ss {
			out[i] = map[string]any{"san": s.SAN, "issuer": s.Issuer}
		}
		return out
	}
	d := c.Deploy
	deploy := map[string]any{
		"signers":                    signers(d.Signers),
		"attestation_signers":        signers(d.AttestationSigners),
		"builders":                   strs(d.Builders),
		"sources":                    strs(d.Sources),
		"max_critical":               d.MaxCritical,
		"require_scan":               d.RequireScan,
		"max_scan_age_seconds":       int64(d.MaxScanAge / time.Second),
		"require_protected_ref":      !d.AllowUnprotectedRefUnsafe,
		"production_secrets":         strs(d.ProductionSecrets),
		"production_backends":        strs(d.ProductionBackends),
		"require_secrets_provenance": d.RequireSecretsProvenance,
		"vex_signers":                signers(d.VEXSigners),
	}
	if d.DenySeverity != "" {
		deploy["deny_severity"] = d.DenySeverity
	}
	if d.SourceRefs != nil {
		deploy["source_refs"] = strs(d.SourceRefs)
	}
	p := c.Pipeline
	pipeline := map[string]any{
		"approval_jobs":   strs(p.ApprovalJobs),
		"allowed_images":  strs(p.AllowedImages),
		"allowed_actions": strs(p.AllowedActions),
		"allowed_orbs":    strs(p.AllowedOrbs),
	}
	if p.ProductionEnvironments != nil {
		pipeline["production_environments"] = strs(p.ProductionEnvironments)
	}
	if p.ProtectedBranches != nil {
		pipeline["protected_branches"] = strs(p.ProtectedBranches)
	}
	grants := make([]any, len(c.Secrets.Grants))
	for i, g := range c.Secrets.Grants {
		m := map[string]any{
			"secret":       g.Secret,
			"repositories": strs(g.Repositories),
			"refs":         strs(g.Refs),
			"protected":    !g.AllowUnprotected,
		}
		if g.AllowUnprotectedEnvironment {
			m["environment_protected"] = false
		}
		if g.Environments != nil {
			m["environments"] = strs(g.Environments)
		}
		if g.IDs != nil {
			m["ids"] = strs(g.IDs)
		}
		if g.Issuers != nil {
			m["issuers"] = strs(g.Issuers)
		}
		if g.RepositoryIDs != nil {
			m["repository_ids"] = strs(g.RepositoryIDs)
		}
		grants[i] = m
	}
	doc := map[string]any{
		"deploy":   deploy,
		"pipeline": pipeline,
		"secrets":  map[string]any{"grants": grants},
		"kubernetes": map[string]any{
			"allowed_images":                   strs(c.Kubernetes.AllowedImages),
			"allowed_kinds":                    strs(c.Kubernetes.AllowedKinds),
			"allowed_volume_types":             strs(c.Kubernetes.AllowedVolumeTypes),
			"allowed_csi_drivers":              strs(c.Kubernetes.AllowedCSIDrivers),
			"allowed_argocd_projects":          strs(c.Kubernetes.AllowedArgoCDProjects),
			"allowed_argocd_repos":             strs(c.Kubernetes.AllowedArgoCDRepos),
			"allow_argocd_floating_revisions":  c.Kubernetes.AllowArgoCDFloatingRevisions,
			"allow_argocd_source_overrides":    c.Kubernetes.AllowArgoCDSourceOverrides,
			"allow_argocd_project_credentials": c.Kubernetes.AllowArgoCDProjectCredentials,
			"allow_argocd_project_roles":       c.Kubernetes.AllowArgoCDProjectRoles,
			"control_plane_namespaces":         strs(c.Kubernetes.ControlPlaneNamespaces),
			"allowed_ingress_urls":             strs(c.Kubernetes.AllowedIngressURLs),
			"allowed_ingress_collectors":       strs(c.Kubernetes.AllowedIngressCollectors),
			"allowed_ingress_real_ip":          strs(c.Kubernetes.AllowedIngressRealIP),
			"allow_ingress_source_ranges":      c.Kubernetes.AllowIngressSourceRanges,
		},
		"terraform": map[string]any{
			"deletable_types":   strs(c.Terraform.DeletableTypes),
			"allowed_types":     strs(c.Terraform.AllowedTypes),
			"allowed_providers": strs(c.Terraform.AllowedProviders),
		},
	}
	if c.UntrustedTriggers != nil {
		doc["untrusted_triggers"] = strs(c.UntrustedTriggers)
	}
	return doc
}

// plainEnvironment reports whether env is a plain environment name as
// the pipeline rules read one (pipeline.rego prod_jobs): ASCII letters
// and digits, space, ".", "_", "-", "/" and ":", around surrounding
// whitespace.
func plainEnvironment(env string) bool {
	for _, r := range strings.TrimSpace(env) {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', strings.ContainsRune(" ._-/:", r):
		default:
			return false
		}
	}
	return true
}

// validProviderSource reports whether s is a provider source as the
// library matches one against a plan's provider_name: two or three
// non-empty parts separated by "/", none holding a space or a control.
func validProviderSource(s string) bool {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.ContainsFunc(p, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) {
			return false
		}
	}
	return true
}

// validAuthority reports whether s names an identity authority as a
// job's identity carries it: an issuer URL as identity/oidc accepts one
// (https, or http on loopback), or a bare SPIFFE trust domain.
func validAuthority(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	switch u.Scheme {
	case "https", "http":
		return origin.Secure(u)
	case "spiffe":
		return u.Path == "" && u.Port() == "" && strings.ToLower(u.Host) == u.Host
	}
	return false
}

// namespaceName reports whether ns is a Kubernetes namespace name (an
// RFC 1123 label).
func namespaceName(ns string) bool {
	if ns == "" || len(ns) > 63 || ns[0] == '-' || ns[len(ns)-1] == '-' {
		return false
	}
	for _, r := range ns {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}
