# METADATA
# title: pipeline configuration rules
# description: |
#   Rules on the pipeline configuration being run (input.pipeline):
#   production deploys only from protected refs, an approval job before
#   every production deploy, only pinned and allow-listed images (a step's
#   "docker://" uses included), actions and orbs (no "." or ".." path
#   segment; a local "./" action may not leave the repository; a pin is
#   the whole ref after the only "@", of a name that is printable ASCII
#   without "%", "?" or "#" (lib.plain_ref_name); a pipeline-level unit,
#   an orb or a GitLab include, is pinned by a commit SHA, or on CircleCI
#   by an exact orb version), no step calling a reusable workflow
#   (pipeline.workflow_unjudged), and no privileged jobs or steps.
#   Config (data.ztci.config.pipeline): production_environments
#   (["production"]), protected_branches (["main"]), approval_jobs ([]: any
#   job of type "approval"), allowed_images, allowed_actions, allowed_orbs
#   (prefixes, matched at a "/", ":" or "@" boundary: lib.allowed_prefix;
#   images and image prefixes read as Docker reads them, "alpine" not
#   covering "alpine/git", and an image naming a registry host only by a
#   prefix naming that host whole: lib.allowed_image; empty denies all).
#   Deny by default: a missing or malformed pipeline (not an object, no
#   jobs, a job that is not an object or has no name, two jobs with one
#   name, a job without a string type and environment, a list field that
#   is not a list of strings, a privileged flag that is not a boolean, a
#   member the rules do not read or spelled in another case) is denied,
#   and so is a pipeline carrying the platform's raw document, which
#   the rules do not judge (pipeline.raw_unjudged).
#   Environments are compared case-insensitively and without surrounding
#   whitespace (CI platforms treat "Production" and "production" as one
#   environment); one named by an expression or a variable, or any name
#   that is not plain, is judged as production.
package ztci.pipeline

import data.ztci.lib

prod_envs := lib.config("pipeline", "production_environments", ["production"])

protected_branches := lib.config("pipeline", "protected_branches", ["main"])

approval_names := lib.config("pipeline", "approval_jobs", [])

allowed_images := lib.config("pipeline", "allowed_images", [])

allowed_actions := lib.config("pipeline", "allowed_actions", [])

allowed_orbs := lib.config("pipeline", "allowed_orbs", [])

pipeline := object.get(input, "pipeline", null)

raw_jobs := object.get(pipeline, "jobs", []) if is_object(pipeline)

else := []

# jobs are the well-formed jobs (objects with a non-empty string name);
# the others are reported as pipeline.malformed and judged by no rule.
jobs := [j | is_array(raw_jobs); some j in raw_jobs; named(j)]

named(j) if {
	is_object(j)
	is_string(j.name)
	j.name != ""
}

duplicate_names := {j.name |
	some i, j in jobs
	some k, other in jobs
	i < k
	other.name == j.name
}

jobs_by_name := {j.name: j | some j in jobs; not j.name in duplicate_names}

requires_graph := {j.name: reqs | some j in jobs; not j.name in duplicate_names; reqs := strings_or_empty(j, "requires")}

strings_or_empty(x, key) := xs if {
	xs := object.get(x, key, [])
	string_list(xs)
} else := []

string_list(xs) if {
	is_array(xs)
	every x in xs {
		is_string(x)
	}
}

# Environments compare without case and surrounding whitespace:
# "production " must not escape the rules "production" gets.
prod_lower := {lower(trim_space(e)) | some e in prod_envs; is_string(e)}

prod_jobs contains j if {
	some j in jobs
	env := object.get(j, "environment", "")
	is_string(env)
	lower(trim_space(env)) in prod_lower
}

# An environment named by an expression or a variable ("${{ inputs.env }}",
# "$DEPLOY_ENV", "<< pipeline.parameters.env >>", "{{ env }}") is chosen
# when the job runs, production included: it is judged as production. So
# is any name that is not plain (ASCII letters and digits, space, ".",
# "_", "-", "/", ":"): each CI platform has its own expression syntax
# (Harness "<+pipeline.variables.env>", Concourse "((env))", GoCD
# "#{env}", TeamCity "%env.name%"), and a list of the known ones would
# miss the next; and a platform that looks environments up without case
# or accents, as a database collation does, finds "production" under
# "prödúction" or "PRODUCTİON", which lower() does not fold.
prod_jobs contains j if {
	some j in jobs
	env := object.get(j, "environment", "")
	is_string(env)
	not regex.match(`^[A-Za-z0-9 _.:/-]*$`, trim_space(env))
}

