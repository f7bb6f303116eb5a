# METADATA
# title: deploy gate
# description: |
#   Artifacts may be deployed only if each is verified, signed by an allowed
#   identity, has SLSA provenance signed by an allowed identity from an
#   allowed builder and source, carries no critical findings in an attached
#   scan, and the deploying job runs on a protected ref. A job, a build
#   recorded in provenance (externalParameters.trigger), or a job that
#   signed the artifact or an attestation the rules read (the build trigger
#   its certificate names, signer.claims.event) started by an untrusted
#   trigger (data.ztci.config.untrusted_triggers, default
#   ["pull_request_target", "workflow_run", "ssh-rerun"]) does not count as protected.
#   Every attestation of a SLSA provenance type, or carrying a provenance
#   summary, is judged as provenance (builder, source, source ref); only
#   provenance_types count as the provenance an artifact needs. Every
#   attestation of a scan type (scan_types), of another version of one,
#   or carrying a scan summary, is judged as a scan: one without a summary
#   the rules can read is denied (deploy.scan_unreadable). The
#   repository and ref the certificate that signed a provenance names
#   (signer.claims.repository, .ref) must be an allowed source and (with
#   source_refs) ref as well: the predicate is what the signer wrote. A
#   finding whose severity the rules do not recognise counts as critical
#   for max_critical (deploy_vuln.rego, critical_rank). Times a
#   signer states (a scan's, a VEX statement's) are read by
#   lib.signed_time_ns: not RFC 3339, a day that does not exist, or in the
#   future beyond five minutes of clock skew reads as no time.
#   Config (data.ztci.config.deploy): signers, attestation_signers,
#   builders, sources, source_refs, max_critical (0), require_scan (false),
#   max_scan_age_seconds (0: off; a scan older, or without a time, denies),
#   deny_severity and vex_signers (see deploy_vuln.rego; critical findings
#   a counted VEX statement lifts do not count towards max_critical),
#   require_protected_ref (true).
#   Sources are compared as the verify package compares them
#   (lib.normalize_repo): scheme and "git+" are ignored, host, owner and
#   name are not. Malformed input (artifacts not a list, an artifact or
#   attestation not an object, a flag that is not a boolean, a scan's
#   findings not a list of objects, aliases not a list, certificate
#   claims or a provenance's external_parameters not an object) is
#   denied: a part the rules read that does not read says nothing, and
#   must not pass for a part that says nothing to deny.
#   The rules over secrets provenance (production_secrets,
#   production_backends, require_secrets_provenance, compromised leases)
#   are in deploy_secrets.rego.
package ztci.deploy

import data.ztci.lib

provenance_types := {
	"https://slsa.dev/provenance/v1",
	"https://slsa.dev/provenance/v0.2",
}

scan_types := {
	"https://cosign.sigstore.dev/attestation/vuln/v1",
	"https://in-toto.io/attestation/vulns/v0.1",
	"https://in-toto.io/attestation/vulns/v0.2",
	"https://in-toto.io/attestation/vulns",
}

signers := lib.config("deploy", "signers", [])

attestation_signers := array.concat(signers, lib.config("deploy", "attestation_signers", []))

builders := lib.config("deploy", "builders", [])

sources := lib.config("deploy", "sources", [])

artifacts := object.get(input, "artifacts", [])

# objs are the artifacts that are objects; the others are reported as
# deploy.malformed, and per-artifact rules never see them (object.get on
# a string would abort evaluation instead of denying with a reason).
objs := [a | is_array(artifacts); some a in artifacts; is_object(a)]

# trusted(a) are artifact a's attestations signed by an allowed identity;
# others are ignored.
trusted(a) := [att |
	is_object(a)
	atts := object.get(a, "attestations", [])
	is_array(atts)
	some att in atts
	is_object(att)
	lib.signer_allowed(att.signer, attestation_signers)
]

# Helpers that dereference inside the rule body: in Rego, `not f(x.y)` with
# x.y undefined is undefined (not true), so negations below only ever take
# bound variables. Each missing field then counts as a violation. An empty
# value matches no configured entry, an empty one included.
allowed_signer(x) if lib.signer_allowed(x.signer, signers)

