// Package policy decides, as code, whether a CI/CD action may proceed:
// deploy these artifacts, run this pipeline configuration, release these
// secrets to this job, apply these Kubernetes manifests or this Terraform
// plan. It is backed by Open Policy Agent (Rego v1) and links neither
// sigstore-go nor go-containerregistry: verification results arrive as this
// package's own types, filled by the caller from the verify package.
//
// # Main types
//
//   - [Evaluator] (with [EvaluatorFunc]): Evaluate(ctx, [Input]) ([Decision], error).
//   - [Engine]: the OPA-backed Evaluator. [New] compiles the policy once
//     (PrepareForEval); Evaluate converts the Input straight to OPA's value
//     form (no JSON round trip) and is safe for concurrent use.
//   - [Source]: where a policy comes from — [FS] (embed.FS), [Dir], [BundleFile]
//     / [ReadBundle] (an `opa build` tarball), [Data] (data documents), [Merge],
//     and [Builtin] (the embedded library, also as files via [Library]);
//     [BuiltinWith] adds its typed configuration, a [LibraryConfig].
//   - Modes: [Enforce], [Warn] (allow, report violations), [DryRun] (allow,
//     record; evaluation errors do not block).
//   - policytest (subpackage): run *_test.rego files from a Go test.
//
// # Composed
//
//	eval, err := policy.New(ctx,
//		policy.BuiltinWith(config), // a policy.LibraryConfig
//		policy.WithAudit(sink),
//		policy.WithCompromiseChecker(killSwitch),
//		policy.WithReloadInterval(time.Minute))
//	if err != nil { ... }
//	defer eval.Close()
//	d, err := eval.Evaluate(ctx, policy.Input{Action: policy.ActionDeploy, Job: policy.JobFromIdentity(id), Artifacts: arts})
//	if err != nil || !d.Allowed {
//		// deny; d.Violations say why when err == nil
//	}
//
// # Security contract
//
//   - Fail closed. Every Evaluate error wraps [ErrNoDecision] (undefined
//     decision [ErrUndefined], wrong result shape [ErrResultShape] /
//     [*ShapeError], invalid input [ErrInvalidInput], OPA failure or
//     deadline [ErrEvaluation] (also matching context.DeadlineExceeded),
//     audit failure [ErrAudit], [ErrClosed]); callers must deny. Only
//     [DryRun] mode, an explicit opt-in, turns errors into an allowed
//     Decision (with a "ztci.no_decision" violation).
//   - Evaluation is bounded by the engine itself, not only by the caller's
//     context: [WithEvalTimeout] (default [DefaultEvalTimeout], 5s; it
//     cannot be turned off) and the caller's deadline, the earlier
//     winning. A caller passing context.Background() can no longer let a
//     policy that loops over what the input sizes (numbers.range(1,
//     input.n), nested comprehensions over input arrays) hold a core and
//     grow memory until the process dies: the evaluation ends with
//     [ErrEvaluation] (also matching context.DeadlineExceeded), a deny,
//     audited with the caller's context as every other no-decision. A
//     policy that needs longer must say so with WithEvalTimeout; a
//     longer caller deadline (policy/gate's Limits.Timeout) does not
//     extend it. OPA bounds neither memory nor instructions: within the
//     deadline a rule can still allocate what it builds, so keep it short
//     and bound input size ([MaxInputBytes]).
//   - A decision is allowed in Enforce mode only if the policy says
//     allow: true AND reports no violation.
//   - Builtin errors abort evaluation (strict mode) instead of making a rule
//     silently undefined. Policies cannot call http.send,
//     net.lookup_ip_addr or opa.runtime (the environment holds CI secrets),
//     nor json.match_schema or json.verify_schema, which read a schema
//     "$ref" to a file:// URL from the host's file system, nor
//     strings.render_template or graph.reachable_paths, which ignore the
//     evaluation's deadline while their work grows exponentially in what
//     they are given (a policy passing them input would let its author's
//     adversary hold the gate's CPU for minutes per request).
//   - A compromised identity ([WithCompromiseChecker]) is denied in every
//     mode, before any policy runs (rule [RuleCompromised]).
//   - Loading is bounded ([MaxPolicyFileBytes], [MaxBundleBytes],
//     [MaxInputBytes]). A bundle tarball, or a directory ([FS], [Dir]),
//     that holds a file path twice, a path with a ".." element, an entry
//     that is neither a regular file nor a directory (a symbolic or hard
//     link, a device), a data file OPA would place elsewhere than its
//     directory says, a data.json, data.yaml or .manifest that repeats a
//     member (in YAML, two keys OPA reads as one member name, 1 and "1";
//     or a second document), a .manifest that spells a member of OPA's
//     manifest in another case ("Revision", "reviſion", at any depth), or
//     a file named like a module, data document or manifest in another
//     case ("deny.Rego", "Data.json", which OPA's loader skips), is
//     refused: OPA merges two data.json files that tar would extract as
//     one, skips links that tar, git and a reviewer follow, keeps the last
//     of two members a reviewer reads the first of, and decodes the
//     manifest case-insensitively, as the revision every decision names,
//     where a reviewer reads another member or none. [Dir] reads no file
//     from outside its directory. [BundleFile] and [Dir] refuse a path (or
//     an entry) that is not a regular file or directory without waiting
//     on it: a FIFO put there stalled the reload for ever. A revision (a
//     .manifest's, or what a Source returns) longer than
//     [MaxRevisionBytes], not UTF-8 or holding a character that is not
//     printable (a line break, a control, a bidirectional override or
//     other format character) is refused: every Decision, its String and
//     every audit event carries it as is. A reload that fails keeps the last good policy
//     (never an empty one); the error is returned, logged, audited and kept
//     in [Engine.LastReloadError]. Unless it wraps [ErrExpired]: a Source
//     saying the policy in force is too old (policy/ocibundle's
//     WithMaxAge) makes Evaluate fail with [ErrNoDecision] until a reload
//     succeeds, and the reload's audit event (and that of every failed
//     reload until then) says so, with the attribute policy_expired=true,
//     instead of "last good policy kept". [WithMaxAge] bounds the last
//     good policy for any Source ([Dir], [BundleFile], [Merge], ...): once
//     no load has succeeded for that long (an unchanged policy's reload
//     counts), Evaluate fails with [ErrNoDecision] wrapping [ErrExpired],
//     even while a Load hangs, and every failed reload wraps ErrExpired,
//     until a reload succeeds. It is off by default, as policy/ocibundle's
//     is: without it a Source that keeps failing keeps the last good
//     policy in force for ever. OPA's own bundle signatures
//     (.signatures.json) are not checked here (a bundle holding one is
//     refused, as OPA's loader has no key for it): establish a bundle's
//     provenance before loading it — policy/ocibundle does, verifying the
//     Sigstore signature on an OCI bundle's manifest before reading it.
//     Only Rego is evaluated: a bundle (tarball, [Dir] or [FS]) holding
//     a compiled policy OPA's loader reads (policy.wasm or any *.wasm,
//     plan.json, plan.pb), a binary .manifest.pb, or a .manifest whose
//     "wasm" or "plan" member is non-empty is refused with [ErrLoad]
//     naming the file, so a reviewer never reads a policy the engine
//     ignores.
//   - Audit events (action "policy.evaluate") carry the policy revision, a
//     SHA-256 digest of the input, the outcome, the mode and the violated
//     rule ids, with the job's identity claims as the actor and the action
//     as the resource — no other input values, no violation messages or
//     values, no OPA error text. Input itself holds secret names, never
//     secret values.
//
// # Decision rule
//
// The evaluator queries [DefaultQuery] (data.ztci.main.decision, defined by
// the built-in library) or the rule named by [WithQuery]. It must produce
//
//	{"allow": <boolean>, "violations": [{"rule": <string>, "message": <string>, "value": <any>}, ...]}
//
// where violations may be an array or a set. Anything else is an error,
// a member beside allow and violations included, and so is a rule id that
// is not printable UTF-8 (a newline, an escape, a tab, a bidirectional
// override) or longer than [MaxRuleBytes]: rule ids are written to every
// audit event, to a secrets broker's reason and to logs, so a policy that
// builds one from input must not let the input forge a line there.
// [SecretsAuthorizer] quotes such a rule id from an Evaluator that is not
// an Engine. A message is for a person and may quote input: quote it, as
// the built-in library does, before writing it to a log. The built-in library's
// messages show every value of the input quoted and escaped, as Go's %q
// shows a string (data.ztci.lib.printable): a newline, a control or a
// bidirectional override in an artifact's name, a finding's id, a
// certificate's ref, a job's repository, a manifest's kind, name or
// image, or a Terraform resource's address is written as an escape, so a
// log that writes Violation.String() cannot be given a forged line. A
// Kubernetes manifest is named "<kind>/<name>", quoted ("Pod/web"); a
// violation's value keeps the input's value as it was.
//
// # Input schema
//
// The document Rego sees as `input` is the JSON encoding of [Input]. Scalar
// fields are always present (a comparison is never silently undefined);
// lists, maps and optional sections are absent when empty. A free-form
// section (manifests, terraform_plan, raw, predicate, external_parameters)
// holding what that encoding refuses or alters (a NaN or infinite float,
// a json.Number that is not a JSON number, a string or name that is not
// UTF-8, a cycle or nesting deeper than 128) is invalid input; a nil map
// or slice in one is null, as its JSON encoding is (not an empty object
// or array, which the rules read differently).
//
//	action          string   "deploy" | "pipeline.run" | "secrets.release" | "kubernetes.admit" | "terraform.apply"
//	job             object   who asks ([Job], from [JobFromIdentity])
//	  id, spiffe_id, issuer, subject          string  verified identity
//	  platform, repository, ref, commit       string  CI claims
//	  protected                               bool    the ref is protected
//	  workflow, workflow_ref, name, run_id    string
//	  trigger, actor, runner, environment     string
//	  approvals       [{name, by}]            approvals granted in this run
//	pipeline        object   the configuration being run ([Pipeline])
//	  platform, path  string
//	  uses            [string] orbs / includes ("circleci/node@5.1.0", "group/project/file.yml@<sha>")
//	  jobs            [{name, type ("approval"|""), environment, privileged,
//	                    requires [string], branches [string], images [string],
//	                    steps [{name, uses, image, privileged}]}]
//	  raw             object   the platform's own document, if given (the
//	                           built-in library judges none and denies it)
//	artifacts       [object] ([Artifact]) with verification results
//	  name, digest    string
//	  verified        bool     signature, log entry and timestamps verified
//	  signer          {san, issuer, claims}   claims: identity.Claims JSON
//	  attestations    [{predicate_type, signer,
//	                    provenance {builder_id, build_type, source_repository,
//	                                source_ref, source_digest, external_parameters},
//	                    scan {scanner, critical, high, medium, low,
//	                          findings [{id, severity, package}]},
//	                    secrets_provenance {job {id, identity, spiffe_id,
//	                                repository, ref, ref_protected, run_id},
//	                          credentials [{lease_id, backend, secret,
//	                                decision_id, policy_revision, issued_at,
//	                                revoked_at, compromised}]},
//	                    predicate}]
//	  vsa             {verifier, signer, policy_revision, time_verified,
//	                   verified_levels [string], inputs [{digest,
//	                   predicate_type, signer, builder}]}   set when a trusted
//	                   verification summary stood in for verification; the
//	                   attestations are then the facts it carries
//	secrets         {names [string],          secrets requested ([SecretsInput])
//	                 renewal bool}            true when a lease being renewed is
//	                                          judged again ([SecretsAuthorizer])
//	manifests       [object] Kubernetes objects
//	terraform_plan  object   `terraform show -json` output
//
// # Built-in library
//
// [Builtin] dispatches data.ztci.main.decision on input.action and denies an
// unknown action. Configure it with a [LibraryConfig] and load both with
// [BuiltinWith]; the struct's fields document each setting, and it becomes
// data.ztci.config (Merge(Builtin(), Data(map)) with the same document
// still works). BuiltinWith writes every setting, those at their default
// as null (unset), so a source merged beside it cannot add one. Modules
// beside the library (recognised by its modules' content, wherever a
// bundle puts them) must declare packages of their own: one in a
// library package, or above one ("package ztci"), is refused with
// [ErrLibraryPackage], because Rego joins every definition of a rule and
// such a module could weaken the library ("known_action if true"), not
// only add to it; so is one in package ztci.config or inside it, which
// would define configuration, possibly for some inputs only (the
// configuration is data). Settings:
//
//	deploy:     signers [{san, issuer}] (exact match), attestation_signers,
//	            builders [id], sources [uri], source_refs [ref] (optional),
//	            max_critical (0; a finding of a severity the rules do not
//	            recognise, "unknown" included, counts as critical),
//	            require_scan (false), max_scan_age_seconds (0: off),
//	            require_protected_ref (true), production_secrets [glob]
//	            (matched without case, "*" crossing "/"; once one is set, a
//	            credential whose secret is not a literal name counts as
//	            production),
//	            production_backends [label], require_secrets_provenance (false),
//	            deny_severity ("critical"|"high"|"medium"|"low"; absent: off),
//	            vex_signers [{san, issuer}] (OpenVEX signers whose not_affected
//	            with justification, or fixed, lifts a finding; empty: none)
//	pipeline:   production_environments (["production"]), protected_branches
//	            (["main"]), approval_jobs, allowed_images, allowed_actions,
//	            allowed_orbs (prefixes; empty denies all)
//	secrets:    grants [{secret (glob), repositories, refs (globs),
//	            environments, environment_protected (true: only
//	            environments the job's token says are protected match,
//	            on every platform but "github-actions", whose token
//	            states no protection),
//	            protected (true), ids, issuers (OIDC issuers or SPIFFE
//	            trust domains; nil: any), repository_ids (the platform's
//	            immutable ids; nil: any)}]
//	kubernetes: allowed_images (prefixes, a registry host named whole;
//	            empty: any pinned image),
//	            allowed_kinds (kinds accepted beyond the judged and harmless ones),
//	            allowed_volume_types (volume sources beyond the Pod Security
//	            restricted profile's; hostPath, gitRepo and csi are not),
//	            allowed_csi_drivers (drivers an inline csi volume may name;
//	            empty: none), allowed_argocd_projects and
//	            allowed_argocd_repos (exact names: the Argo CD projects
//	            and repository URLs an Application may use; empty: none),
//	            allow_argocd_floating_revisions (false: every Argo CD
//	            revision a commit SHA or a sha256 digest),
//	            allow_argocd_source_overrides (false: no Argo CD source
//	            with helm values, parameters or remote valueFiles,
//	            kustomize members but version, plugin env or parameters,
//	            jsonnet extVars or tlas; tool and source members in any
//	            case),
//	            allow_argocd_project_credentials (false: no AppProject
//	            whose whitelists grant Secret, ServiceAccount, Role,
//	            RoleBinding, ClusterRole or ClusterRoleBinding),
//	            allow_argocd_project_roles (false: no AppProject role
//	            policy but a get or a deny),
//	            control_plane_namespaces (added to argocd,
//	            openshift-gitops and every kube- namespace: no Argo CD
//	            destination there),
//	            allowed_ingress_urls (exact URLs an ingress-nginx auth-url
//	            or mirror-target may hold; empty: none),
//	            allowed_ingress_collectors (exact hosts or URLs the
//	            ingress-nginx ConfigMap keys otlp-collector-host,
//	            zipkin-collector-host, jaeger-collector-host,
//	            jaeger-endpoint, jaeger-sampler-host,
//	            datadog-collector-host, syslog-host and
//	            global-rate-limit-memcached-host may hold; empty: none),
//	            allowed_ingress_real_ip (exact proxy-real-ip-cidr entries
//	            and forwarded-for-header values ingress-nginx may trust to
//	            name a client's address; empty: none),
//	            allow_ingress_source_ranges (false: no Ingress with an
//	            ingress-nginx whitelist-, allowlist- or
//	            denylist-source-range, which lifts block-cidrs from it,
//	            and no ConfigMap setting whitelist-source-range,
//	            denylist-source-range, block-cidrs, block-user-agents or
//	            block-referers, the controller's defaults and block lists)
//	terraform:  deletable_types, allowed_types (types accepted beyond the judged ones),
//	            allowed_providers (provider sources trusted beyond
//	            hashicorp's: a plan may use them, and those two lists
//	            accept their types beyond each type's own hashicorp/<prefix>;
//	            "namespace/type" on the public registries, "host/namespace/type")
//	untrusted_triggers (["pull_request_target", "workflow_run", "ssh-rerun"]): job
//	            triggers that never count as a protected ref (deploys,
//	            secret releases, builds, and the jobs whose certificates
//	            signed an artifact or an attestation a deploy relies on);
//	            matched without case and surrounding whitespace, and a
//	            trigger in the input that is not a string is untrusted;
//	            add issue_comment, issues, discussion and
//	            discussion_comment (the default branch, its secrets, for
//	            anyone) if workflows on them build a pull request's code
//
// An allow-listed prefix covers a reference only at a boundary of its
// parts: the reference is the prefix, the prefix ends with "/", ":" or
// "@", or the reference continues it with one of them. "ghcr.io/acme"
// covers "ghcr.io/acme/app@sha256:…" but not "ghcr.io/acme-evil/app";
// "registry.example:5000" does not cover "registry.example:50001/app".
// Actions and orbs are compared as written. Images (a pipeline's, a
// docker:// step's, a Kubernetes container's or image volume's) and the
// image prefixes are compared as Docker reads them: a first part that
// holds a "." or ":", is "localhost" or is not in lower case is the
// registry host, else the image is on Docker Hub ("docker.io";
// "index.docker.io" is the same host), and a Docker Hub name of one part
// is an official image under "library/". So "alpine",
// "library/alpine", "docker.io/library/alpine" and
// "index.docker.io/library/alpine" are one entry, covering
// "alpine:3.19@sha256:…" and "docker.io/library/alpine@sha256:…" but not
// "alpine/git" (docker.io/alpine/git, another Docker Hub account's
// namespace: allow one as "alpine/"); "docker.io/acme" is
// docker.io/library/acme, a namespace "docker.io/acme/". A prefix covers
// an image only if it names the image's registry host whole: "alpine"
// does not cover "alpine:5000/evil/app@sha256:…" (the registry at host
// alpine), "registry.example" (a host: a prefix of one part that Docker
// would read as one) does not cover "registry.example:5000/app". Hosts
// are otherwise compared as written: "GHCR.io", "ghcr.io." or
// "ghcr.io:443" is not covered by "ghcr.io/acme".
//
// With no configuration every deploy and secret release is denied. Each
// rule set has Rego tests (library/ztci/*_test.rego) that go test runs.
//
// A configuration document written by hand rather than by LibraryConfig
// (an OPA bundle's data.json) is checked against the members above: one
// the library does not read ("max_criticals", a "SAN" in a signer), or a
// value of another type (max_critical "0", deny_severity "HIGH", a
// fractional or negative count), is refused when the Engine loads it
// ([ConfigError]: New fails, Reload keeps the policy in force), since a
// rule would otherwise read its default, and so is a
// production_environments that LibraryConfig.Validate refuses (an empty
// list, which would exempt every job, or an entry that is not a plain
// name). null reads as unset, but not in a secret grant, whose rules
// would read "issuers": null (or environments, ids, repository_ids) as
// a list covering no job: a grant's member written null is refused; to
// leave it unset, leave it out (as LibraryConfig does for a nil list).
// The check
// is data.ztci.lib.config_errors, and a glob pattern (a grant's secret
// or refs, production_secrets) that does not compile is refused the same
// way (data.ztci.lib.config_globs lists them; glob.match would abort every
// decision reaching one); an OPA of the vendor's own that evaluates the
// library should query both when it loads the bundle. A bundle holding
// modules of the library without ztci/config_schema.rego, which defines
// the check, is refused the same way: its configuration could not be
// checked.
//
// Every rule set denies by default, with a violation that says why: an
// empty, missing or null section, a field of the wrong type (a flag counts
// as set only if it is the boolean true where true allows, and as unset
// only if it is absent, null or false where true denies; a list must be a
// list), and a shape the rules do not know are all denied
// ("<set>.malformed", "kubernetes.unknown_kind", "terraform.unknown_type").
// In particular:
//
//   - deploy: artifacts must be a non-empty list of objects with a
//     "<sha256|sha384|sha512>:<hex>" digest; verified and job.protected must
//     be true. Source repositories match as the verify package matches them
//     (verify.Provenance.SourceRepository): a leading "git+", the scheme
//     (an RFC 3986 "scheme://" at the very start only: in
//     "acme/x://github.com/victim/app" the "://" is part of the
//     repository), one trailing "/" and one trailing ".git" are ignored
//     (text that would still hold one of them, "app.git.git", is kept
//     whole and matches only itself); host, owner and name are compared
//     exactly and case-sensitively. So "git+https://github.com/acme/app",
//     "https://github.com/acme/app" and "github.com/acme/app" are one
//     source, and "gitlab.com/acme/app" or "github.com/evil/app" never
//     match it. A scan's counts must be non-negative numbers; a scan
//     that counts fewer criticals than it lists counts the listed ones,
//     one that counts more counts those it does not list beside every
//     listed finding counted as critical (a VEX statement lifting a listed
//     "unknown" finding does not lift an unlisted critical), and (with
//     deny_severity) one that counts more findings of a severity than it
//     lists is denied. A scan's findings must be a list of objects and
//     aliases (a finding's, a VEX statement's) a list; the certificate
//     claims of the artifact's signature and of a judged attestation, and
//     a provenance's external_parameters, must be objects where present
//     (one that is not would read as naming no trigger, repository or
//     ref). Every credential of a secrets provenance
//     needs string lease_id, secret and backend, and its job's repository
//     (and the repository its certificate names, if any) must be an
//     allowed source: one of another repository's build tells nothing of
//     this one. Every attestation of a SLSA
//     provenance type, or with a provenance summary, is judged for builder,
//     source, source ref and trigger, listed type or not; the repository and
//     ref the certificate that signed it names (signer.claims.repository and
//     .ref, established by the verifier, not written by the signer) must
//     name an allowed source's owner and name (the host is the forge its
//     issuer serves, which the signer entry pins) and, with source_refs, an
//     allowed ref too. A finding counts as critical (max_critical) when its
//     severity, without case or surrounding whitespace, is critical or is
//     none of critical, high, medium and low ("unknown", a CVSS score, a
//     misspelling): attest/vuln asks consumers to read unknown as at least
//     their threshold. A production credential (production_secrets, where
//     "*" crosses "/": the list says what to deny) reached a build that does
//     not count as protected when its job's ref_protected is not true or the
//     build's signed evidence (a provenance's trigger, the certificate of
//     the artifact's signature or of a trusted attestation) names an
//     untrusted trigger, require_protected_ref or not. A later "affected"
//     VEX statement whose subcomponent, or the finding's package, is not a
//     package URL the rules can compare counts against a lift, and so does
//     one whose subcomponent may be the finding's package spelled
//     otherwise (the same type; names alike without case; qualifiers and
//     subpath set aside; a version that is absent on either side or alike
//     once case, a leading "v", an epoch, separators, leading zeros and
//     trailing zero components are set aside: 1.2.3 for v1.2.3,
//     1:2.36.9 for 2.36-9), while a lifting statement must name it
//     exactly (OpenVEX's package URL match); and a VEX
//     attestation of a vex_signers signer that does not read (no vex
//     summary, statements that are not objects or name no vulnerability,
//     an OpenVEX predicate type of another version) leaves nothing of the
//     artifact lifted: it may be that later "affected". An attestation of
//     the secrets provenance type, of another version of it, or carrying
//     a secrets provenance summary under any type, is judged as secrets
//     provenance, and one of a vulnerability scan type
//     ("https://in-toto.io/attestation/vulns/…",
//     "https://cosign.sigstore.dev/attestation/vuln/…"), of any version,
//     or carrying a scan summary, as a scan: one the gate could not
//     summarize is denied as unreadable, not passed over. A time a
//     signer states (a scan's, a VEX statement's timestamp or
//     last_updated) that is not RFC 3339, names a day that does not
//     exist, or lies more than five minutes in the future reads as no
//     time: such a scan is stale, such a statement lifts nothing (and a
//     contrary one cancels every lift it may be about). A VEX statement is
//     later than another only by both its timestamp and its last change
//     (the later of timestamp and last_updated): an "affected"
//     re-confirmed by last_updated after a not_affected cancels it, even
//     with an older timestamp, and a tie cancels too. An empty string
//     matches no configured entry.
//   - kubernetes: at least one manifest (a list of empty Lists is none). Pod specs are judged for Pod,
//     PodTemplate, ReplicationController, ReplicaSet, Deployment,
//     StatefulSet, DaemonSet, Job and CronJob, inside List items, and in
//     any object that has containers, initContainers or ephemeralContainers
//     (CRDs). Every container (init and ephemeral too) must set
//     allowPrivilegeEscalation: false, not be privileged, add no capability
//     beyond the Pod Security baseline set, bind no hostPort, use an image
//     pinned by digest (and allow-listed), set no procMount but Default,
//     name no host in a probe or lifecycle hook (httpGet.host,
//     tcpSocket.host: the kubelet would connect there from the node; the
//     baseline from Kubernetes 1.34), and run as non-root (runAsNonRoot
//     true and no runAsUser but an integer ≥ 1, container over pod; a
//     container's null is unset, so the pod's applies). A kind ending in "List" is
//     unwrapped only if it is List or a known kind's list. Pods must
//     not use hostNetwork, hostPID, hostIPC, Windows hostProcess or hostPath
//     volumes. Kinds that are neither judged nor harmless (ConfigMap,
//     Secret, Service, ServiceAccount, PersistentVolumeClaim,
//     HorizontalPodAutoscaler, PodDisruptionBudget, NetworkPolicy, Ingress,
//     each only in its own API group: a "Secret" of another group is a
//     custom resource, as is a "Deployment" or "Pod" of another group than
//     its own) nor in allowed_kinds are denied; so is a checked member
//     spelled in another case ("HostNetwork", "ApiVersion", a metadata
//     "Namespace" or "Annotations", a NetworkPolicy's "Ingress" or
//     "IpBlock"), Unicode case folding included ("hoſtNetwork" with a long
//     s, as Go's encoding/json matches it). An image volume's reference
//     is judged as an image (pinned, allow-listed); a gitRepo volume, which the node fills by
//     running git as root (CVE-2024-10220), is denied
//     (kubernetes.host_path), as is a PersistentVolume accepted through
//     allowed_kinds that is hostPath or local; a volume source the Pod
//     Security restricted profile does not allow (nfs, iscsi, rbd, cephfs,
//     flexVolume, cloud disks...: the node mounts what the pod names; in
//     any case but the profile's own spelling) unless allowed_volume_types
//     lists it, an inline csi volume of a driver not in allowed_csi_drivers
//     and a claim template (ephemeral, a StatefulSet's volumeClaimTemplates)
//     that binds an existing PersistentVolume by volumeName or selector are
//     denied too (kubernetes.volume_type); so is any object in a "kube-" namespace,
//     the control plane's (kubernetes.system_namespace). The rest of the Pod Security
//     baseline is judged too: seccomp and AppArmor profiles (field or
//     legacy annotation) must be RuntimeDefault or Localhost, SELinux
//     options may set only a level and a container type, sysctls must be
//     on the baseline's safe list. A harmless kind in a harmful shape is
//     an unknown kind (a Service of a type other than ClusterIP or with
//     externalIPs, a service-account-token or bootstrap token Secret, an
//     Ingress with a configuration snippet annotation or an ingress-nginx
//     annotation whose value holds nginx syntax (a line break, ";", a
//     brace, a quote or a backslash: CVE-2023-5044, CVE-2025-24514,
//     CVE-2025-1097, CVE-2025-1098) or a path (spec.rules[].http.paths[].path,
//     which ingress-nginx writes into a location) that holds whitespace, a
//     control, ";", a brace, a quote or a backslash (CVE-2021-25745,
//     CVE-2021-25748), a NetworkPolicy rule that admits
//     every address: no peers, or ipBlocks that cover the world, alone or
//     with those of the request's other NetworkPolicies, a
//     PersistentVolumeClaim that binds an existing volume by volumeName or
//     selector, a ConfigMap that sets ingress-nginx's
//     allow-snippet-annotations other than "false", annotations-risk-level
//     other than Low, Medium or High, allow-cross-namespace-resources
//     other than "false", strict-validate-path-type other than "true",
//     no-auth-locations other than "" or /.well-known/acme-challenge
//     ("/" exempts every location from authentication),
//     global-allowed-response-headers, proxy-set-headers or add-headers
//     other than "" (headers every Ingress may set, or the controller
//     adds to every request and response), enable-modsecurity or
//     enable-owasp-modsecurity-crs other than "true", or
//     a *-snippet or global-auth- key (global-auth-url sends every
//     request's headers to the URL it names; keys without case, folded
//     as the controller's decoder folds them: "allow-ſnippet-annotations"
//     is allow-snippet-annotations, any ConfigMap name; the new keys a
//     behaviour change), unless allow_ingress_source_ranges a ConfigMap
//     that sets whitelist-source-range, denylist-source-range,
//     block-cidrs, block-user-agents or block-referers (any value: ""
//     empties the administrator's block list; a behaviour change), an
//     Ingress annotated satisfy other than "all" ("any" admits a request
//     that passes authentication or the source ranges, not both; a
//     behaviour change), a ConfigMap that sets one of ingress-nginx's
//     collector keys (otlp-collector-host, zipkin-collector-host,
//     jaeger-collector-host, jaeger-endpoint, jaeger-sampler-host,
//     datadog-collector-host, syslog-host,
//     global-rate-limit-memcached-host; without case, any ConfigMap
//     name) to a value other than "" that allowed_ingress_collectors
//     does not list, exactly: the controller sends there the spans, log
//     lines (paths and query strings) or rate limit keys of every Ingress
//     (a behaviour change: any host used to be accepted; the controller
//     reads whichever ConfigMap its --configmap flag names, so a
//     ConfigMap of another purpose with one of these keys is judged
//     too: list its value or rename the key), a ConfigMap that sets
//     ingress-nginx's use-forwarded-headers, enable-real-ip,
//     use-proxy-protocol or compute-full-forwarded-for other than false
//     without a proxy-real-ip-cidr (default 0.0.0.0/0: every client names
//     its own address past whitelist-source-range, denylist-source-range
//     and block-cidrs), or a proxy-real-ip-cidr entry or a
//     forwarded-for-header other than X-Forwarded-For that
//     allowed_ingress_real_ip does not list, exactly (keys without case,
//     any ConfigMap name; a behaviour change), an Ingress
//     annotated enable-global-auth, enable-modsecurity or
//     enable-owasp-core-rules other than "true" (out of the controller's
//     global authentication or web application firewall; the last two a
//     behaviour change), an Ingress annotated whitelist-source-range,
//     allowlist-source-range or denylist-source-range (names without
//     case), unless allow_ingress_source_ranges: nginx then ignores the
//     ConfigMap's block-cidrs for it (a behaviour change), an Ingress
//     whose ingress-nginx auth-url or mirror-target (the name in any
//     case; every spelling judged) is not, exactly, in
//     allowed_ingress_urls: the controller connects there itself, from
//     its own network, to the metadata service or another namespace's
//     Service as readily (a behaviour change: a plain auth-url used to
//     be accepted; list it), a Traefik Middleware (traefik.io,
//     traefik.containo.us) whose forwardAuth address is not, exactly, in
//     allowed_ingress_urls, judged even when allowed_kinds lists
//     Middleware (rule kubernetes.traefik: Traefik sends every request's
//     headers there; a behaviour change), Argo CD's
//     settings ConfigMaps by name: argocd-cm, argocd-rbac-cm,
//     argocd-cmd-params-cm, argocd-tls-certs-cm, argocd-ssh-known-hosts-cm,
//     argocd-gpg-keys-cm, and the Secrets Argo CD reads clusters and
//     repositories from: any labelled argocd.argoproj.io/secret-type (any
//     value, the key in any case), and argocd-secret by name), and an object of a
//     kind the rules accept that carries items is malformed (kubectl
//     would apply the items as a List). Argo CD's Application,
//     ApplicationSet and AppProject (argoproj.io), which have Argo CD
//     deploy with its own credentials what a repository holds, are
//     judged even when allowed_kinds lists them (kubernetes.argocd): an
//     Application's project (an ApplicationSet's, in every template) must
//     be in allowed_argocd_projects ("default", which an empty project
//     means, allows everything unless an administrator narrowed it) and
//     every repoURL (sources, a source hydrator's, a Git generator's) in
//     allowed_argocd_repos, exactly, so a templated value is denied; no
//     destination may be a kube- namespace and an ApplicationSet may not
//     carry a templatePatch; unless allow_argocd_floating_revisions, every
//     targetRevision and revision (a Git generator's, an operation's
//     revision and revisions) must be a full commit SHA (40 lower-case
//     hex digits) or "sha256:" and 64, a source must name one, and a
//     source hydrator (it syncs from a branch) is denied (a behaviour
//     change: a branch, tag, HEAD or Helm version used to be accepted);
//     unless allow_argocd_source_overrides, a source's helm may hold only
//     valueFiles (paths, no "://"), ignoreMissingValueFiles, releaseName,
//     version, skipCrds, skipSchemaValidation and skipTests, its kustomize
//     only version, its plugin only name, its directory only recurse,
//     include, exclude and a jsonnet of libs: values, parameters,
//     patches, images, env, extVars and tlas change what Argo CD renders
//     from the pinned commit (in sources, ApplicationSet templates and
//     operations; the tool members and the source, sources and
//     drySource holding them in any case, "Helm" or "kuſtomize" as
//     Go's decoder reads them; a behaviour change); unless allowed_kinds
//     lists Namespace, no managedNamespaceMetadata (Argo CD writes its
//     labels, pod-security.kubernetes.io/enforce: privileged, onto the
//     destination namespace; a behaviour change);
//     an AppProject's sourceRepos must be in
//     allowed_argocd_repos ("!" entries narrow), its destinations and
//     sourceNamespaces may hold no glob (a backslash escapes in Argo CD's
//     globs: "kube\-system" is kube-system) nor kube- namespace, its
//     clusterResourceWhitelist may name only kinds allowed_kinds lists,
//     and it must carry a namespaceResourceWhitelist (none, or an empty
//     one, lets Argo CD create every namespaced kind: a RoleBinding to
//     cluster-admin, any Secret) whose literal entries name only workload
//     and harmless kinds in their own API group (no group: the core
//     group) or kinds allowed_kinds lists; RBAC kinds only when listed (a
//     behaviour change: an AppProject without one used to be accepted);
//     unless allow_argocd_project_credentials, neither whitelist may
//     name Secret, ServiceAccount, Role, RoleBinding, ClusterRole or
//     ClusterRoleBinding (any group, kind without case): Argo CD creates
//     them from the repository in shapes the gate never judges, a
//     service-account-token Secret or a binding to cluster-admin (a
//     behaviour change: Secret and ServiceAccount, and RBAC kinds
//     allowed_kinds lists, used to be accepted); unless
//     allow_argocd_project_roles, its roles' policies may only get or
//     deny (update, override, sync, action/*, create, exec let the role's
//     groups change or run its Applications after the gate passed them);
//     its destinationServiceAccounts must name literal servers and
//     namespaces and a literal account living in no control plane
//     namespace (not "argocd:argocd-application-controller"). No
//     Application, ApplicationSet template or AppProject destination,
//     nor an ApplicationSet generator parameter, may name a control
//     plane namespace: argocd, openshift-gitops, those
//     control_plane_namespaces lists, every kube- one (a behaviour
//     change: all these used to be accepted but kube- ones). An
//     operation's sync.manifests (applied instead of the repository)
//     counts as a source override.
//     What a listed repository holds is not judged: list only ones whose
//     content passes a gate of its own. Not judged: RBAC contents, and
//     other kinds an operator lists in allowed_kinds (a controller's
//     custom resource listed there is accepted as written). A ConfigMap
//     is known as ingress-nginx's only by the keys it sets: one that
//     replaces the controller's and leaves a key out sets that key's
//     default, which on ingress-nginx before 1.12 is
//     the weaker one (annotations-risk-level Critical, cross-namespace
//     resources allowed), so run 1.12 or later where ingress-nginx's
//     ConfigMap may be deployed through the gate.
//   - terraform: the plan must be `terraform show -json` output (a
//     format_version, well-formed resource_changes). Ingress open to the
//     world is denied for IPv4 and IPv6, any spelling of /0 and CIDR lists
//     that merge to /0 (each address family merged on its own, and across
//     the rules of one resource), across aws_security_group (inline ingress),
//     aws_security_group_rule (any type but "egress"),
//     aws_vpc_security_group_ingress_rule (cidr_ipv4, cidr_ipv6),
//     google_compute_firewall (source_ranges, or no source at all) and
//     azurerm_network_security_rule / _group (any source but a CIDR or
//     address that is not /0, VirtualNetwork or AzureLoadBalancer: "*",
//     "Internet", "Any", AzureCloud and unknown tags are open, as is an
//     inbound allow rule with no source at all). A
//     direction, rule type or access the rules cannot read is judged as
//     an inbound allow. A judged attribute unknown until apply is
//     denied. Public S3 ACLs (any case) and AllUsers/AuthenticatedUsers
//     grants (any scheme or case) are denied, as is an aws_s3_bucket or
//     aws_s3_bucket_policy whose policy lets in a wildcard principal or
//     NotPrincipal without a condition that restricts it to an account,
//     organization, VPC, endpoint, ARN or source CIDRs short of the world
//     (a policy the rules cannot read counts as public; a condition value
//     with a wildcard or an IAM policy variable, "${aws:PrincipalAccount}",
//     restricts nothing). Objects (aws_s3_object, aws_s3_bucket_object,
//     aws_s3_object_copy) are judged for public ACLs and grants, and an
//     unknown ACL, grant or bucket policy is denied, on these types too
//     even when allowed_types lists them. Other resource types are denied unless in allowed_types,
//     except changes that apply nothing (["no-op"], ["read"]) and deletes
//     of deletable_types. Ingress CIDRs that cover the world only together
//     are detected across the plan's resources of one cloud (two halves
//     of the world on two groups are denied too). A judged type from a
//     provider other than its own (provider_name not hashicorp/aws,
//     hashicorp/google(-beta) or hashicorp/azurerm on the Terraform or
//     OpenTofu registry) is an unknown type. A type in allowed_types or
//     deletable_types, and a data source read during the apply, counts
//     only from a trusted provider: the type's own (hashicorp/<its
//     prefix>; aws_instance from evilcorp/aws is unknown) or one in
//     allowed_providers. Every provider the plan names, in
//     configuration.provider_config (every module's full_name: a
//     provider required only for its functions or ephemeral resources,
//     which the plan does not otherwise show, is there) and in each
//     resource change's provider_name (a no-op's too: terraform configures
//     it), must be trusted: hashicorp/* on the Terraform or OpenTofu
//     registry, Terraform's built-in terraform.io/builtin/terraform, or
//     one in allowed_providers; any other, a bare name (Terraform 0.12's
//     provider_name) or an entry without full_name is denied
//     (terraform.untrusted_provider), and a configuration or
//     provider_config that is not an object is terraform.malformed. A
//     configuration that declares provisioners
//     (local-exec and the like run commands during the apply) or a
//     provider configuration with an exec credential plugin (kubernetes,
//     helm) is denied (terraform.provisioner), as is a plan that invokes
//     actions (action_invocations, Terraform 1.14), reads an external
//     data source during the apply (its program runs there) or reads a
//     terraform_remote_state during the apply (a check-nested one is read
//     at every apply; its backend's kubeconfig exec or AWS
//     credential_process runs there). Not seen, as
//     `terraform show -json` does not show them: removed blocks and their
//     destroy-time provisioners (Terraform 1.9; the delete looks like any
//     other of a resource gone from the configuration), ephemeral
//     resources and provider function calls (only their provider is
//     judged, as above), and an exec written as a dynamic block or inside
//     a non-constant expression.
//   - pipeline: a pipeline object with at least one uniquely named job,
//     whose pipeline, jobs and steps hold only the members of [Pipeline],
//     [PipelineJob] and [Step] (a job-level "uses", a "container" or a
//     step's "run" the rules would not judge, or "Environment" beside
//     "environment", is malformed); environments compare
//     case-insensitively and without surrounding whitespace, and one
//     named by an expression or a variable ("${{ inputs.env }}",
//     "$ENV", "<< pipeline.parameters.env >>", "<+env>", "((env))"), or
//     any name that is not plain (ASCII letters and digits, space, ".",
//     "_", "-", "/", ":"; a platform folding case or accents reads
//     "prödúction" as "production"), is judged as production; a
//     "docker://" step is judged as an image; an action, orb or image
//     with a "." or ".." path segment or a backslash matches no
//     allow-list entry, and a local "./" action with such a segment is
//     judged as remote; an action's commit and an orb's version are the
//     whole ref after its only "@"
//     ("actions/checkout@main@<sha>" is the branch "main@<sha>" to act),
//     of a name that is printable ASCII without "%", "?" or "#": a URL's
//     query or fragment is not a pin (".../ci.yml?p=@<sha>" fetches
//     whatever ci.yml says today), and a percent-escape decodes to what
//     the rules did not read ("%40" an "@", "%2e%2e" a ".." segment).
//     A pipeline-level unit (uses: an orb, a GitLab include or component)
//     is pinned by a commit SHA, or, on CircleCI (platform exactly
//     "circleci", as identity/claims spells it: "CircleCI" or "circleci "
//     is another platform), by an exact orb version, which the orb
//     registry never publishes twice; elsewhere "@1.2.3" is a git tag
//     its project can move.
//     A step calling a reusable workflow (a path in .github/workflows,
//     local or remote) is denied (pipeline.workflow_unjudged): its jobs
//     are not the pipeline's, and belong there to be judged.
//     raw, the platform's own document, is not judged: the rules cannot
//     tell whether the jobs say all it says, so a pipeline carrying a
//     non-empty raw is denied (pipeline.raw_unjudged; a policy of your own
//     that judges raw may set that violation aside). The rules judge
//     the jobs as the caller normalized them, and take on trust what only
//     the platform's document says ([PipelineJob] and [Step] say what
//     each field must cover): a commit SHA is not checked to belong to
//     the repository it is named under (GitHub serves a fork's commit
//     under its parent's name), and what a local action runs (a
//     composite action's own steps, a Docker action's image) is not
//     judged.
//   - secrets: a job with a non-empty string id and a well-formed git ref
//     (as git check-ref-format allows), a non-empty list of literal secret
//     names (printable ASCII, so that no backend normalizing names reads
//     "ci/．．/prod/db" as "prod/db"; no empty, "." or ".." segment, no
//     "%", "\", "#", ";" or glob character: a backend putting the name in
//     a URL path reads "ci/prod-db#-public" as "ci/prod-db"). Grants add
//     up: any grant that matches releases the secret, so a narrower grant
//     never restricts what a broader one gives.
//
// # Decoding input
//
// [DecodeInput] rejects what two JSON readers could read differently: a
// duplicate member name ([ErrDuplicateKey]), a schema member name in
// another case, which encoding/json alone would accept ("ACTION",
// "Protected"), and two names differing only in case in one object of a
// free-form section ("hostNetwork" and "HostNetwork", which a
// case-insensitive reader would merge) ([ErrKeyCase]). Both come as a
// [*KeyError] naming the object's JSON pointer and the two spellings.
package policy
