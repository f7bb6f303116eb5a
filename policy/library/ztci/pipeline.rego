# METADATA
# title: pipeline configuration rules
# description: |
#   Rules on the pipeline configuration being run (input.pipeline):
#   production deploys only from protected refs, an approval job before
#   every production deploy, only pinned and allow-listed images, actions
#   and orbs, and no privileged jobs or steps.
#   Config (data.ztci.config.pipeline): production_environments
#   (["production"]), protected_branches (["main"]), approval_jobs ([]: any
#   job of type "approval"), allowed_images, allowed_actions, allowed_orbs
#   (prefixes; empty denies all).
package ztci.pipeline

import data.ztci.lib

prod_envs := lib.config("pipeline", "production_environments", ["production"])

protected_branches := lib.config("pipeline", "protected_branches", ["main"])

approval_names := lib.config("pipeline", "approval_jobs", [])

allowed_images := lib.config("pipeline", "allowed_images", [])

allowed_actions := lib.config("pipeline", "allowed_actions", [])

allowed_orbs := lib.config("pipeline", "allowed_orbs", [])

jobs := object.get(input, ["pipeline", "jobs"], [])

jobs_by_name := {j.name: j | some j in jobs}

requires_graph := {j.name: object.get(j, "requires", []) | some j in jobs}

prod_jobs contains j if {
	some j in jobs
	j.environment in prod_envs
}

violations contains v if {
	not input.pipeline
	v := {"rule": "pipeline.missing", "message": "a pipeline.run decision needs input.pipeline", "value": null}
}

violations contains v if {
	some j in prod_jobs
	count(object.get(j, "branches", [])) == 0
	v := {
		"rule": "pipeline.prod_unfiltered",
		"message": sprintf("job %q deploys to %q on every branch; restrict it to protected branches %v", [lib.show(j, "name"), lib.show(j, "environment"), protected_branches]),
		"value": object.get(j, "name", null),
	}
}

violations contains v if {
	some j in prod_jobs
	some b in object.get(j, "branches", [])
	not b in protected_branches
	v := {
		"rule": "pipeline.prod_unprotected_branch",
		"message": sprintf("job %q deploys to %q from branch %q, which is not protected", [lib.show(j, "name"), lib.show(j, "environment"), b]),
		"value": b,
	}
}

# approvals_before[name] are the approval jobs job name transitively requires.
approvals_before(name) := {a |
	some a in graph.reachable(requires_graph, [name])
	a != name
	object.get(jobs_by_name, [a, "type"], "") == "approval"
	approved_name(a)
}

approved_name(_) if count(approval_names) == 0

approved_name(a) if a in approval_names

violations contains v if {
	some j in prod_jobs
	count(approvals_before(j.name)) == 0
	v := {
		"rule": "pipeline.approval_missing",
		"message": sprintf("job %q deploys to %q without requiring an approval job first%s", [lib.show(j, "name"), lib.show(j, "environment"), approval_hint]),
		"value": object.get(j, "name", null),
	}
}

approval_hint := sprintf(" (one of %v)", [approval_names]) if count(approval_names) > 0
else := ""

images contains [lib.show(j, "name"), img] if {
	some j in jobs
	some img in object.get(j, "images", [])
}

images contains [lib.show(j, "name"), s.image] if {
	some j in jobs
	some s in object.get(j, "steps", [])
	s.image != ""
}

violations contains v if {
	some [job, img] in images
	not lib.pinned_digest(img)
	v := {
		"rule": "pipeline.image_not_pinned",
		"message": sprintf("job %q uses image %q, which is not pinned by digest (@sha256:…)", [job, img]),
		"value": img,
	}
}

violations contains v if {
	some [job, img] in images
	not lib.allowed_prefix(trim_prefix(img, "docker://"), allowed_images)
	v := {
		"rule": "pipeline.image_not_allowed",
		"message": sprintf("job %q uses image %q, which is not on the allow-list", [job, img]),
		"value": img,
	}
}

actions contains [lib.show(j, "name"), s.uses] if {
	some j in jobs
	some s in object.get(j, "steps", [])
	s.uses != ""
	not startswith(s.uses, "./") # local actions are part of the reviewed repository
	not startswith(s.uses, "docker://")
}

violations contains v if {
	some [job, uses] in actions
	not lib.pinned_commit(uses)
	v := {
		"rule": "pipeline.action_not_pinned",
		"message": sprintf("job %q uses %q, which is not pinned to a full commit SHA", [job, uses]),
		"value": uses,
	}
}

violations contains v if {
	some [job, uses] in actions
	not lib.allowed_prefix(uses, allowed_actions)
	v := {
		"rule": "pipeline.action_not_allowed",
		"message": sprintf("job %q uses %q, which is not on the allow-list", [job, uses]),
		"value": uses,
	}
}

violations contains v if {
	some orb in object.get(input, ["pipeline", "uses"], [])
	not regex.match(`@[0-9]+\.[0-9]+\.[0-9]+$`, orb)
	v := {
		"rule": "pipeline.orb_not_pinned",
		"message": sprintf("orb %q is not pinned to an exact version (name@x.y.z)", [orb]),
		"value": orb,
	}
}

violations contains v if {
	some orb in object.get(input, ["pipeline", "uses"], [])
	not lib.allowed_prefix(orb, allowed_orbs)
	v := {
		"rule": "pipeline.orb_not_allowed",
		"message": sprintf("orb %q is not on the allow-list", [orb]),
		"value": orb,
	}
}

violations contains v if {
	some j in jobs
	j.privileged
	v := {
		"rule": "pipeline.privileged",
		"message": sprintf("job %q runs privileged", [lib.show(j, "name")]),
		"value": object.get(j, "name", null),
	}
}

violations contains v if {
	some j in jobs
	some s in object.get(j, "steps", [])
	s.privileged
	v := {
		"rule": "pipeline.privileged",
		"message": sprintf("step %q of job %q runs privileged", [lib.show(s, "name"), lib.show(j, "name")]),
		"value": sprintf("%s/%s", [lib.show(j, "name"), lib.show(s, "name")]),
	}
}
