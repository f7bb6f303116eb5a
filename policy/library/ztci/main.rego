# METADATA
# title: ztci decision entrypoint
# description: |
#   data.ztci.main.decision dispatches on input.action to the rule sets of the
#   built-in library and denies an action it does not know. Configuration is
#   read from data.ztci.config (see policy/doc.go).
package ztci.main

import data.ztci.lib

actions := {
	"deploy": "ztci.deploy",
	"pipeline.run": "ztci.pipeline",
	"secrets.release": "ztci.secrets",
	"kubernetes.admit": "ztci.kubernetes",
	"terraform.apply": "ztci.terraform",
}

violations contains v if {
	input.action == "deploy"
	some v in data.ztci.deploy.violations
}

violations contains v if {
	input.action == "pipeline.run"
	some v in data.ztci.pipeline.violations
}

violations contains v if {
	input.action == "secrets.release"
	some v in data.ztci.secrets.violations
}

violations contains v if {
	input.action == "kubernetes.admit"
	some v in data.ztci.kubernetes.violations
}

violations contains v if {
	input.action == "terraform.apply"
	some v in data.ztci.terraform.violations
}

# known_action is a rule so that an undefined input.action makes it
# undefined, and its negation true (`not actions[input.action]` would be
# undefined, and the action silently allowed).
known_action if actions[input.action]

violations contains v if {
	not known_action
	v := {
		"rule": "ztci.unknown_action",
		"message": sprintf("action %q is not one the policy decides; use one of %v", [lib.show(input, "action"), sort(object.keys(actions))]),
		"value": action_value,
	}
}

# action_value is input.action for the violation's value; an input that is
# not an object (raw `opa eval` input) has none, and must be denied with a
# reason, not abort evaluation in object.get.
action_value := object.get(input, "action", null) if is_object(input)

else := null

decision := {"allow": count(violations) == 0, "violations": violations}