builder_allowed(att) if {
	is_string(att.provenance.builder_id)
	att.provenance.builder_id != ""
	att.provenance.builder_id in builders
}

# norm_sources are the allowed sources normalized once per decision (see
# lib.normalize_repo); an entry that normalizes to "" matches nothing.
norm_sources := {n |
	some s in sources
	n := lib.normalize_repo(s)
	n != ""
}

source_allowed(att) if lib.normalize_repo(att.provenance.source_repository) in norm_sources

source_ref_allowed(att, refs) if {
	is_string(att.provenance.source_ref)
	att.provenance.source_ref != ""
	att.provenance.source_ref in refs
}

verified(a) if lib.is_true(a.verified)

# scan_readable: a scan summary with a critical count that is a number
# and not negative (a negative count would offset the others), whose
# findings, if any, are a list of objects, each with aliases, if any, a
# list (findings_readable). A finding the rules cannot read is not a
# harmless one: findings that are an object, or a finding that is a
# string, would be passed over, and a critical with them.
scan_readable(att) if {
	is_object(att.scan)
	is_number(att.scan.critical)
	att.scan.critical >= 0
	findings_readable(att.scan)
}

# findings_readable: aliases that are not a list would read as none, and
# a later "affected" VEX statement naming one of them would not be found
# against a lift (deploy_vuln.rego, lifted).
findings_readable(scan) if {
	fs := object.get(scan, "findings", [])
	is_array(fs)
	every f in fs {
		is_object(f)
		lib.array_or_absent(f, "aliases")
	}
}

# artifact_label names artifact a in a message: "<name>@<digest>",
# quoted and escaped (lib.printable). Both are the caller's or an image
# reference's, and a message must not carry a line or a control of theirs
# into a log as it is.
artifact_label(a) := lib.printable(sprintf("%v@%v", [lib.show(a, "name"), lib.show(a, "digest")]))

violations contains v if {
	is_array(artifacts)
	count(artifacts) == 0
	v := {"rule": "deploy.no_artifacts", "message": "a deploy must name the artifacts it deploys", "value": null}
}

violations contains v if {
	not is_array(artifacts)
	v := {"rule": "deploy.malformed", "message": sprintf("input.artifacts must be a list of artifacts, not a %s", [type_name(artifacts)]), "value": null}
}

violations contains v if {
	is_array(artifacts)
	some i, a in artifacts
	not is_object(a)
	v := {"rule": "deploy.malformed", "message": sprintf("input.artifacts[%d] is a %s, not an artifact object", [i, type_name(a)]), "value": i}
}

# The digest names what is deployed: it must be "<sha256|sha384|sha512>:<hex>".
violations contains v if {
	some a in objs
	not digest_ok(object.get(a, "digest", null))
	v := {"rule": "deploy.malformed", "message": sprintf("artifact %s has a digest that is not <algorithm>:<hex>", [artifact_label(a)]), "value": object.get(a, "digest", null)}
}

digest_ok(d) if {
	is_string(d)
	regex.match(`^sha(256:[a-f0-9]{64}|384:[a-f0-9]{96}|512:[a-f0-9]{128})$`, d)
}

violations contains v if {
	some a in objs
	not lib.array_or_absent(a, "attestations")
	v := {"rule": "deploy.malformed", "message": sprintf("artifact %s: attestations must be a list", [artifact_label(a)]), "value": object.get(a, "digest", null)}
}

violations contains v if {
	some a in objs
	atts := object.get(a, "attestations", [])
	is_array(atts)
	some i, att in atts
	not is_object(att)
	v := {"rule": "deploy.malformed", "message": sprintf("artifact %s: attestations[%d] is a %s, not an attestation object", [artifact_label(a), i, type_name(att)]), "value": i}
}

