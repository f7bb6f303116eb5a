package ztci.deploy_test

import data.ztci.deploy
import data.ztci.main

ci := "https://token.actions.githubusercontent.com"

release_wf := "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"

slsa_wf := "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.1.0"

builder := "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.1.0"

config := {"deploy": {
	"signers": [{"san": release_wf, "issuer": ci}],
	"attestation_signers": [{"san": slsa_wf, "issuer": ci}],
	"builders": [builder],
	"sources": ["git+https://github.com/acme/app"],
}}

provenance := {
	"predicate_type": "https://slsa.dev/provenance/v1",
	"signer": {"san": slsa_wf, "issuer": ci, "claims": {}},
	"provenance": {
		"builder_id": builder,
		"build_type": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
		"source_repository": "git+https://github.com/acme/app",
		"source_ref": "refs/heads/main",
		"source_digest": "4f5a0c1d2e3f40516273849a0b1c2d3e4f506172",
	},
}

scan(critical) := {
	"predicate_type": "https://cosign.sigstore.dev/attestation/vuln/v1",
	"signer": {"san": release_wf, "issuer": ci, "claims": {}},
	"scan": {
		"scanner": "trivy",
		"critical": critical, "high": 0, "medium": 0, "low": 0,
		"findings": [{"id": "CVE-2024-3094", "severity": "CRITICAL", "package": "xz-utils"} | critical > 0],
	},
}

artifact := {
	"name": "ghcr.io/acme/app",
	"digest": "sha256:0000000000000000000000000000000000000000000000000000000000000001",
	"verified": true,
	"signer": {"san": release_wf, "issuer": ci, "claims": {}},
	"attestations": [provenance, scan(0)],
}

good := {
	"action": "deploy",
	"job": {"id": "https://token.actions.githubusercontent.com#repo:acme/app:ref:refs/heads/main", "repository": "acme/app", "ref": "refs/heads/main", "protected": true},
	"artifacts": [artifact],
}

rules(input_doc) := {v.rule | some v in main.violations with input as input_doc with data.ztci.config as config}

test_good_deploy_allowed if {
	d := main.decision with input as good with data.ztci.config as config
	d.allow
	count(d.violations) == 0
}

test_unprotected_ref_denied if {
	rules(json.patch(good, [{"op": "replace", "path": "/job/protected", "value": false}])) == {"deploy.unprotected_ref"}
}

test_no_artifacts_denied if {
	rules(json.remove(good, ["artifacts"])) == {"deploy.no_artifacts"}
}

test_unverified_denied if {
	rules(json.patch(good, [{"op": "replace", "path": "/artifacts/0/verified", "value": false}])) == {"deploy.unverified"}
}

test_wrong_signer_denied if {
	bad := json.patch(good, [{"op": "replace", "path": "/artifacts/0/signer/san", "value": "https://github.com/evil/app/.github/workflows/release.yml@refs/heads/main"}])
	rules(bad) == {"deploy.signer_not_allowed"}
}

test_signer_prefix_is_not_enough if {
	bad := json.patch(good, [{"op": "replace", "path": "/artifacts/0/signer/san", "value": concat("", [release_wf, "x"])}])
	rules(bad) == {"deploy.signer_not_allowed"}
}

test_signer_issuer_must_match if {
	bad := json.patch(good, [{"op": "replace", "path": "/artifacts/0/signer/issuer", "value": "https://evil.example"}])
	rules(bad) == {"deploy.signer_not_allowed"}
}

test_missing_provenance_denied if {
	rules(json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations", "value": [scan(0)]}])) == {"deploy.provenance_missing"}
}

test_provenance_from_untrusted_signer_ignored if {
	bad := json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/0/signer/san", "value": "https://evil.example/wf"}])
	rules(bad) == {"deploy.provenance_missing"}
}

test_untrusted_builder_denied if {
	bad := json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/0/provenance/builder_id", "value": "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/not-trusted.yml"}])
	rules(bad) == {"deploy.builder_not_allowed"}
}

test_every_source_substring_denied if {
	every src in ["git+https://github.com/acme/app-evil", "git+https://github.com/evil/acme/app", "git+https://github.com/acme/ap"] {
		rules(json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/0/provenance/source_repository", "value": src}])) == {"deploy.source_not_allowed"}
	}
}

test_source_ref_restricted_when_configured if {
	cfg := json.patch(config, [{"op": "add", "path": "/deploy/source_refs", "value": ["refs/tags/v1.0.0"]}])
	vs := {v.rule | some v in main.violations with input as good with data.ztci.config as cfg}
	vs == {"deploy.source_ref_not_allowed"}
}

test_critical_findings_denied if {
	vs := main.violations with input as json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/1", "value": scan(2)}]) with data.ztci.config as config
	some v in vs
	v.rule == "deploy.critical_findings"
	v.value == ["CVE-2024-3094"]
	count(vs) == 1
}

test_scan_without_summary_denied if {
	bad := json.patch(good, [{"op": "remove", "path": "/artifacts/0/attestations/1/scan"}])
	rules(bad) == {"deploy.scan_unreadable"}
}

test_scan_required_when_configured if {
	cfg := json.patch(config, [{"op": "add", "path": "/deploy/require_scan", "value": true}])
	doc := json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations", "value": [provenance]}])
	vs := {v.rule | some v in main.violations with input as doc with data.ztci.config as cfg}
	vs == {"deploy.scan_missing"}
}

test_no_config_denies_everything if {
	vs := {v.rule | some v in main.violations with input as good with data.ztci.config as {}}
	vs == {"deploy.signer_not_allowed", "deploy.provenance_missing"}
}

test_unknown_action_denied if {
	d := main.decision with input as json.patch(good, [{"op": "replace", "path": "/action", "value": "dploy"}]) with data.ztci.config as config
	not d.allow
	{v.rule | some v in d.violations} == {"ztci.unknown_action"}
}

# Missing fields must deny, never make a rule silently undefined.
test_missing_fields_deny if {
	every path in [
		"/artifacts/0/signer",
		"/artifacts/0/signer/san",
		"/artifacts/0/verified",
		"/artifacts/0/attestations/0/provenance",
		"/artifacts/0/attestations/0/provenance/builder_id",
		"/artifacts/0/attestations/0/provenance/source_repository",
		"/job/protected",
		"/job",
	] {
		count(rules(json.patch(good, [{"op": "remove", "path": path}]))) > 0
	}
}

test_empty_input_denied if {
	d := main.decision with input as {} with data.ztci.config as config
	not d.allow
	{v.rule | some v in d.violations} == {"ztci.unknown_action"}
}
