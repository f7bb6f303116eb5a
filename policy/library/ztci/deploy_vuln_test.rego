package ztci.deploy_vuln_test

import data.ztci.deploy
import data.ztci.main

ci := "https://token.actions.githubusercontent.com"

release_wf := "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"

psirt_wf := "https://github.com/acme/psirt/.github/workflows/vex.yml@refs/heads/main"

builder := "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.1.0"

config := {"deploy": {
	"signers": [{"san": release_wf, "issuer": ci}],
	"builders": [builder],
	"sources": ["git+https://github.com/acme/app"],
	"deny_severity": "high",
	"vex_signers": [{"san": psirt_wf, "issuer": ci}],
}}

provenance := {
	"predicate_type": "https://slsa.dev/provenance/v1",
	"signer": {"san": release_wf, "issuer": ci, "claims": {}},
	"provenance": {"builder_id": builder, "source_repository": "git+https://github.com/acme/app"},
}

xz := {"id": "CVE-2024-3094", "aliases": ["GHSA-rxwq-x6h5-x525"], "severity": "critical", "package": "pkg:deb/debian/xz-utils@5.6.0?arch=amd64"}

zlib := {"id": "CVE-2023-0002", "severity": "medium", "package": "pkg:deb/debian/zlib@1.2.13"}

scan(findings) := {
	"predicate_type": "https://in-toto.io/attestation/vulns/v0.1",
	"signer": {"san": release_wf, "issuer": ci, "claims": {}},
	"scan": {
		"scanner": "trivy 0.58.1",
		"critical": count([f | some f in findings; f.severity == "critical"]),
		"high": count([f | some f in findings; f.severity == "high"]),
		"medium": count([f | some f in findings; f.severity == "medium"]),
		"low": 0,
		"findings": findings,
	},
}

statement(status, extra) := object.union(
	{"vulnerability": "CVE-2024-3094", "status": status, "justification": "", "timestamp": "2026-12-01T00:00:00Z"},
	extra,
)

not_affected := statement("not_affected", {"justification": "vulnerable_code_not_in_execute_path"})

vex(statements) := vex_by(psirt_wf, statements)

vex_by(san, statements) := {
	"predicate_type": "https://openvex.dev/ns/v0.2.0",
	"signer": {"san": san, "issuer": ci, "claims": {}},
	"vex": {"statements": statements},
}

deploy_of(atts) := {
	"action": "deploy",
	"job": {"id": "j", "ref": "refs/heads/main", "protected": true},
	"artifacts": [{
		"name": "ghcr.io/acme/app",
		"digest": "sha256:0000000000000000000000000000000000000000000000000000000000000001",
		"verified": true,
		"signer": {"san": release_wf, "issuer": ci, "claims": {}},
		"attestations": array.concat([provenance], atts),
	}],
}

rules(atts) := {v.rule | some v in main.violations with input as deploy_of(atts) with data.ztci.config as config}

vuln_values(atts) := {v.value | some v in main.violations with input as deploy_of(atts) with data.ztci.config as config; v.rule == "deploy.vulnerability"}

test_clean_scan_allowed if {
	rules([scan([zlib])]) == set()
}

test_finding_at_threshold_denied if {
	rules([scan([xz, zlib])]) == {"deploy.vulnerability", "deploy.critical_findings"}
	vuln_values([scan([xz, zlib])]) == {"CVE-2024-3094"}
}

test_high_finding_denied_medium_not if {
	vuln_values([scan([object.union(zlib, {"severity": "high"})])]) == {"CVE-2023-0002"}
	rules([scan([zlib])]) == set()
}

test_unknown_or_odd_severity_is_above_every_threshold if {
	every sev in ["unknown", "", "CRITICALISH", 4] {
		vuln_values([scan([object.union(zlib, {"severity": sev})])]) == {"CVE-2023-0002"}
	}
	vuln_values([scan([object.remove(zlib, ["severity"])])]) == {"CVE-2023-0002"}
}

test_off_without_deny_severity if {
	cfg := json.remove(config, ["deploy/deny_severity"])
	rs := {v.rule | some v in main.violations with input as deploy_of([scan([object.union(zlib, {"severity": "high"})])]) with data.ztci.config as cfg}
	rs == set()
}

test_not_affected_with_justification_lifts if {
	rules([scan([xz, zlib]), vex([not_affected])]) == set()
}

test_fixed_lifts if {
	rules([scan([xz]), vex([statement("fixed", {})])]) == set()
}

test_alias_matches_either_way if {
	rules([scan([xz]), vex([object.union(not_affected, {"vulnerability": "GHSA-rxwq-x6h5-x525"})])]) == set()
	by_alias := object.union(not_affected, {"vulnerability": "CVE-0000-0000", "aliases": ["cve-2024-3094"]})
	rules([scan([xz]), vex([by_alias])]) == set()
}