# The certificate claims the rules read for a deny (a build trigger, a
# repository, a ref: signer.claims) must be an object, and so must a
# provenance's external_parameters (its trigger), where present: claims
# that are a list or a string would read as naming nothing, and so as
# nothing to deny. Only what the rules read is judged: the artifact's
# signature and the attestations of allowed signers.
violations contains v if {
	some a in objs
	not object_or_absent(a, ["signer", "claims"])
	v := {"rule": "deploy.malformed", "message": sprintf("artifact %s: the certificate claims of its signature are a %s, not an object", [artifact_label(a), type_name(a.signer.claims)]), "value": object.get(a, "digest", null)}
}

violations contains v if {
	some a in objs
	some att in array.concat(trusted(a), vex_attestations(a))
	not object_or_absent(att, ["signer", "claims"])
	v := {"rule": "deploy.malformed", "message": sprintf("artifact %s: the certificate claims of its %q attestation are a %s, not an object", [artifact_label(a), lib.show(att, "predicate_type"), type_name(att.signer.claims)]), "value": object.get(a, "digest", null)}
}

violations contains v if {
	some a in objs
	some att in trusted(a)
	is_provenance(att)
	not object_or_absent(att, ["provenance", "external_parameters"])
	v := {"rule": "deploy.malformed", "message": sprintf("artifact %s: the external_parameters of its %q attestation are a %s, not an object", [artifact_label(a), lib.show(att, "predicate_type"), type_name(att.provenance.external_parameters)]), "value": object.get(a, "digest", null)}
}

# object_or_absent: the field at path of x is missing or an object (null
# is neither). A path through something that is not an object reads as
# missing: the rules that read it deny that (signer_not_allowed, the
# builder, source and trigger rules).
object_or_absent(x, path) if is_object(object.get(x, path, {}))

violations contains v if {
	lib.config("deploy", "require_protected_ref", true) != false
	not lib.is_true(object.get(input, ["job", "protected"], false))
	v := {
		"rule": "deploy.unprotected_ref",
		"message": sprintf("deploys run only from protected refs; %q is not protected", [lib.show(input, ["job", "ref"])]),
		"value": object.get(input, ["job", "ref"], null),
	}
}

violations contains v if {
	lib.config("deploy", "require_protected_ref", true) != false
	lib.untrusted_trigger(object.get(input, "job", {}))
	v := {
		"rule": "deploy.untrusted_trigger",
		"message": sprintf("deploys run only from protected refs; a job started by %q runs on the base branch's ref for changes nobody reviewed, so %q does not count as protected", [lib.show(input, ["job", "trigger"]), lib.show(input, ["job", "ref"])]),
		"value": object.get(input, ["job", "trigger"], null),
	}
}

# A build started by an untrusted trigger (ztci's job provenance records
# the trigger as externalParameters.trigger) ran on the base branch's ref
# for changes nobody reviewed: its source_ref says nothing.
violations contains v if {
	lib.config("deploy", "require_protected_ref", true) != false
	some a in objs
	some att in trusted(a)
	is_provenance(att)
	trigger := object.get(att, ["provenance", "external_parameters", "trigger"], null)
	lib.untrusted_value(trigger)
	v := {
		"rule": "deploy.untrusted_build_trigger",
		"message": sprintf("artifact %s was built by a job started by %s, which runs on the base branch's ref for changes nobody reviewed", [artifact_label(a), lib.printable(trigger)]),
		"value": trigger,
	}
}

# The certificate that signed the artifact, or an attestation the rules
# read (trusted(a), and VEX attestations from vex_signers), names the
# trigger of the job that signed it (Fulcio's build trigger,
# signer.claims.event). A job an untrusted trigger started signs as the
# protected ref's workflow ("release.yml@refs/heads/main": the identity
# does not name the trigger) what a pull request from anyone supplied,
# whatever provenance the build has.
violations contains v if {
	lib.config("deploy", "require_protected_ref", true) != false
	some a in objs
	lib.untrusted_signer(a)
	trigger := lib.signer_trigger(a)
	v := untrusted_signature(a, "its signature", trigger)
}

