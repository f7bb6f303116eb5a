package ztci.secrets_test

import data.ztci.main

config := {"secrets": {"grants": [
	{"secret": "prod/*", "repositories": ["acme/app"], "refs": ["refs/heads/main"], "environments": ["production"]},
	{"secret": "ci/npm-token", "repositories": ["acme/app", "acme/lib"], "refs": ["refs/heads/**", "refs/tags/v*"], "protected": false},
	{"secret": "ops/root", "repositories": ["acme/ops"], "refs": ["refs/heads/main"], "ids": ["spiffe://acme.example/ops/deployer"]},
]}}

job := {"id": "x", "platform": "github-actions", "repository": "acme/app", "ref": "refs/heads/main", "protected": true, "environment": "production"}

req(j, names) := {"action": "secrets.release", "job": j, "secrets": {"names": names}}

rules(doc) := {v.rule | some v in main.violations with input as doc with data.ztci.config as config}

test_granted if {
	rules(req(job, ["prod/db-password", "ci/npm-token"])) == set()
}

test_glob_does_not_cross_slash if {
	rules(req(job, ["prod/db/password"])) == {"secrets.not_granted"}
}

test_unprotected_ref_denied if {
	rules(req(object.union(job, {"protected": false}), ["prod/db-password"])) == {"secrets.not_granted"}
}

test_unprotected_allowed_when_grant_says_so if {
	rules(req(object.union(job, {"protected": false, "ref": "refs/heads/feature/x", "environment": ""}), ["ci/npm-token"])) == set()
}

test_other_environment_denied if {
	rules(req(object.union(job, {"environment": "staging"}), ["prod/db-password"])) == {"secrets.not_granted"}
}

test_other_repository_denied if {
	rules(req(object.union(job, {"repository": "acme/app-fork"}), ["prod/db-password"])) == {"secrets.not_granted"}
}

test_identity_pinned_grant if {
	ops := {"id": "spiffe://acme.example/ops/deployer", "repository": "acme/ops", "ref": "refs/heads/main", "protected": true, "environment": ""}
	rules(req(ops, ["ops/root"])) == set()
	rules(req(object.union(ops, {"id": "spiffe://acme.example/ops/other"}), ["ops/root"])) == {"secrets.not_granted"}
}

test_anonymous_and_empty if {
	rules(req(object.union(job, {"id": ""}), [])) == {"secrets.anonymous", "secrets.empty_request"}
}

test_no_grants_denies if {
	{v.rule | some v in main.violations with input as req(job, ["prod/db-password"]) with data.ztci.config as {}} == {"secrets.not_granted"}
}

test_wrong_typed_request_denied if {
	every names in ["prod/db-password", {"a": "prod/db-password"}, null, 1, [1], [""], [null], [["prod/db-password"]]] {
		d := main.decision with input as req(job, names) with data.ztci.config as config
		not d.allow
	}
	every doc in [
		{"action": "secrets.release", "job": job},
		{"action": "secrets.release", "job": job, "secrets": "prod/db-password"},
		{"action": "secrets.release", "job": job, "secrets": null},
	] {
		d := main.decision with input as doc with data.ztci.config as config
		not d.allow
	}
}

test_wrong_typed_job_denied if {
	every patch in [
		{"id": 1},
		{"id": null},
		{"id": ["x"]},
		{"protected": "true"},
		{"protected": 1},
		{"ref": ["refs/heads/main"]},
		{"ref": null},
		{"repository": ["acme/app"]},
		{"environment": ["production"]},
	] {
		count(rules(req(object.union(job, patch), ["prod/db-password"]))) > 0
	}
	every j in [null, "x", [], {}] {
		count(rules(req(j, ["prod/db-password"]))) > 0
	}
}

