# METADATA
# title: ztci configuration schema
# description: |
#   The members data.ztci.config may hold and the type of each value, and
#   config_errors: every place a data document departs from them. A
#   document LibraryConfig writes always conforms; one written by hand (an
#   OPA bundle's data.json) may not, and a rule reading a value of the
#   wrong type or a misspelled member would quietly read its default:
#   max_critical "0" compares above every count, deny_severity "HIGH"
#   names no severity, "max_criticals" sets nothing. policy.Engine queries
#   config_errors once when it loads a bundle and refuses one with errors
#   (policy.ConfigError); checking it at every decision would cost more
#   than the decision. A vendor evaluating this library in an OPA of its
#   own queries data.ztci.lib.config_errors when it loads the bundle.
#   null is accepted anywhere a value is, and reads as unset, except in
#   a secret grant: there the rules read "issuers": null (environments,
#   ids, repository_ids alike) as a list that covers no job, not as
#   unset, so a grant's member written null is refused; leave it out.
package ztci.lib

config_schema := {
	"deploy": {
		"signers": "signers", "attestation_signers": "signers", "vex_signers": "signers",
		"builders": "strings", "sources": "strings", "source_refs": "strings",
		"production_secrets": "strings", "production_backends": "strings",
		"max_critical": "count", "max_scan_age_seconds": "count",
		"require_scan": "boolean", "require_protected_ref": "boolean",
		"require_secrets_provenance": "boolean", "deny_severity": "severity",
	},
	"pipeline": {
		"approval_jobs": "strings", "allowed_images": "strings", "allowed_actions": "strings",
		"allowed_orbs": "strings", "production_environments": "environments", "protected_branches": "strings",
	},
	"secrets": {"grants": "grants"},
	"kubernetes": {
		"allowed_images": "strings", "allowed_kinds": "strings",
		"allowed_volume_types": "strings", "allowed_csi_drivers": "strings",
		"allowed_argocd_projects": "strings", "allowed_argocd_repos": "strings",
		"allow_argocd_floating_revisions": "boolean", "allowed_ingress_urls": "strings",
		"allowed_ingress_collectors": "strings", "allowed_ingress_real_ip": "strings",
		"allow_argocd_source_overrides": "boolean", "allow_ingress_source_ranges": "boolean",
		"allow_argocd_project_credentials": "boolean", "allow_argocd_project_roles": "boolean",
		"control_plane_namespaces": "strings",
	},
	"terraform": {"deletable_types": "strings", "allowed_types": "strings", "allowed_providers": "strings"},
}

grant_schema := {
	"secret": "string", "repositories": "strings", "refs": "strings",
	"environments": "strings", "ids": "strings", "issuers": "strings", "repository_ids": "strings",
	"protected": "boolean", "environment_protected": "boolean",
}

# config_errors are the paths of data.ztci.config ("deploy.max_critical",
# "secrets.grants[0].refs") that hold a member the schema does not know or
# a value of another type, each with what was expected.
config_errors contains "data.ztci.config: not an object" if {
	data.ztci.config != null
	not is_object(data.ztci.config)
}

config_errors contains sprintf("%s: not a member the library reads", [k]) if {
	some k, _ in object_or_empty(data.ztci.config)
	not config_schema[k]
	k != "untrusted_triggers"
}

config_errors contains "untrusted_triggers: not a list of strings" if {
	not valid_value("strings", object.get(object_or_empty(data.ztci.config), "untrusted_triggers", null))
}

config_errors contains sprintf("%s: not an object", [section]) if {
	some section, v in object_or_empty(data.ztci.config)
	config_schema[section]
	v != null
	not is_object(v)
}

config_errors contains msg if {
	some section, members in object_or_empty(data.ztci.config)
	some key, v in object_or_empty(members)
	kind := object.get(config_schema, [section, key], null)
	not valid_member(kind, v)
	msg := sprintf("%s.%s: %s", [section, key, expected(kind)])
}

config_errors contains msg if {
	grants := object.get(object_or_empty(object.get(object_or_empty(data.ztci.config), "secrets", {})), "grants", [])
	is_array(grants)
	some i, g in grants
	is_object(g)
	some key, v in g
	kind := object.get(grant_schema, key, null)
	not valid_member(kind, v)
	msg := sprintf("secrets.grants[%d].%s: %s", [i, key, expected(kind)])
}

