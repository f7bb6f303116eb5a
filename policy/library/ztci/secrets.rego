# METADATA
# title: secret release rules
# description: |
#   Which identity on which ref may receive which secret. Each requested
#   secret must be granted by an entry of data.ztci.config.secrets.grants:
#   {"secret": name or glob, "repositories": [...], "refs": [globs],
#   "environments": [...] (optional; a job that names no environment is
#   in none; on every platform but GitHub Actions, whose token states no
#   protection, only environments the job's token says are protected,
#   unless "environment_protected": false), "protected": bool (default true), "ids": [...] (optional
#   exact identity ids), "issuers": [...] (optional OIDC issuers or SPIFFE
#   trust domains, exact: the authority that vouches for the job),
#   "repository_ids": [...] (optional immutable repository ids, exact)}.
#   An optional member is unset only when left out: written null, it
#   would be a list naming nothing, and the config schema refuses it.
#   An empty repository or ref matches no grant.
#   Deny by default: a job without a non-empty string id, a request whose
#   names are not a non-empty list of literal names (printable ASCII: no
#   whitespace, control or other character a backend could normalize into
#   another name; no empty, "." or ".." segment, no "%", "\", "#", ";"
#   or glob character), and job
#   fields of the wrong type (a ref that is not a well-formed git ref,
#   protected that is not the boolean true) never match a grant. A job
#   started by an untrusted trigger (config untrusted_triggers, default
#   ["pull_request_target", "workflow_run", "ssh-rerun"]) is not protected, whatever
#   its ref. Grants add up: a secret is released when any grant matches,
#   so a narrower grant ("ci/deploy-key" on protected refs) never
#   restricts what a broader one ("ci/**" on any ref) gives.
package ztci.secrets

import data.ztci.lib

grants := lib.config("secrets", "grants", [])

names := object.get(input, ["secrets", "names"], [])

identified if {
	is_string(input.job.id)
	input.job.id != ""
}

violations contains v if {
	not identified
	v := {"rule": "secrets.anonymous", "message": "secrets are released only to an identified job", "value": null}
}

violations contains v if {
	is_array(names)
	count(names) == 0
	v := {"rule": "secrets.empty_request", "message": "the request names no secret", "value": null}
}

violations contains v if {
	not is_array(names)
	v := {"rule": "secrets.malformed", "message": sprintf("input.secrets.names must be a list of secret names, not a %s", [type_name(names)]), "value": null}
}

violations contains v if {
	is_array(names)
	some i, name in names
	not valid_name(name)
	v := {"rule": "secrets.malformed", "message": sprintf("input.secrets.names[%d] is not a non-empty string", [i]), "value": i}
}

# valid_name: a non-empty literal name (lib.secret_name). A grant's glob
# ("prod/*") must not match what a backend could read as another secret.
valid_name(name) if lib.secret_name(name)

violations contains v if {
	is_array(names)
	some name in names
	valid_name(name)
	not granted(name)
	v := {
		"rule": "secrets.not_granted",
		"message": sprintf("no grant gives secret %q to %q on %q (protected: %s, trigger: %q)", [name, lib.show(input, ["job", "repository"]), lib.show(input, ["job", "ref"]), lib.printable(object.get(input, ["job", "protected"], false)), lib.show(input, ["job", "trigger"])]),
		"value": name,
	}
}

granted(name) if {
	well_formed_ref(input.job.ref)
	some g in grants
	is_string(g.secret)
	glob.match(g.secret, ["/"], name)
	input.job.repository != ""
	input.job.repository in g.repositories
	some r in g.refs
	is_string(r)
	glob.match(r, ["/"], input.job.ref)
	protected_ok(g)
	environment_ok(g)
	id_ok(g)
	issuer_ok(g)
	repository_id_ok(g)
}

# well_formed_ref: a git ref as git itself allows one (git check-ref-format):
# not empty, no empty, "." or ".." segment, no whitespace, control or glob
# characters. A grant's ref glob ("refs/heads/*") must not match
# "refs/heads/" or "refs/heads/..", nor an empty one a job without a ref.
well_formed_ref(ref) if {
	is_string(ref)
	ref != ""
	not regex.match(`[\s\x00-\x1f\x7f~^:?*\[\\]|\.\.|@\{|//|/$|^/|\.lock$|/\.|^\.|\.$`, ref)
}

protected_ok(g) if not object.get(g, "protected", true)

protected_ok(_) if lib.protected_job(input.job)

environment_ok(g) if not "environments" in object.keys(g)

# A job that names no environment is in none: an empty entry in a
# grant's environments (an unset variable) does not extend it to every
# job without one.
environment_ok(g) if {
	input.job.environment != ""
	input.job.environment in g.environments
	environment_protection_ok(g)
}

# A grant naming environments covers protected ones only, unless it says
# "environment_protected": false: on GitLab, and under ztci's own issuer
# (identity/oidc, which writes environment_protected as GitLab does, under
# whatever platform name the vendor gives it), a job creates an
# environment by naming it, so an unprotected "production" is a name any
# developer's branch can take. Only GitHub Actions, spelled exactly as its
# normalizer spells it, states no protection: it issues an environment's
# token only once that environment's protection rules have passed. Any
# other platform, or one spelled otherwise ("GitLab-CI", "", a vendor's
# name), needs the job's environment_protected to be the boolean true: a
# list of the platforms that state protection would pass every platform
# it misses.
environment_protection_ok(g) if object.get(g, "environment_protected", true) == false

environment_protection_ok(_) if input.job.platform == environment_unstated_platform

environment_protection_ok(_) if input.job.environment_protected == true

environment_unstated_platform := "github-actions"

id_ok(g) if not "ids" in object.keys(g)

id_ok(g) if input.job.id in g.ids

# repository_id_ok: a grant that names repository ids covers only jobs
# whose repository has one of them: a name can be registered again after
# a rename or deletion (repojacking), the platform's id cannot.
repository_id_ok(g) if not "repository_ids" in object.keys(g)

repository_id_ok(g) if {
	is_string(input.job.repository_id)
	input.job.repository_id != ""
	input.job.repository_id in g.repository_ids
}

# issuer_ok: a grant that names issuers covers only jobs whose identity one
# of them vouches for (job_authority). A repository name means something
# only to the platform that issued it.
issuer_ok(g) if not "issuers" in object.keys(g)

issuer_ok(g) if {
	job_authority != ""
	job_authority in g.issuers
}

# job_authority is what vouches for the job's identity: its OIDC token's
# issuer, or for an SVID its trust domain ("spiffe://ci.example"); "" when
# neither is a non-empty string.
job_authority := input.job.issuer if {
	is_string(input.job.issuer)
	input.job.issuer != ""
} else := td if {
	is_string(input.job.spiffe_id)
	td := regex.find_n(`^spiffe://[^/]+`, input.job.spiffe_id, 1)[0]
} else := ""
