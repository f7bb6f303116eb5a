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
//     and [Builtin] (the embedded library, also as files via [Library]).
//   - Modes: [Enforce], [Warn] (allow, report violations), [DryRun] (allow,
//     record; evaluation errors do not block).
//   - policytest (subpackage): run *_test.rego files from a Go test.
//
// # Composed
//
//	eval, err := policy.New(ctx,
//		policy.Merge(policy.Builtin(), policy.Data(config)),
//		policy.WithAuditSink(sink),
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
//   - A decision is allowed in Enforce mode only if the policy says
//     allow: true AND reports no violation.
//   - Builtin errors abort evaluation (strict mode) instead of making a rule
//     silently undefined. Policies cannot call http.send,
//     net.lookup_ip_addr or opa.runtime (the environment holds CI secrets).
//   - A compromised identity ([WithCompromiseChecker]) is denied in every
//     mode, before any policy runs (rule [RuleCompromised]).
//   - Loading is bounded ([MaxPolicyFileBytes], [MaxBundleBytes],
//     [MaxInputBytes]). A reload that fails keeps the last good policy
//     (never an empty one); the error is returned, logged, audited and kept
//     in [Engine.LastReloadError]. OPA bundle signatures are not checked:
//     establish a bundle's provenance before loading it.
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
// where violations may be an array or a set. Anything else is an error.
//
// # Input schema
//
// The document Rego sees as `input` is the JSON encoding of [Input]. Scalar
// fields are always present (a comparison is never silently undefined);
// lists, maps and optional sections are absent when empty.
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
//	  uses            [string] orbs / includes ("circleci/node@5.1.0")
//	  jobs            [{name, type ("approval"|""), environment, privileged,
//	                    requires [string], branches [string], images [string],
//	                    steps [{name, uses, image, privileged}]}]
//	  raw             object   the platform's own document, if given
//	artifacts       [object] ([Artifact]) with verification results
//	  name, digest    string
//	  verified        bool     signature, log entry and timestamps verified
//	  signer          {san, issuer, claims}   claims: identity.Claims JSON
//	  attestations    [{predicate_type, signer,
//	                    provenance {builder_id, build_type, source_repository,
//	                                source_ref, source_digest, external_parameters},
//	                    scan {scanner, critical, high, medium, low,
//	                          findings [{id, severity, package}]},
//	                    predicate}]
//	secrets         {names [string]}          secrets requested ([SecretsInput])
//	manifests       [object] Kubernetes objects
//	terraform_plan  object   `terraform show -json` output
//
// # Built-in library
//
// [Builtin] dispatches data.ztci.main.decision on input.action and denies an
// unknown action. Configuration lives in data.ztci.config:
//
//	deploy:     signers [{san, issuer}] (exact match), attestation_signers,
//	            builders [id], sources [uri], source_refs [ref] (optional),
//	            max_critical (0), require_scan (false), require_protected_ref (true)
//	pipeline:   production_environments (["production"]), protected_branches
//	            (["main"]), approval_jobs, allowed_images, allowed_actions,
//	            allowed_orbs (prefixes; empty denies all)
//	secrets:    grants [{secret (glob), repositories, refs (globs),
//	            environments, protected (true), ids}]
//	kubernetes: allowed_images (prefixes; empty: any pinned image)
//	terraform:  deletable_types
//
// With no configuration every deploy and secret release is denied. Each
// rule set has Rego tests (library/ztci/*_test.rego) that go test runs.
package policy