test_other_vulnerability_does_not_lift if {
	rules([scan([xz]), vex([object.union(not_affected, {"vulnerability": "CVE-2024-9999"})])]) == {"deploy.vulnerability", "deploy.critical_findings"}
}

test_not_affected_without_justification_does_not_lift if {
	rules([scan([xz]), vex([statement("not_affected", {})])]) == {"deploy.vulnerability", "deploy.critical_findings"}
	rules([scan([xz]), vex([statement("not_affected", {"justification": "trust_me"})])]) == {"deploy.vulnerability", "deploy.critical_findings"}
}

test_unknown_status_does_not_lift if {
	every st in ["resolved", "FIXED", "affected", "under_investigation"] {
		rules([scan([xz]), vex([statement(st, {})])]) == {"deploy.vulnerability", "deploy.critical_findings"}
	}
}

test_vex_from_other_signer_does_not_lift if {
	rules([scan([xz]), vex_by(release_wf, [not_affected])]) == {"deploy.vulnerability", "deploy.critical_findings"}
	cfg := json.remove(config, ["deploy/vex_signers"])
	rs := {v.rule | some v in main.violations with input as deploy_of([scan([xz]), vex([not_affected])]) with data.ztci.config as cfg}
	rs == {"deploy.vulnerability", "deploy.critical_findings"}
}

test_later_affected_wins if {
	later := statement("affected", {"timestamp": "2026-12-02T00:00:00Z"})
	rules([scan([xz]), vex([not_affected, later])]) == {"deploy.vulnerability", "deploy.critical_findings"}
	same_time := statement("under_investigation", {})
	rules([scan([xz]), vex([not_affected, same_time])]) == {"deploy.vulnerability", "deploy.critical_findings"}
	no_time := statement("affected", {"timestamp": "soon"})
	rules([scan([xz]), vex([not_affected, no_time])]) == {"deploy.vulnerability", "deploy.critical_findings"}
}

# A later contrary statement counts against a lift unless both sides are
# package URLs that do not match: one naming the part by a CPE or another
# identifier, or about a finding whose package is not a package URL, is
# not read as being about something else.
later_affected(subs) := statement("affected", {"timestamp": "2026-12-02T00:00:00Z", "subcomponents": subs})

test_later_affected_the_rules_cannot_place_wins if {
	every subs in [["cpe:2.3:a:tukaani:xz:5.6.0:*:*:*:*:*:*:*"], ["xz-utils"], [1], "pkg:deb/debian/xz-utils"] {
		rules([scan([xz]), vex([not_affected, later_affected(subs)])]) == {"deploy.vulnerability", "deploy.critical_findings"}
	}
	named := object.union(xz, {"package": "xz-utils@5.6.0"})
	rules([scan([named]), vex([not_affected, later_affected(["pkg:deb/debian/xz-utils"])])]) == {"deploy.vulnerability", "deploy.critical_findings"}
	rules([scan([xz]), vex([not_affected, later_affected(["pkg:deb/debian/musl"])])]) == set()
}

test_earlier_affected_is_superseded if {
	earlier := statement("affected", {"timestamp": "2026-11-01T00:00:00Z"})
	rules([scan([xz]), vex([earlier, not_affected])]) == set()
}

test_lifting_needs_a_time if {
	rules([scan([xz]), vex([object.union(not_affected, {"timestamp": ""})])]) == {"deploy.vulnerability", "deploy.critical_findings"}
}

test_subcomponents_must_match_the_package if {
	musl := object.union(not_affected, {"subcomponents": ["pkg:deb/debian/musl"]})
	rules([scan([xz]), vex([musl])]) == {"deploy.vulnerability", "deploy.critical_findings"}
	every sub in ["pkg:deb/debian/xz-utils", "pkg:deb/debian/xz-utils@5.6.0", "pkg:deb/debian/xz-utils?arch=amd64", "pkg:DEB/debian/xz-utils"] {
		rules([scan([xz]), vex([object.union(not_affected, {"subcomponents": ["pkg:deb/debian/musl", sub]})])]) == set()
	}
	every sub in ["pkg:deb/debian/xz-utils@5.6.1", "pkg:deb/debian/xz-utils?arch=arm64", "cpe:2.3:a:tukaani:xz:5.6.0", "pkg:deb/debian/xz-utils@5.6%zz"] {
		rules([scan([xz]), vex([object.union(not_affected, {"subcomponents": [sub]})])]) == {"deploy.vulnerability", "deploy.critical_findings"}
	}
}

test_counts_without_findings_deny if {
	s := {
		"predicate_type": "https://in-toto.io/attestation/vulns/v0.1",
		"signer": {"san": release_wf, "issuer": ci, "claims": {}},
		"scan": {"scanner": "x", "critical": 0, "high": 2, "medium": 0, "low": 0},
	}
	vuln_values([s]) == {2}
}