violations contains v if {
	pipeline == null
	v := {"rule": "pipeline.missing", "message": "a pipeline.run decision needs input.pipeline", "value": null}
}

violations contains v if {
	some why in malformed
	v := {"rule": "pipeline.malformed", "message": why, "value": null}
}

malformed contains sprintf("input.pipeline must be an object, not a %s", [type_name(pipeline)]) if {
	pipeline != null
	not is_object(pipeline)
}

malformed contains "input.pipeline.jobs must be a non-empty list of jobs" if {
	is_object(pipeline)
	not non_empty_list(raw_jobs)
}

non_empty_list(xs) if {
	is_array(xs)
	count(xs) > 0
}

malformed contains sprintf("input.pipeline.uses must be a list of strings, not %s", [lib.printable(pipeline.uses)]) if {
	is_object(pipeline)
	not string_list(object.get(pipeline, "uses", []))
}

malformed contains sprintf("job %d is not an object with a non-empty string name", [i]) if {
	is_array(raw_jobs)
	some i, j in raw_jobs
	not named(j)
}

malformed contains sprintf("two jobs are named %q", [n]) if some n in duplicate_names

# The members each object may have: those of policy.Pipeline, PipelineJob
# and Step. A member the rules do not read is one they cannot judge (a
# job-level reusable workflow call, a container or services image, a run
# script), and one spelled in another case ("Environment", "Privileged")
# would hide what it says behind the spelling the rules read: both are
# malformed, not ignored.
pipeline_members := {"platform", "path", "uses", "jobs", "raw"}

job_members := {"name", "type", "environment", "privileged", "requires", "branches", "images", "steps"}

step_members := {"name", "uses", "image", "privileged"}

malformed contains sprintf("input.pipeline: %q is not a member the rules read (%v)", [k, sort(pipeline_members)]) if {
	is_object(pipeline)
	some k in object.keys(pipeline)
	not k in pipeline_members
}

# raw (policy.Pipeline.Raw) is the platform's own configuration
# document, which the caller may pass beside the normalized jobs for
# rules of its own. These rules judge only the normalized jobs, and
# cannot tell whether they say everything raw says: a converter that
# drops what it does not model (a job-level reusable workflow, a
# container, a run script interpolating ${{ github.event.* }},
# permissions: write-all, secrets: inherit, another job) would leave the
# jobs clean while raw, the document the platform runs, is not. Judging
# raw would mean reading every platform's format (GitHub Actions,
# GitLab CI, CircleCI...) as that platform does, and comparing it with
# the jobs would need the same. So a pipeline that carries a non-empty
# raw document is denied (pipeline.raw_unjudged), under its own rule id
# so that a policy of the caller's that does judge raw can set exactly
# this violation aside; null or {} carries nothing.
violations contains v if {
	is_object(pipeline)
	raw := object.get(pipeline, "raw", null)
	not raw in {null, {}}
	v := {
		"rule": "pipeline.raw_unjudged",
		"message": "input.pipeline.raw holds the platform's own configuration, which these rules do not judge and cannot compare with the normalized jobs; leave it out, or judge it with a policy of your own",
		"value": null,
	}
}

malformed contains sprintf("job %q: %q is not a member the rules read (%v)", [j.name, k, sort(job_members)]) if {
	some j in jobs
	some k in object.keys(j)
	not k in job_members
}

malformed contains sprintf("job %q: step %d: %q is not a member the rules read (%v)", [j.name, i, k, sort(step_members)]) if {
	some j in jobs
	some i, s in steps_of(j)
	some k in object.keys(s)
	not k in step_members
}

malformed contains sprintf("job %q: %s must be a string", [j.name, f]) if {
	some j in jobs
	some f in ["type", "environment"]
	not is_string(object.get(j, f, null))
}