violations contains v if {
	lib.config("deploy", "require_protected_ref", true) != false
	some a in objs
	some att in array.concat(trusted(a), vex_attestations(a))
	lib.untrusted_signer(att)
	trigger := lib.signer_trigger(att)
	v := untrusted_signature(a, sprintf("its %q attestation", [lib.show(att, "predicate_type")]), trigger)
}

# untrusted_trigger_evidence(a): the evidence about artifact a's build
# names an untrusted trigger: a trusted provenance records one
# (externalParameters.trigger), or the certificate that signed the
# artifact or one of its trusted attestations names one
# (signer.claims.event). The rules above read the same evidence.
untrusted_trigger_evidence(a) if {
	some att in trusted(a)
	is_provenance(att)
	lib.untrusted_value(object.get(att, ["provenance", "external_parameters", "trigger"], null))
}

untrusted_trigger_evidence(a) if lib.untrusted_signer(a)

untrusted_trigger_evidence(a) if {
	some att in trusted(a)
	lib.untrusted_signer(att)
}

# untrusted_signature is the violation for what (of artifact a), signed by
# a job that trigger started.
untrusted_signature(a, what, trigger) := {
	"rule": "deploy.untrusted_build_trigger",
	"message": sprintf("artifact %s: %s was signed by a job started by %s, which runs on the base branch's ref for changes nobody reviewed", [artifact_label(a), what, lib.printable(trigger)]),
	"value": trigger,
}

violations contains v if {
	some a in objs
	not verified(a)
	v := {
		"rule": "deploy.unverified",
		"message": sprintf("artifact %s did not pass verification", [artifact_label(a)]),
		"value": object.get(a, "digest", null),
	}
}

# An unverified artifact has no signer worth naming (deploy.unverified says
# why it is denied); a verified one must be signed by an allowed identity.
violations contains v if {
	some a in objs
	verified(a)
	not allowed_signer(a)
	v := {
		"rule": "deploy.signer_not_allowed",
		"message": sprintf("artifact %s is signed by %q (issuer %q), which is not an allowed signer", [artifact_label(a), lib.show(a, ["signer", "san"]), lib.show(a, ["signer", "issuer"])]),
		"value": object.get(a, "signer", null),
	}
}

# is_provenance: an attestation the provenance rules (builder, source,
# source ref, build trigger) judge: one of provenance_types, any other
# SLSA provenance type, or one the caller summarized as provenance. A
# second provenance from an unlisted builder must not pass beside a good
# one because its type is not listed. Only provenance_types count as the
# provenance an artifact needs (deploy.provenance_missing).
is_provenance(att) if provenance_types[att.predicate_type]

is_provenance(att) if {
	is_string(att.predicate_type)
	startswith(att.predicate_type, "https://slsa.dev/provenance/")
}

is_provenance(att) if {
	is_object(att)
	object.get(att, "provenance", null) != null
}

violations contains v if {
	some a in objs
	count([p | some att in trusted(a); provenance_types[att.predicate_type]; p := att]) == 0
	v := {
		"rule": "deploy.provenance_missing",
		"message": sprintf("artifact %s has no SLSA provenance signed by an allowed identity", [artifact_label(a)]),
		"value": object.get(a, "digest", null),
	}
}

violations contains v if {
	some a in objs
	some att in trusted(a)
	is_provenance(att)
	not builder_allowed(att)
	v := {
		"rule": "deploy.builder_not_allowed",
		"message": sprintf("artifact %s was built by %q, which is not an allowed builder", [artifact_label(a), object.get(att, ["provenance", "builder_id"], "")]),
		"value": object.get(att, ["provenance", "builder_id"], null),
	}
}

violations contains v if {
	some a in objs
	some att in trusted(a)
	is_provenance(att)
	not source_allowed(att)
	v := {
		"rule": "deploy.source_not_allowed",
		"message": sprintf("artifact %s was built from %q, which is not an allowed source", [artifact_label(a), object.get(att, ["provenance", "source_repository"], "")]),
		"value": object.get(att, ["provenance", "source_repository"], null),
	}
}