test_lifted_criticals_do_not_count_towards_max_critical if {
	cfg := json.remove(config, ["deploy/deny_severity"])
	rs := {v.rule | some v in main.violations with input as deploy_of([scan([xz]), vex([not_affected])]) with data.ztci.config as cfg}
	rs == set()
	rs2 := {v.rule | some v in main.violations with input as deploy_of([scan([xz])]) with data.ztci.config as cfg}
	rs2 == {"deploy.critical_findings"}
}

test_malformed_vex_is_ignored_not_an_error if {
	every bad in [{"statements": "x"}, {"statements": [1, null]}, "x", {}] {
		att := object.union(vex([]), {"vex": bad})
		rules([scan([xz]), att]) == {"deploy.vulnerability", "deploy.critical_findings"}
	}
}

test_purl_match if {
	deploy.purl_match("pkg:apk/alpine/musl", "pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64&distro=3.9.4")
	deploy.purl_match("pkg:apk/alpine/musl@1.1.20-r4", "pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64")
	not deploy.purl_match("pkg:apk/alpine/musl@1.1.20-r5", "pkg:apk/alpine/musl@1.1.20-r4")
	not deploy.purl_match("pkg:apk/alpine/musl@1.1.20-r4", "pkg:apk/alpine/musl")
	deploy.purl_match("pkg:apk/alpine/musl?arch=x86_64", "pkg:apk/alpine/musl@1?arch=x86_64&distro=3.9")
	not deploy.purl_match("pkg:apk/alpine/musl?arch=armv7", "pkg:apk/alpine/musl@1?arch=x86_64")
	not deploy.purl_match("pkg:apk/alpine/musl", "pkg:apk/alpine/musl-utils@1")
	not deploy.purl_match("pkg:apk/wolfi/musl", "pkg:apk/alpine/musl@1")
	deploy.purl_match("pkg:npm/%40angular/core@1.0.0", "pkg:npm/%40angular/core@1.0.0")
	deploy.purl_match("pkg:golang/golang.org/x/net@v0.1.0", "pkg:golang/golang.org/x/net@v0.1.0#http2")
	not deploy.purl_match("pkg:golang/golang.org/x/net#http2", "pkg:golang/golang.org/x/net@v0.1.0")
	not deploy.purl_match("not a purl", "not a purl")
	deploy.purl_match("pkg:pypi/zope.interface", "pkg:pypi/zope-interface@5.5")
	deploy.purl_match("pkg:pypi/Zope_Interface@5.5", "pkg:pypi/zope--interface@5.5")
	not deploy.purl_match("pkg:pypi/zopeinterface", "pkg:pypi/zope-interface@5.5")
	deploy.purl_match("pkg:nuget/Newtonsoft.Json", "pkg:nuget/newtonsoft.json@13.0.1")
	not deploy.purl_match("pkg:nuget/Newtonsoft_Json", "pkg:nuget/newtonsoft.json@13.0.1")
	not deploy.purl_match("pkg:npm/JSONStream", "pkg:npm/jsonstream@1.3.5")
	not deploy.purl_match("pkg:golang/github.com/Sirupsen/logrus", "pkg:golang/github.com/sirupsen/logrus@v1.9.0")
	not deploy.purl_match("pkg:generic/c/a%2Fb", "pkg:generic/c/a/b@1")
	not deploy.purl_match("pkg:generic/a%2Fb/c", "pkg:generic/a/b/c@1")
	not deploy.purl_match("pkg:generic/a%2Fb/c", "pkg:generic/a%2Fb/c@1")
	not deploy.purl_match(7, "pkg:a/b")
}

# The unparsed fast path says true only where the full parse does (it may
# leave a match to the full parse, as for a version holding "/").
test_prefix_match_is_sound if {
	pairs := [
		["pkg:deb/debian/xz-utils", "pkg:deb/debian/xz-utils@5.6.0?arch=amd64"],
		["pkg:deb/debian/xz-utils@5.6.0", "pkg:deb/debian/xz-utils@5.6.0?arch=amd64"],
		["pkg:deb/debian/xz-utils@5.6.0", "pkg:deb/debian/xz-utils@5.6.0"],
		["pkg:deb/debian/xz-utils@5", "pkg:deb/debian/xz-utils@5.6.0"],
		["pkg:deb/debian/xz", "pkg:deb/debian/xz-utils@5.6.0"],
		["pkg:golang/golang.org/x/net", "pkg:golang/golang.org/x/net/http2@v1"],
		["pkg:npm/a", "pkg:npm/a@1@2"],
		["pkg:npm/a", "pkg:npm/a@1/b"],
		["pkg:npm/a", "pkg:npm/a@"],
		["pkg:npm/a", "pkg:npm/a@1?x=%zz"],
		["pkg:golang/golang.org/x/net", "pkg:golang/golang.org/x/net#http2"],
	]
	every pair in pairs {
		fast := [true | deploy.purl_prefix_match(pair[0], pair[1])]
		full := [true | deploy.full_purl_match(pair[0], pair[1])]
		count(fast) <= count(full) # fast implies full
	}
	deploy.purl_prefix_match(pairs[0][0], pairs[0][1])
	not deploy.purl_prefix_match(pairs[3][0], pairs[3][1])
	not deploy.purl_prefix_match(pairs[6][0], pairs[6][1])
	not deploy.purl_prefix_match(pairs[7][0], pairs[7][1])
	deploy.full_purl_match(pairs[7][0], pairs[7][1])
}

