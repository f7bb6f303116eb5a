# METADATA
# title: Terraform plan rules
# description: |
#   Rules on input.terraform_plan (`terraform show -json PLAN`): no deletes
#   of resource types not listed as deletable, no public S3 ACLs, no
#   security group open to the world.
#   Config (data.ztci.config.terraform): deletable_types ([]).
package ztci.terraform

import data.ztci.lib

changes := object.get(input, ["terraform_plan", "resource_changes"], [])

deletable := lib.config("terraform", "deletable_types", [])

violations contains v if {
	not input.terraform_plan
	v := {"rule": "terraform.missing_plan", "message": "a terraform.apply decision needs input.terraform_plan", "value": null}
}

violations contains v if {
	some rc in changes
	"delete" in rc.change.actions
	not deletable_change(rc)
	v := {
		"rule": "terraform.delete",
		"message": sprintf("the plan deletes %s, and %s is not a deletable type", [lib.show(rc, "address"), lib.show(rc, "type")]),
		"value": object.get(rc, "address", null),
	}
}

violations contains v if {
	some rc in changes
	rc.type in {"aws_s3_bucket_acl", "aws_s3_bucket"}
	rc.change.after.acl in {"public-read", "public-read-write", "authenticated-read"}
	v := {
		"rule": "terraform.public_bucket",
		"message": sprintf("%s grants the ACL %q", [lib.show(rc, "address"), rc.change.after.acl]),
		"value": object.get(rc, "address", null),
	}
}

violations contains v if {
	some rc in changes
	open_ingress(rc)
	v := {
		"rule": "terraform.open_ingress",
		"message": sprintf("%s allows ingress from anywhere (0.0.0.0/0 or ::/0)", [lib.show(rc, "address")]),
		"value": object.get(rc, "address", null),
	}
}

# deletable_change: negated with a bound argument only (see deploy.rego).
deletable_change(rc) if rc.type in deletable

world := {"0.0.0.0/0", "::/0"}

open_ingress(rc) if {
	rc.type == "aws_security_group"
	some rule in object.get(rc.change.after, "ingress", [])
	some cidr in array.concat(object.get(rule, "cidr_blocks", []), object.get(rule, "ipv6_cidr_blocks", []))
	cidr in world
}

open_ingress(rc) if {
	rc.type == "aws_security_group_rule"
	rc.change.after.type == "ingress"
	some cidr in array.concat(object.get(rc.change.after, "cidr_blocks", []), object.get(rc.change.after, "ipv6_cidr_blocks", []))
	cidr in world
}

open_ingress(rc) if {
	rc.type == "aws_vpc_security_group_ingress_rule"
	rc.change.after.cidr_ipv4 in world
}