violations contains v if {
	refs := lib.config("deploy", "source_refs", null)
	refs != null
	some a in objs
	some att in trusted(a)
	is_provenance(att)
	not source_ref_allowed(att, refs)
	v := {
		"rule": "deploy.source_ref_not_allowed",
		"message": sprintf("artifact %s was built from ref %q, which is not an allowed ref", [artifact_label(a), object.get(att, ["provenance", "source_ref"], "")]),
		"value": object.get(att, ["provenance", "source_ref"], null),
	}
}

# The certificate that signed a provenance names the repository and ref of
# the job that signed it (Fulcio's Source Repository URI and Source
# Repository Ref, signer.claims.repository and .ref): facts the verifier
# established, where the provenance's source_repository and source_ref are
# what the signer wrote in its predicate (externalParameters). A signer
# that may write any predicate (a reusable workflow any repository or
# branch can call, whose SAN names the workflow, not its caller) states
# "github.com/acme/app" at "refs/heads/main" for a build of another
# repository or branch; the certificate still says which. So a repository
# the certificate names must be an allowed source (by owner and name,
# cert_source_allowed), and with source_refs, a ref it names an allowed
# ref. A certificate that names neither (a platform without these claims)
# leaves the provenance's word alone.
violations contains v if {
	some a in objs
	some att in trusted(a)
	is_provenance(att)
	source_allowed(att) # else the rule above says so
	repo := signer_claim(att, "repository")
	repo != ""
	not cert_source_allowed(repo)
	v := {
		"rule": "deploy.source_not_allowed",
		"message": sprintf("artifact %s has provenance signed by a job of %s (its certificate's source repository), whose owner and name are not an allowed source's", [artifact_label(a), lib.printable(repo)]),
		"value": repo,
	}
}

violations contains v if {
	refs := lib.config("deploy", "source_refs", null)
	refs != null
	some a in objs
	some att in trusted(a)
	is_provenance(att)
	source_ref_allowed(att, refs) # else the rule above says so
	ref := signer_claim(att, "ref")
	ref != ""
	not ref_listed(ref, refs)
	v := {
		"rule": "deploy.source_ref_not_allowed",
		"message": sprintf("artifact %s has provenance signed by a job on ref %s (its certificate's source ref), which is not an allowed ref", [artifact_label(a), lib.printable(ref)]),
		"value": ref,
	}
}

# signer_claim(att, k) is claim k of the certificate that signed att
# (signer.claims[k]); "" when it names none.
signer_claim(att, k) := object.get(att, ["signer", "claims", k], "")

ref_listed(ref, refs) if {
	is_string(ref)
	ref in refs
}

# cert_source_allowed: r, a certificate's source repository, names an
# allowed source by owner and name: its path (after the host, once
# normalized as lib.normalize_repo normalizes sources) is the path of an
# allowed source, or, written without a scheme, it is an allowed source or
# the path of one ("acme/app", as job claims name repositories). The host
# is left aside: the certificate builds it on the forge its issuer serves
# (Fulcio's "url"; ztci's attest/ca uses the issuer URL unless told the
# forge's), which need not be the host a source is cloned from, and the
# issuer is pinned already (signer_allowed).
cert_source_allowed(r) if {
	is_string(r)
	contains(r, "://")
	repo_path(lib.normalize_repo(r)) in norm_source_paths
}

cert_source_allowed(r) if {
	is_string(r)
	not contains(r, "://")
	n := lib.normalize_repo(r)
	some m in (norm_sources | norm_source_paths)
	n == m
}

# repo_path is the path of a normalized repository ("github.com/acme/app":
# "acme/app"); undefined without one.
repo_path(n) := substring(n, indexof(n, "/") + 1, -1) if indexof(n, "/") > 0

norm_source_paths := {p |
	some n in norm_sources
	p := repo_path(n)
	p != ""
}