# A grant's glob must not match a name a backend could read as another
# secret, nor a job ref git would not allow.
test_malformed_names_and_refs_never_granted if {
	every name in ["prod/..", "prod/.", "prod/", "/prod/db", "prod//db", "prod/*", "prod/db%2F..%2Fadmin", "prod\\..\\admin", "prod/db ", "prod/db\n", "prod/[a]"] {
		rules(req(job, [name])) == {"secrets.malformed"}
	}
	dev := {"secrets": {"grants": [{"secret": "dev/*", "repositories": ["acme/app"], "refs": ["refs/heads/*", "refs/heads/**"], "protected": false}]}}
	every ref in ["refs/heads/", "refs/heads/..", "refs/heads/main/../x", "refs/heads/ main", "refs/heads/main.lock", "refs/heads/.x"] {
		{v.rule | some v in main.violations with input as req(object.union(job, {"ref": ref}), ["dev/x"]) with data.ztci.config as dev} == {"secrets.not_granted"}
	}
	{v.rule | some v in main.violations with input as req(object.union(job, {"ref": "refs/heads/feature/x-1.2"}), ["dev/x"]) with data.ztci.config as dev} == set()
}

# GitHub gives a pull_request_target job the base branch's ref, protected,
# for a pull request from anyone: it gets no grant that requires a
# protected ref, and still gets one that does not; an operator who trusts
# the trigger says so with untrusted_triggers [].
test_pull_request_target_is_not_protected if {
	prt := object.union(job, {"trigger": "pull_request_target"})
	rules(req(prt, ["prod/db-password"])) == {"secrets.not_granted"}
	rules(req(object.union(prt, {"environment": ""}), ["ci/npm-token"])) == set()
	rules(req(object.union(job, {"trigger": "push"}), ["prod/db-password"])) == set()
	trusting := object.union(config, {"untrusted_triggers": []})
	{v.rule | some v in main.violations with input as req(prt, ["prod/db-password"]) with data.ztci.config as trusting} == set()
	rules(req(object.union(job, {"trigger": "workflow_run"}), ["prod/db-password"])) == {"secrets.not_granted"}
	only_prt := object.union(config, {"untrusted_triggers": ["pull_request_target"]})
	{v.rule | some v in main.violations with input as req(object.union(job, {"trigger": "workflow_run"}), ["prod/db-password"]) with data.ztci.config as only_prt} == set()
}

# An empty entry in a grant's environments (an unset variable) does not
# cover a job that names no environment.
test_empty_environment_entry_covers_no_job if {
	cfg := {"secrets": {"grants": [{"secret": "prod/*", "repositories": ["acme/app"], "refs": ["refs/heads/main"], "environments": ["", "production"]}]}}
	{v.rule | some v in main.violations with input as req(object.union(job, {"environment": ""}), ["prod/db-password"]) with data.ztci.config as cfg} == {"secrets.not_granted"}
	{v.rule | some v in main.violations with input as req(job, ["prod/db-password"]) with data.ztci.config as cfg} == set()
}

# Empty entries in a data document's grant (LibraryConfig.Validate
# refuses them) cover no job without a repository or a ref.
test_empty_grant_entries_match_nothing if {
	cfg := {"secrets": {"grants": [{"secret": "ci/*", "repositories": [""], "refs": [""], "protected": false}]}}
	{v.rule | some v in main.violations with input as req({"id": "x", "repository": "", "ref": ""}, ["ci/token"]) with data.ztci.config as cfg} == {"secrets.not_granted"}
	ok := {"secrets": {"grants": [{"secret": "ci/*", "repositories": ["", "acme/app"], "refs": ["", "refs/heads/main"], "protected": false}]}}
	{v.rule | some v in main.violations with input as req({"id": "x", "repository": "acme/app", "ref": "refs/heads/main"}, ["ci/token"]) with data.ztci.config as ok} == set()
}