malformed contains sprintf("job %q: privileged must be a boolean", [j.name]) if {
	some j in jobs
	not is_boolean(object.get(j, "privileged", null))
}

malformed contains sprintf("job %q: step %d: privileged must be a boolean", [j.name, i]) if {
	some j in jobs
	some i, s in steps_of(j)
	not is_boolean(object.get(s, "privileged", null))
}

malformed contains sprintf("job %q: %s must be a list of strings", [j.name, f]) if {
	some j in jobs
	some f in ["requires", "branches", "images"]
	not string_list(object.get(j, f, []))
}

malformed contains sprintf("job %q: steps must be a list of objects", [j.name]) if {
	some j in jobs
	steps := object.get(j, "steps", [])
	not object_list(steps)
}

object_list(xs) if {
	is_array(xs)
	every x in xs {
		is_object(x)
	}
}

malformed contains sprintf("job %q: step %d: %s must be a string", [j.name, i, f]) if {
	some j in jobs
	some i, s in steps_of(j)
	some f in ["name", "uses", "image"]
	not is_string(object.get(s, f, ""))
}

# steps_of(j) are j's steps that are objects.
steps_of(j) := [s | steps := object.get(j, "steps", []); is_array(steps); some s in steps; is_object(s)]

violations contains v if {
	some j in prod_jobs
	count(strings_or_empty(j, "branches")) == 0
	v := {
		"rule": "pipeline.prod_unfiltered",
		"message": sprintf("job %q deploys to %q on every branch; restrict it to protected branches %v", [lib.show(j, "name"), lib.show(j, "environment"), protected_branches]),
		"value": object.get(j, "name", null),
	}
}