# is_scan: an attestation of a scan predicate type, of another version
# of one (scan_type_families: "https://in-toto.io/attestation/vulns/v0.3",
# "https://cosign.sigstore.dev/attestation/vuln/v2"), or one the caller
# summarized as a scan. A signed scan of a version the gate does not
# summarize may list criticals: it is judged (deploy.scan_unreadable),
# not passed over, as is_provenance, is_secrets_provenance and vex_like
# judge other versions of theirs.
is_scan(att) if scan_types[att.predicate_type]

is_scan(att) if {
	is_string(att.predicate_type)
	some family in scan_type_families
	startswith(att.predicate_type, family)
}

is_scan(att) if {
	is_object(att)
	object.get(att, "scan", null) != null
}

scan_type_families := {
	"https://cosign.sigstore.dev/attestation/vuln/",
	"https://in-toto.io/attestation/vulns/",
}

violations contains v if {
	max := lib.config("deploy", "max_critical", 0)
	some i, a in objs
	some att in trusted(a)
	is_scan(att)
	scan_readable(att)
	n := critical_count(att) - lifted_criticals(i, att)
	n > max
	v := {
		"rule": "deploy.critical_findings",
		"message": sprintf("artifact %s has %d critical findings, or findings of a severity the rules do not recognise (at most %d allowed), that no VEX statement from an allowed signer lifts", [artifact_label(a), n, max]),
		"value": [f.id | some f in findings(att); finding_rank(f) >= critical_rank; not lifted(i, f)],
	}
}

# critical_count: the findings the scan lists as critical or of a
# severity the rules do not recognise (critical_rank, deploy_vuln.rego),
# plus the criticals it counts but does not list as critical: a summary
# that counts 0 but lists a critical finding does not hide it, nor does a
# finding whose severity is "unknown", "Critical " or a bare CVSS score.
# A listed finding of another severity is not one the critical count
# counted: a scan counting one critical that lists only an "unknown"
# finding has two, and a VEX statement lifting the "unknown" one leaves
# the unlisted critical, which nothing can lift.
critical_count(att) := listed + unlisted if {
	listed := count([f | some f in findings(att); finding_rank(f) >= critical_rank])
	unlisted := max([0, att.scan.critical - count([f | some f in findings(att); severity(f) == "critical"])])
}

# A scan older than max_scan_age_seconds, or that does not say when it was
# made, proves nothing about today's vulnerabilities.
violations contains v if {
	max_age := lib.config("deploy", "max_scan_age_seconds", 0)
	is_number(max_age)
	max_age > 0
	some a in objs
	some att in trusted(a)
	is_scan(att)
	not scan_fresh(att, max_age)
	v := {
		"rule": "deploy.scan_too_old",
		"message": sprintf("artifact %s has a scan made at %q, more than %d seconds ago or at no stated time", [artifact_label(a), lib.show(att, ["scan", "scanned_at"]), max_age]),
		"value": object.get(att, ["scan", "scanned_at"], null),
	}
}

# A value that is not an RFC 3339 time of a day that exists, or that lies
# in the future (lib.signed_time_ns), is a stale scan (a reasoned deny),
# not a builtin error (an undecided one), nor a scan that never ages.
scan_fresh(att, max_age) if {
	made := lib.signed_time_ns(att.scan.scanned_at)
	time.now_ns() - made <= max_age * 1000000000
}

violations contains v if {
	some a in objs
	some att in trusted(a)
	is_scan(att)
	not scan_readable(att)
	v := {
		"rule": "deploy.scan_unreadable",
		"message": sprintf("artifact %s has a %q attestation without a scan summary the rules can read (a critical count that is a non-negative number, findings that are a list of objects)", [artifact_label(a), lib.show(att, "predicate_type")]),
		"value": object.get(att, "predicate_type", null),
	}
}

violations contains v if {
	lib.config("deploy", "require_scan", false) != false
	some a in objs
	count([s | some att in trusted(a); is_scan(att); s := att]) == 0
	v := {
		"rule": "deploy.scan_missing",
		"message": sprintf("artifact %s has no vulnerability scan signed by an allowed identity", [artifact_label(a)]),
		"value": object.get(a, "digest", null),
	}
}
