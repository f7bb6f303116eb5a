# METADATA
# title: deploy gate
# description: |
#   Artifacts may be deployed only if each is verified, signed by an allowed
#   identity, has SLSA provenance signed by an allowed identity from an
#   allowed builder and source, carries no critical findings in an attached
#   scan, and the deploying job runs on a protected ref.
#   Config (data.ztci.config.deploy): signers, attestation_signers,
#   builders, sources, source_refs, max_critical (0), require_scan (false),
#   require_protected_ref (true).
package ztci.deploy

import data.ztci.lib

provenance_types := {
	"https://slsa.dev/provenance/v1",
	"https://slsa.dev/provenance/v0.2",
}

scan_types := {
	"https://cosign.sigstore.dev/attestation/vuln/v1",
	"https://in-toto.io/attestation/vulns/v0.2",
	"https://in-toto.io/attestation/vulns",
}

signers := lib.config("deploy", "signers", [])

attestation_signers := array.concat(signers, lib.config("deploy", "attestation_signers", []))

builders := lib.config("deploy", "builders", [])

sources := lib.config("deploy", "sources", [])

artifacts := object.get(input, "artifacts", [])

# trusted_attestations[i] are artifact i's attestations signed by an
# allowed identity; others are ignored.
trusted(a) := [att |
	some att in object.get(a, "attestations", [])
	lib.signer_allowed(att.signer, attestation_signers)
]

# Helpers that dereference inside the rule body: in Rego, `not f(x.y)` with
# x.y undefined is undefined (not true), so negations below only ever take
# bound variables. Each missing field then counts as a violation.
allowed_signer(x) if lib.signer_allowed(x.signer, signers)

builder_allowed(att) if att.provenance.builder_id in builders

source_allowed(att) if att.provenance.source_repository in sources

source_ref_allowed(att, refs) if att.provenance.source_ref in refs

scan_readable(att) if is_number(att.scan.critical)

violations contains v if {
	count(artifacts) == 0
	v := {"rule": "deploy.no_artifacts", "message": "a deploy must name the artifacts it deploys", "value": null}
}

violations contains v if {
	lib.config("deploy", "require_protected_ref", true)
	not input.job.protected
	v := {
		"rule": "deploy.unprotected_ref",
		"message": sprintf("deploys run only from protected refs; %q is not protected", [lib.show(input, ["job", "ref"])]),
		"value": object.get(input, ["job", "ref"], null),
	}
}

violations contains v if {
	some a in artifacts
	not a.verified
	v := {
		"rule": "deploy.unverified",
		"message": sprintf("artifact %s@%s did not pass verification", [lib.show(a, "name"), lib.show(a, "digest")]),
		"value": object.get(a, "digest", null),
	}
}

violations contains v if {
	some a in artifacts
	not allowed_signer(a)
	v := {
		"rule": "deploy.signer_not_allowed",
		"message": sprintf("artifact %s@%s is signed by %q (issuer %q), which is not an allowed signer", [lib.show(a, "name"), lib.show(a, "digest"), lib.show(a, ["signer", "san"]), lib.show(a, ["signer", "issuer"])]),
		"value": object.get(a, "signer", null),
	}
}

violations contains v if {
	some a in artifacts
	count([p | some att in trusted(a); provenance_types[att.predicate_type]; p := att]) == 0
	v := {
		"rule": "deploy.provenance_missing",
		"message": sprintf("artifact %s@%s has no SLSA provenance signed by an allowed identity", [lib.show(a, "name"), lib.show(a, "digest")]),
		"value": object.get(a, "digest", null),
	}
}

violations contains v if {
	some a in artifacts
	some att in trusted(a)
	provenance_types[att.predicate_type]
	not builder_allowed(att)
	v := {
		"rule": "deploy.builder_not_allowed",
		"message": sprintf("artifact %s@%s was built by %q, which is not an allowed builder", [lib.show(a, "name"), lib.show(a, "digest"), object.get(att, ["provenance", "builder_id"], "")]),
		"value": object.get(att, ["provenance", "builder_id"], null),
	}
}

violations contains v if {
	some a in artifacts
	some att in trusted(a)
	provenance_types[att.predicate_type]
	not source_allowed(att)
	v := {
		"rule": "deploy.source_not_allowed",
		"message": sprintf("artifact %s@%s was built from %q, which is not an allowed source", [lib.show(a, "name"), lib.show(a, "digest"), object.get(att, ["provenance", "source_repository"], "")]),
		"value": object.get(att, ["provenance", "source_repository"], null),
	}
}

violations contains v if {
	refs := lib.config("deploy", "source_refs", null)
	refs != null
	some a in artifacts
	some att in trusted(a)
	provenance_types[att.predicate_type]
	not source_ref_allowed(att, refs)
	v := {
		"rule": "deploy.source_ref_not_allowed",
		"message": sprintf("artifact %s@%s was built from ref %q, which is not an allowed ref", [lib.show(a, "name"), lib.show(a, "digest"), object.get(att, ["provenance", "source_ref"], "")]),
		"value": object.get(att, ["provenance", "source_ref"], null),
	}
}

# is_scan: an attestation of a scan predicate type, or one the caller
# summarized as a scan.
is_scan(att) if scan_types[att.predicate_type]

is_scan(att) if att.scan

violations contains v if {
	max := lib.config("deploy", "max_critical", 0)
	some a in artifacts
	some att in trusted(a)
	is_scan(att)
	att.scan.critical > max
	v := {
		"rule": "deploy.critical_findings",
		"message": sprintf("artifact %s@%s has %d critical findings (at most %d allowed)", [lib.show(a, "name"), lib.show(a, "digest"), att.scan.critical, max]),
		"value": [f.id | some f in object.get(att.scan, "findings", []); lower(f.severity) == "critical"],
	}
}

violations contains v if {
	some a in artifacts
	some att in trusted(a)
	is_scan(att)
	not scan_readable(att)
	v := {
		"rule": "deploy.scan_unreadable",
		"message": sprintf("artifact %s@%s has a %q attestation without a scan summary", [lib.show(a, "name"), lib.show(a, "digest"), att.predicate_type]),
		"value": att.predicate_type,
	}
}

violations contains v if {
	lib.config("deploy", "require_scan", false)
	some a in artifacts
	count([s | some att in trusted(a); is_scan(att); s := att]) == 0
	v := {
		"rule": "deploy.scan_missing",
		"message": sprintf("artifact %s@%s has no vulnerability scan signed by an allowed identity", [lib.show(a, "name"), lib.show(a, "digest")]),
		"value": object.get(a, "digest", null),
	}
}
