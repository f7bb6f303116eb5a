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

test_malformed_artifacts_denied if {
	every arts in ["x", 1, true, {"a": artifact}, [null], ["ghcr.io/acme/app"], [[artifact]]] {
		d := main.decision with input as json.patch(good, [{"op": "replace", "path": "/artifacts", "value": arts}]) with data.ztci.config as config
		not d.allow
		"deploy.malformed" in {v.rule | some v in d.violations}
	}
	d := main.decision with input as json.patch(good, [{"op": "replace", "path": "/artifacts", "value": null}]) with data.ztci.config as config
	not d.allow
}

test_malformed_attestations_denied if {
	every atts in ["x", {"0": provenance}, [provenance, "scan"], [provenance, null]] {
		count(rules(json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations", "value": atts}]))) > 0
	}
}

# Flags must be the boolean true: any other value reads as false.
test_flags_must_be_true if {
	every val in ["true", "false", 1, {}, [], null] {
		rules(json.patch(good, [{"op": "replace", "path": "/artifacts/0/verified", "value": val}])) == {"deploy.unverified"}
		rules(json.patch(good, [{"op": "replace", "path": "/job/protected", "value": val}])) == {"deploy.unprotected_ref"}
	}
}

test_wrong_typed_provenance_denied if {
	every op in [
		{"op": "replace", "path": "/artifacts/0/attestations/0/provenance", "value": "x"},
		{"op": "replace", "path": "/artifacts/0/attestations/0/provenance/builder_id", "value": [builder]},
		{"op": "replace", "path": "/artifacts/0/attestations/0/provenance/source_repository", "value": ["git+https://github.com/acme/app"]},
		{"op": "replace", "path": "/artifacts/0/attestations/0/provenance/source_repository", "value": null},
		{"op": "replace", "path": "/artifacts/0/attestations/0/provenance/source_repository", "value": ""},
		{"op": "replace", "path": "/artifacts/0/attestations/0/signer", "value": [provenance.signer]},
		{"op": "replace", "path": "/artifacts/0/signer/san", "value": [release_wf]},
		{"op": "replace", "path": "/artifacts/0/attestations/1/scan/critical", "value": "0"},
		{"op": "replace", "path": "/artifacts/0/attestations/1/scan", "value": "clean"},
		{"op": "replace", "path": "/artifacts/0/attestations/1/scan/critical", "value": null},
	] {
		count(rules(json.patch(good, [op]))) > 0
	}
}

# Sources are compared as verify compares them: scheme and "git+" do not
# matter, host, owner and name do.
test_source_normalized_like_verify if {
	every cfg_src in ["git+https://github.com/acme/app", "https://github.com/acme/app", "github.com/acme/app", "git+ssh://github.com/acme/app.git"] {
		every prov_src in [
			"git+https://github.com/acme/app", "https://github.com/acme/app", "github.com/acme/app",
			"git+https://github.com/acme/app.git", "https://github.com/acme/app/", "http://github.com/acme/app",
		] {
			cfg := json.patch(config, [{"op": "replace", "path": "/deploy/sources", "value": [cfg_src]}])
			doc := json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/0/provenance/source_repository", "value": prov_src}])
			{v.rule | some v in main.violations with input as doc with data.ztci.config as cfg} == set()
		}
	}
}

test_source_other_host_or_owner_never_matches if {
	every prov_src in [
		"git+https://gitlab.com/acme/app", "https://github.com.evil.example/acme/app", "github.com/evil/app",
		"github.com/acme/app2", "github.com/acme/app/extra", "github.com/acme", "https://evil.example/github.com/acme/app",
		"git+https://github.com/Acme/app", "github.com/acme/app.git.git", "acme/app", "",
	] {
		rules(json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/0/provenance/source_repository", "value": prov_src}])) == {"deploy.source_not_allowed"}
	}

	# An empty configured source matches nothing, not an empty provenance field.
	cfg := json.patch(config, [{"op": "replace", "path": "/deploy/sources", "value": ["", "https://"]}])
	doc := json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/0/provenance/source_repository", "value": ""}])
	{v.rule | some v in main.violations with input as doc with data.ztci.config as cfg} == {"deploy.source_not_allowed"}
}

test_digest_must_be_a_digest if {
	every d in [null, "", "latest", "sha256:abc", "md5:00000000000000000000000000000000", 1, ["sha256:0000000000000000000000000000000000000000000000000000000000000001"]] {
		"deploy.malformed" in rules(json.patch(good, [{"op": "replace", "path": "/artifacts/0/digest", "value": d}]))
	}
	"deploy.malformed" in rules(json.remove(good, ["artifacts/0/digest"]))
}

# The critical count of a scan is not below what it lists: a summary that
# counts 0 (or a negative number) next to a listed critical finding used
# to pass max_critical 0.
test_critical_count_not_below_listed_findings if {
	listed := {"id": "CVE-2024-3094", "severity": "critical", "package": "xz-utils"}
	zero := json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/1/scan", "value": {"scanner": "t", "critical": 0, "high": 0, "medium": 0, "low": 0, "findings": [listed]}}])
	rules(zero) == {"deploy.critical_findings"}
	every c in [-1, -0.5] {
		neg := json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/1/scan/critical", "value": c}])
		rules(neg) == {"deploy.scan_unreadable"}
	}
}

# A listed finding of a severity the rules do not recognise counts as
# critical for max_critical (attest/vuln: unknown is at least as severe as
# the threshold requires); a recognised lower one does not.
test_unrecognised_severity_counts_as_critical if {
	every sev in ["Critical ", "unknown", "9.8", "", null, 4] {
		listed := {"id": "CVE-2024-3094", "severity": sev, "package": "xz-utils"}
		doc := json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/1/scan", "value": {"scanner": "t", "critical": 0, "high": 0, "medium": 0, "low": 0, "findings": [listed]}}])
		rules(doc) == {"deploy.critical_findings"}
	}
	every sev in ["high", " Medium", "LOW"] {
		listed := {"id": "CVE-2024-3094", "severity": sev, "package": "xz-utils"}
		doc := json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/1/scan", "value": {"scanner": "t", "critical": 0, "high": 0, "medium": 0, "low": 0, "findings": [listed]}}])
		rules(doc) == set()
	}
}

# The certificate that signed a provenance names the repository and ref of
# the signing job; the predicate says what the signer wrote. Both must be
# allowed.
claimed(claims) := {v.rule |
	cfg := json.patch(config, [{"op": "add", "path": "/deploy/source_refs", "value": ["refs/heads/main"]}])
	doc := json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/0/signer/claims", "value": claims}])
	some v in main.violations with input as doc with data.ztci.config as cfg
}

test_provenance_certificate_claims_judged if {
	claimed({"repository": "https://github.com/evil/app"}) == {"deploy.source_not_allowed"}
	claimed({"repository": "evil/app"}) == {"deploy.source_not_allowed"}
	claimed({"repository": 1}) == {"deploy.source_not_allowed"}
	claimed({"ref": "refs/heads/feature"}) == {"deploy.source_ref_not_allowed"}
	claimed({"ref": ["refs/heads/main"]}) == {"deploy.source_ref_not_allowed"}
	claimed({"repository": "https://github.com/acme/app", "ref": "refs/heads/main"}) == set()
	claimed({"repository": "acme/app"}) == set()
	claimed({}) == set()
}

# Raw `opa eval` input that is not an object is denied with a reason, not
# an evaluation error.
test_non_object_input_denied if {
	every doc in [[], "deploy", 1, null, true] {
		d := main.decision with input as doc with data.ztci.config as config
		not d.allow
		{v.rule | some v in d.violations} == {"ztci.unknown_action"}
	}
}

# A deploying job, or a build its provenance records, started by
# pull_request_target ran on the base branch's ref for changes nobody
# reviewed: neither counts as protected, unless the operator trusts the
# trigger (untrusted_triggers []) or turns the protected-ref rule off.
test_pull_request_target_is_not_protected if {
	rules(json.patch(good, [{"op": "add", "path": "/job/trigger", "value": "pull_request_target"}])) == {"deploy.untrusted_trigger"}
	rules(json.patch(good, [{"op": "add", "path": "/job/trigger", "value": "workflow_run"}])) == {"deploy.untrusted_trigger"}
	rules(json.patch(good, [{"op": "add", "path": "/job/trigger", "value": "push"}])) == set()
	built := json.patch(good, [{"op": "add", "path": "/artifacts/0/attestations/0/provenance/external_parameters", "value": {"trigger": "pull_request_target"}}])
	rules(built) == {"deploy.untrusted_build_trigger"}
	trusting := object.union(config, {"untrusted_triggers": []})
	{v.rule | some v in main.violations with input as built with data.ztci.config as trusting} == set()
	off := json.patch(config, [{"op": "add", "path": "/deploy/require_protected_ref", "value": false}])
	{v.rule | some v in main.violations with input as built with data.ztci.config as off} == set()
}

# The certificate that signed the artifact or an attestation names the
# trigger of the job that signed it (signer.claims.event): a job an
# untrusted trigger started signs as the protected ref's workflow.
test_signature_by_untrusted_trigger_denied if {
	every path in ["/artifacts/0/signer/claims/event", "/artifacts/0/attestations/0/signer/claims/event", "/artifacts/0/attestations/1/signer/claims/event"] {
		rules(json.patch(good, [{"op": "add", "path": path, "value": "workflow_run"}])) == {"deploy.untrusted_build_trigger"}
		rules(json.patch(good, [{"op": "add", "path": path, "value": "push"}])) == set()
	}

	# An attestation the rules do not read (an untrusted signer's) says nothing.
	ignored := json.patch(good, [{"op": "add", "path": "/artifacts/0/attestations/-", "value": object.union(scan(0), {"signer": {"san": "https://evil.example/wf", "issuer": ci, "claims": {"event": "workflow_run"}}})}])
	rules(ignored) == set()
	signed := json.patch(good, [{"op": "add", "path": "/artifacts/0/signer/claims/event", "value": "pull_request_target"}])
	{v.rule | some v in main.violations with input as signed with data.ztci.config as object.union(config, {"untrusted_triggers": []})} == set()
}

# A provenance the rules judge is one of any SLSA provenance type, or any
# attestation carrying a provenance summary: a second one from an unlisted
# builder does not pass beside a good one. It does not count as the
# provenance an artifact needs.
test_every_provenance_judged if {
	every t in ["https://slsa.dev/provenance/v1.1", "https://slsa.dev/provenance/v0.1", "https://example.com/provenance"] {
		other := json.patch(provenance, [{"op": "replace", "path": "/predicate_type", "value": t}, {"op": "replace", "path": "/provenance/builder_id", "value": "https://evil.example/builder"}])
		rules(json.patch(good, [{"op": "add", "path": "/artifacts/0/attestations/-", "value": other}])) == {"deploy.builder_not_allowed"}
		alone := json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/0/predicate_type", "value": t}])
		rules(alone) == {"deploy.provenance_missing"}
	}
}

# A scan dated in the future never goes stale, and a time that is not a
# day that exists used to abort evaluation: both read as no time.
test_scan_time_in_the_future_or_impossible_is_stale if {
	cfg := json.patch(config, [{"op": "add", "path": "/deploy/max_scan_age_seconds", "value": 86400}])
	every t in ["2099-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T23:59:60Z", "2300-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "2026-12-01T00:00:00+24:00"] {
		doc := json.patch(good, [{"op": "add", "path": "/artifacts/0/attestations/1/scan/scanned_at", "value": t}])
		{v.rule | some v in main.violations with input as doc with data.ztci.config as cfg} == {"deploy.scan_too_old"}
	}
	every t in [time.format(time.now_ns() - 3600000000000), time.format([time.now_ns() + 60000000000, "UTC", "2006-01-02T15:04:05-07:00"])] {
		doc := json.patch(good, [{"op": "add", "path": "/artifacts/0/attestations/1/scan/scanned_at", "value": t}])
		{v.rule | some v in main.violations with input as doc with data.ztci.config as cfg} == set()
	}
}

# An entry left empty in a data document (LibraryConfig.Validate refuses
# one) matches no empty value: not a keyed signature (no SAN, no issuer),
# a provenance without builder or a build without a ref.
test_empty_config_entries_match_nothing if {
	cfg := json.patch(config, [
		{"op": "add", "path": "/deploy/signers/-", "value": {"san": "", "issuer": ""}},
		{"op": "add", "path": "/deploy/builders/-", "value": ""},
		{"op": "add", "path": "/deploy/source_refs", "value": ["", "refs/heads/main"]},
	])
	keyed := json.patch(good, [{"op": "replace", "path": "/artifacts/0/signer", "value": {"san": "", "issuer": "", "claims": {}}}])
	{v.rule | some v in main.violations with input as keyed with data.ztci.config as cfg} == {"deploy.signer_not_allowed"}
	unbuilt := json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/0/provenance/builder_id", "value": ""}])
	{v.rule | some v in main.violations with input as unbuilt with data.ztci.config as cfg} == {"deploy.builder_not_allowed"}
	no_ref := json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/0/provenance/source_ref", "value": ""}])
	{v.rule | some v in main.violations with input as no_ref with data.ztci.config as cfg} == {"deploy.source_ref_not_allowed"}
	{v.rule | some v in main.violations with input as good with data.ztci.config as cfg} == set()
}

# A message never makes its violation undefined: an unreadable scan (or a
# signature by an untrusted trigger) on an attestation without a predicate
# type is still reported.
test_attestation_without_predicate_type_still_judged if {
	untyped := json.remove(scan(0), ["predicate_type"])
	rules(json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/1", "value": json.patch(untyped, [{"op": "replace", "path": "/scan/critical", "value": "9"}])}])) == {"deploy.scan_unreadable"}
	rules(json.patch(good, [{"op": "replace", "path": "/artifacts/0/attestations/1", "value": json.patch(untyped, [{"op": "add", "path": "/signer/claims/event", "value": "workflow_run"}])}])) == {"deploy.untrusted_build_trigger"}
}

# A trigger the rules cannot read as a name, in the job, in the build's
# provenance or in a signing certificate, is not a trusted one; nor is an
# untrusted one in another case. untrusted_triggers null reads as unset.
test_unreadable_trigger_is_untrusted if {
	every t in [["pull_request_target"], {"event": "workflow_run"}, 7, "WORKFLOW_RUN"] {
		rules(json.patch(good, [{"op": "add", "path": "/job/trigger", "value": t}])) == {"deploy.untrusted_trigger"}
		rules(json.patch(good, [{"op": "add", "path": "/artifacts/0/attestations/0/provenance/external_parameters", "value": {"trigger": t}}])) == {"deploy.untrusted_build_trigger"}
		rules(json.patch(good, [{"op": "add", "path": "/artifacts/0/signer/claims/event", "value": t}])) == {"deploy.untrusted_build_trigger"}
		rules(json.patch(good, [{"op": "add", "path": "/artifacts/0/attestations/0/signer/claims/event", "value": t}])) == {"deploy.untrusted_build_trigger"}
	}
	rules(json.patch(good, [{"op": "add", "path": "/job/trigger", "value": null}])) == set()
	prt := json.patch(good, [{"op": "add", "path": "/job/trigger", "value": "pull_request_target"}])
	{v.rule | some v in main.violations with input as prt with data.ztci.config as object.union(config, {"untrusted_triggers": null})} == {"deploy.untrusted_trigger"}
}
