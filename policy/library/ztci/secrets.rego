# METADATA
# title: secret release rules
# description: |
#   Which identity on which ref may receive which secret. Each requested
#   secret must be granted by an entry of data.ztci.config.secrets.grants:
#   {"secret": name or glob, "repositories": [...], "refs": [globs],
#   "environments": [...] (optional), "protected": bool (default true),
#   "ids": [...] (optional exact identity ids)}.
package ztci.secrets

import data.ztci.lib

grants := object.get(data.ztci.config, ["secrets", "grants"], [])

names := object.get(input, ["secrets", "names"], [])

violations contains v if {
	object.get(input, ["job", "id"], "") == ""
	v := {"rule": "secrets.anonymous", "message": "secrets are released only to an identified job", "value": null}
}

violations contains v if {
	count(names) == 0
	v := {"rule": "secrets.empty_request", "message": "the request names no secret", "value": null}
}

violations contains v if {
	some name in names
	not granted(name)
	v := {
		"rule": "secrets.not_granted",
		"message": sprintf("no grant gives secret %q to %s on %s (protected: %v)", [name, lib.show(input, ["job", "repository"]), lib.show(input, ["job", "ref"]), object.get(input, ["job", "protected"], false)]),
		"value": name,
	}
}

granted(name) if {
	some g in grants
	glob.match(g.secret, ["/"], name)
	input.job.repository in g.repositories
	some r in g.refs
	glob.match(r, ["/"], input.job.ref)
	protected_ok(g)
	environment_ok(g)
	id_ok(g)
}

protected_ok(g) if not object.get(g, "protected", true)

protected_ok(_) if input.job.protected

environment_ok(g) if not "environments" in object.keys(g)

environment_ok(g) if input.job.environment in g.environments

id_ok(g) if not "ids" in object.keys(g)

id_ok(g) if input.job.id in g.ids