# Counts are compared per severity with the findings listed: one listed low
# finding does not stand for ten unlisted high ones, and a negative count
# does not offset another (critical -5 + high 5 used to sum to 0).
test_unlisted_counts_per_severity_deny if {
	low := {"id": "CVE-2023-0003", "severity": "low", "package": "pkg:deb/debian/zlib@1.2.13"}
	base := {
		"predicate_type": "https://in-toto.io/attestation/vulns/v0.1",
		"signer": {"san": release_wf, "issuer": ci, "claims": {}},
	}
	rules([object.union(base, {"scan": {"scanner": "x", "critical": 0, "high": 10, "medium": 0, "low": 1, "findings": [low]}})]) == {"deploy.vulnerability"}
	vuln_values([object.union(base, {"scan": {"scanner": "x", "critical": 0, "high": 10, "medium": 0, "low": 1, "findings": [low]}})]) == {10}
	"deploy.vulnerability" in rules([object.union(base, {"scan": {"scanner": "x", "critical": -5, "high": 5, "medium": 0, "low": 0}})])
	rules([object.union(base, {"scan": {"scanner": "x", "critical": 0, "high": -1, "medium": 0, "low": 0}})]) == {"deploy.scan_unreadable"}
	rules([object.union(base, {"scan": {"scanner": "x", "critical": 0, "high": "2", "medium": 0, "low": 0}})]) == {"deploy.scan_unreadable"}

	# Below the threshold, counts need not be listed.
	rules([object.union(base, {"scan": {"scanner": "x", "critical": 0, "high": 0, "medium": 3, "low": 0, "findings": [low]}})]) == set()
}

# A statement dated in the future would outrank every statement made until
# then, and one dated on a day that does not exist used to abort
# evaluation: neither has a readable time, so neither lifts, and a
# contrary one still contradicts.
test_statement_time_in_the_future_or_impossible if {
	later := statement("affected", {"timestamp": "2026-12-02T00:00:00Z"})
	future := object.union(not_affected, {"timestamp": "2099-01-01T00:00:00Z"})
	rules([scan([xz]), vex([future, later])]) == {"deploy.vulnerability", "deploy.critical_findings"}
	every t in ["2099-01-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-31T00:00:00Z", "2026-12-01T24:00:00Z", "0001-01-01T00:00:00Z"] {
		rules([scan([xz]), vex([object.union(not_affected, {"timestamp": t})])]) == {"deploy.vulnerability", "deploy.critical_findings"}
		rules([scan([xz]), vex([statement("affected", {"timestamp": t}), not_affected])]) == {"deploy.vulnerability", "deploy.critical_findings"}
	}
	every t in ["2024-02-29T00:00:00Z", "2026-12-01T09:30:00.25+09:30", "2026-11-30T23:00:00-05:00"] {
		rules([scan([xz]), vex([object.union(not_affected, {"timestamp": t})])]) == set()
	}
}

# A statement that names the finding by an alias ("GHSA-x", aliases
# ["CVE-1"]) is contradicted by a later statement about its own name alone:
# both are about one vulnerability.
test_later_affected_under_the_lifting_name_wins if {
	by_ghsa := object.union(not_affected, {"vulnerability": "GHSA-rxwq-x6h5-x525", "aliases": ["CVE-2024-3094"]})
	xz_alone := object.remove(xz, ["aliases"])
	rules([scan([xz_alone]), vex([by_ghsa])]) == set()
	later := statement("affected", {"vulnerability": "GHSA-rxwq-x6h5-x525", "timestamp": "2026-12-02T00:00:00Z"})
	rules([scan([xz_alone]), vex([by_ghsa, later])]) == {"deploy.vulnerability", "deploy.critical_findings"}
	earlier := object.union(later, {"timestamp": "2026-11-01T00:00:00Z"})
	rules([scan([xz_alone]), vex([earlier, by_ghsa])]) == set()
}