# A grant's member written null is refused: secrets.rego reads a member
# that is there ("issuers": null) as a list naming nothing, so the grant
# would cover no job although null reads as unset everywhere else. An
# operator who wrote it meant unset (any issuer) or meant none; either
# way the document does not say which, and LibraryConfig never writes
# one (it leaves a nil list out).
config_errors contains sprintf("secrets.grants[%d].%s: null; leave a grant's member out to leave it unset", [i, key]) if {
	some i, g in config_grants
	is_object(g)
	some key, v in g
	v == null
	grant_schema[key]
}

# config_globs are the glob patterns data.ztci.config holds, each as
# [path, pattern]: a grant's secret and refs, and production_secrets.
# glob.match fails on a pattern it cannot compile ("prod/{a", "refs/[",
# a trailing backslash), and that failure aborts every decision that
# reaches the pattern: undecided, not denied with a reason. Rego cannot
# compile a glob without that failure, so policy.Engine compiles each
# pattern when it loads a bundle and refuses one that does not compile
# (policy.ConfigError), as LibraryConfig.Validate does for the typed
# configuration. A vendor evaluating this library in an OPA of its own
# compiles them when it loads the bundle.
config_globs contains [sprintf("secrets.grants[%d].secret", [i]), g.secret] if {
	some i, g in config_grants
	is_object(g)
	is_string(g.secret)
}

config_globs contains [sprintf("secrets.grants[%d].refs[%d]", [i, j]), r] if {
	some i, g in config_grants
	is_object(g)
	refs := object.get(g, "refs", [])
	is_array(refs)
	some j, r in refs
	is_string(r)
}

config_globs contains [sprintf("deploy.production_secrets[%d]", [j]), p] if {
	ps := object.get(object_or_empty(object.get(object_or_empty(data.ztci.config), "deploy", {})), "production_secrets", [])
	is_array(ps)
	some j, p in ps
	is_string(p)
}

config_grants := gs if {
	gs := object.get(object_or_empty(object.get(object_or_empty(data.ztci.config), "secrets", {})), "grants", [])
	is_array(gs)
} else := []

# valid_member: a member the schema knows (kind) holding a value of its
# type. The message is built only for a member that is not.
valid_member(kind, v) if {
	kind != null
	valid_value(kind, v)
}

expected(null) := "not a member the library reads"

expected(kind) := sprintf("not %s", [kind_text[kind]]) if kind != null

kind_text := {
	"string": "a string", "strings": "a list of strings", "boolean": "a boolean",
	"count": "a whole number at least 0", "severity": `one of "critical", "high", "medium", "low" or ""`,
	"signers": `a list of {"san": string, "issuer": string}`, "grants": "a list of grant objects",
	"environments": "a non-empty list of plain environment names (ASCII letters and digits, space, \".\", \"_\", \"-\", \"/\", \":\")",
}

object_or_empty(x) := x if is_object(x)

else := {}

valid_value(_, null)

valid_value("string", v) if is_string(v)

valid_value("boolean", v) if is_boolean(v)

valid_value("count", v) if {
	is_number(v)
	v >= 0
	floor(v) == v
}

valid_value("severity", v) if v in {"", "critical", "high", "medium", "low"}

valid_value("strings", v) if {
	is_array(v)
	every x in v {
		is_string(x)
	}
}

# environments: production_environments as LibraryConfig.Validate
# accepts it. An empty list would exempt every job from the pipeline
# rules (no environment is production), and an entry that is not a plain
# name ("production-*") would be compared as written, not as the pattern
# it looks like: both are refused, not read.
valid_value("environments", v) if {
	is_array(v)
	count(v) > 0
	every x in v {
		is_string(x)
		x != ""
		regex.match(`^[A-Za-z0-9 _.:/-]*$`, trim_space(x))
	}
}

valid_value("signers", v) if {
	is_array(v)
	every s in v {
		is_object(s)
		is_string(object.get(s, "san", null))
		is_string(object.get(s, "issuer", null))
		count(object.keys(s) - {"san", "issuer"}) == 0
	}
}

valid_value("grants", v) if {
	is_array(v)
	every g in v {
		is_object(g)
	}
}