# untrusted_triggers null reads as unset: the default triggers stay
# untrusted (null is not the empty list that trusts every trigger).
test_null_untrusted_triggers_reads_as_default if {
	prt := object.union(job, {"trigger": "pull_request_target"})
	{v.rule | some v in main.violations with input as req(prt, ["prod/db-password"]) with data.ztci.config as object.union(config, {"untrusted_triggers": null})} == {"secrets.not_granted"}
}

# A trigger the rules cannot read as a name (a list, an object, a number,
# a boolean) is not a trusted one, and an untrusted trigger spelled in
# another case or with surrounding whitespace is still untrusted: the
# list names triggers to distrust, so it matches broadly. null reads as
# no trigger.
test_unreadable_trigger_is_not_protected if {
	every t in [["pull_request_target"], {"name": "pull_request_target"}, 1, true, "Pull_Request_Target", " workflow_run\n"] {
		rules(req(object.union(job, {"trigger": t}), ["prod/db-password"])) == {"secrets.not_granted"}
	}
	rules(req(object.union(job, {"trigger": null}), ["prod/db-password"])) == set()
}

# A literal name is printable ASCII: a backend that normalizes names
# (NFKC, as many frameworks do before a lookup) reads fullwidth or
# compatibility characters as the ASCII ones they stand for, so
# "ci/．．/prod/db" under a grant "ci/**" would be "prod/db"; Unicode
# whitespace ("\u00a0", "\u3000", "\u2028") and C1 controls ("\u0085")
# are whitespace and controls as much as the ASCII ones.
test_non_ascii_names_never_granted if {
	ci := {"secrets": {"grants": [{"secret": "ci/**", "repositories": ["acme/app"], "refs": ["refs/heads/*"], "protected": false}]}}
	every name in ["ci/\uff0e\uff0e/prod/db", "ci/\u2025/prod/db", "ci/\u2105", "ci/\uff50rod", "ci/db\u00a0", "ci/db\u3000", "ci/a\u2028b", "ci/db\u0085", "ci/\ufe52\ufe52/prod"] {
		{v.rule | some v in main.violations with input as req(job, [name]) with data.ztci.config as ci} == {"secrets.malformed"}
	}
	{v.rule | some v in main.violations with input as req(job, ["ci/db-token_1.2+x=y@z"]) with data.ztci.config as ci} == set()
}

# A backend that puts the name in a URL path reads it only up to "#" (a
# fragment), and a servlet up to ";" (path parameters): under a grant
# "ci/*-public", "ci/prod-db#-public" would be "ci/prod-db".
test_url_path_terminators_never_granted if {
	pub := {"secrets": {"grants": [{"secret": "ci/*-public", "repositories": ["acme/app"], "refs": ["refs/heads/*"], "protected": false}]}}
	every name in ["ci/prod-db#-public", "ci/prod-db;-public", "ci/prod-db?-public"] {
		{v.rule | some v in main.violations with input as req(job, [name]) with data.ztci.config as pub} == {"secrets.malformed"}
	}
	{v.rule | some v in main.violations with input as req(job, ["ci/npm-public"]) with data.ztci.config as pub} == set()
}

# Only GitHub Actions states no environment protection: on any other
# platform (ztci's own issuer, under the vendor's platform name; GitLab,
# however a hand-built job spells it; none) a grant naming environments
# needs the job's environment_protected to be true.
test_environment_protection_on_every_platform_but_github if {
	every p in ["ztci", "acme-ci", "gitlab-ci", "GitLab-CI", "GitHub-Actions", ""] {
		rules(req(object.union(job, {"platform": p}), ["prod/db-password"])) == {"secrets.not_granted"}
		rules(req(object.union(job, {"platform": p, "environment_protected": "true"}), ["prod/db-password"])) == {"secrets.not_granted"}
		rules(req(object.union(job, {"platform": p, "environment_protected": true}), ["prod/db-password"])) == set()
	}
	rules(req(object.remove(job, ["platform"]), ["prod/db-password"])) == {"secrets.not_granted"}
}