violations contains v if {
	some j in prod_jobs
	some b in strings_or_empty(j, "branches")
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

orbs := strings_or_empty(pipeline, "uses") if is_object(pipeline)

else := []

approval_hint := sprintf(" (one of %v)", [approval_names]) if count(approval_names) > 0

else := ""

images contains [j.name, img] if {
	some j in jobs
	some img in strings_or_empty(j, "images")
}

images contains [j.name, s.image] if {
	some j in jobs
	some s in steps_of(j)
	is_string(s.image)
	s.image != ""
}

# A step that uses "docker://<image>" runs that image: it is judged as an
# image (pinned, allow-listed), not let through as neither image nor action.
images contains [j.name, s.uses] if {
	some j in jobs
	some s in steps_of(j)
	is_string(s.uses)
	startswith(s.uses, "docker://")
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
	not image_allowed(trim_prefix(img, "docker://"))
	v := {
		"rule": "pipeline.image_not_allowed",
		"message": sprintf("job %q uses image %q, which is not on the allow-list", [job, img]),
		"value": img,
	}
}

actions contains [j.name, s.uses] if {
	some j in jobs
	some s in steps_of(j)
	is_string(s.uses)
	s.uses != ""
	not local_action(s.uses) # local actions are part of the reviewed repository
	not startswith(s.uses, "docker://")
}

# local_action: "./path" inside the repository. A ".." segment can leave
# it ("./../other"), so such a reference is judged as a remote action.
local_action(uses) if {
	startswith(uses, "./")
	not dot_segment(uses)
}

# dot_segment: a "." or ".." path segment after the first one, or a
# backslash (a separator on Windows runners).
dot_segment(ref) if {
	segs := split(split(ref, "@")[0], "/")
	some seg in array.slice(segs, 1, count(segs))
	seg in {".", ".."}
}

dot_segment(ref) if contains(ref, `\`)

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
	not allowed_ref(uses, allowed_actions)
	v := {
		"rule": "pipeline.action_not_allowed",
		"message": sprintf("job %q uses %q, which is not on the allow-list", [job, uses]),
		"value": uses,
	}
}

# allowed_ref: ref is under one of the allow-listed prefixes
# (lib.allowed_prefix) and stays there: a prefix covers what lies under
# it, not what a "." or ".." segment climbs out to, for actions
# ("actions/checkout/../../evil/x@<sha>"), orbs and includes
# ("circleci/../evil/node@1.0.0") and images alike.
allowed_ref(ref, prefixes) if {
	lib.allowed_prefix(ref, prefixes)
	not dot_segment(ref)
}

# image_allowed: an image is under an allow-listed prefix, both read as
# Docker reads them, that covers the registry it names whole
# (lib.allowed_image: "alpine" does not cover "alpine/git", nor
# "alpine:5000/evil/app", the registry at host alpine) and stays there
# (no "." or ".." segment, as allowed_ref).
image_allowed(ref) if {
	lib.allowed_image(ref, allowed_images)
	not dot_segment(ref)
}

# A reusable workflow ("owner/repo/.github/workflows/deploy.yml@<sha>",
# or "./.github/workflows/deploy.yml" in the repository) is a pipeline of
# its own: its jobs, their environments, images and approvals are not in
# the jobs these rules judge, and a local one would pass as a local
# action. A step that calls one is denied (its jobs belong in the
# pipeline's jobs), whatever its pin or the allow-list say. GitHub finds
# reusable workflows only in .github/workflows; other spellings of the
# path (another case, "//") are denied with them, not trusted to name
# something else.
violations contains v if {
	some j in jobs
	some s in steps_of(j)
	is_string(s.uses)
	regex.match(`(?i)(^|/)\.github/+workflows(/|@|$)`, s.uses)
	v := {
		"rule": "pipeline.workflow_unjudged",
		"message": sprintf("job %q calls the reusable workflow %q, whose jobs these rules do not see; list its jobs in the pipeline instead", [j.name, s.uses]),
		"value": s.uses,
	}
}

# A pipeline-level unit (input.pipeline.uses) is pinned when nothing can
# change what its name and pin fetch: a full commit SHA, the whole ref
# after its only "@" (a GitLab include's or component's commit), or, on
# CircleCI, an exact orb version, which the orb registry never publishes
# twice. Anywhere else "@1.2.3" is a git tag its project can move: a
# GitLab CI/CD component "@1.2.3" is one.
unit_pinned(u) if lib.pinned_commit(u)

unit_pinned(u) if {
	on_circleci
	regex.match(`^[^@]+@[0-9]+\.[0-9]+\.[0-9]+$`, u)
	lib.plain_ref_name(u)
}

# on_circleci: the platform is CircleCI, spelled exactly as ztci spells
# it (identity/claims.PlatformCircleCI). A version tag counts as a pin
# only there; another spelling ("CircleCI", "circleci ") relaxes nothing,
# as a vendor's platform name that merely contains or resembles it may be
# a system whose "@1.2.3" is a movable git tag.
on_circleci if {
	is_object(pipeline)
	object.get(pipeline, "platform", null) == "circleci"
}

unit_pin_hint := "name@x.y.z, or name@<commit sha>" if on_circleci

else := `name@<commit sha>; a version tag counts as a pin only on platform "circleci", spelled exactly so` if {
	is_object(pipeline)
	p := object.get(pipeline, "platform", null)
	is_string(p)
	lower(trim_space(p)) == "circleci"
} else := "name@<commit sha>; a version tag can be moved"

violations contains v if {
	some orb in orbs
	not unit_pinned(orb)
	v := {
		"rule": "pipeline.orb_not_pinned",
		"message": sprintf("orb or include %q is not pinned (%s)", [orb, unit_pin_hint]),
		"value": orb,
	}
}

violations contains v if {
	some orb in orbs
	not allowed_ref(orb, allowed_orbs)
	v := {
		"rule": "pipeline.orb_not_allowed",
		"message": sprintf("orb %q is not on the allow-list", [orb]),
		"value": orb,
	}
}

violations contains v if {
	some j in jobs
	not lib.absent_or_false(j, "privileged")
	v := {
		"rule": "pipeline.privileged",
		"message": sprintf("job %q runs privileged", [lib.show(j, "name")]),
		"value": object.get(j, "name", null),
	}
}

violations contains v if {
	some j in jobs
	some s in steps_of(j)
	not lib.absent_or_false(s, "privileged")
	v := {
		"rule": "pipeline.privileged",
		"message": sprintf("step %q of job %q runs privileged", [lib.show(s, "name"), lib.show(j, "name")]),
		"value": sprintf("%s/%s", [lib.show(j, "name"), lib.show(s, "name")]),
	}
}
