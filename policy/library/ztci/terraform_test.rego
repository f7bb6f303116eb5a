package ztci.terraform_test

import data.ztci.main

plan(changes) := {"action": "terraform.apply", "terraform_plan": {"format_version": "1.2", "resource_changes": changes}}

rules(doc, cfg) := {v.rule | some v in main.violations with input as doc with data.ztci.config as cfg}

create_bucket := {"address": "aws_s3_bucket.logs", "type": "aws_s3_bucket", "change": {"actions": ["create"], "after": {"bucket": "logs"}}}

test_create_allowed if {
	rules(plan([create_bucket]), {}) == set()
}

test_delete_denied if {
	del := {"address": "aws_db_instance.main", "type": "aws_db_instance", "change": {"actions": ["delete"], "after": null}}
	rules(plan([del]), {}) == {"terraform.delete"}
	rules(plan([del]), {"terraform": {"deletable_types": ["aws_db_instance"]}}) == set()
}

test_replace_counts_as_delete if {
	rep := {"address": "aws_instance.web", "type": "aws_instance", "change": {"actions": ["delete", "create"], "after": {}}}
	rules(plan([rep]), {}) == {"terraform.delete"}
}

test_public_bucket_acl if {
	acl := {"address": "aws_s3_bucket_acl.logs", "type": "aws_s3_bucket_acl", "change": {"actions": ["create"], "after": {"acl": "public-read"}}}
	rules(plan([acl]), {}) == {"terraform.public_bucket"}
}

test_open_security_group if {
	sg := {"address": "aws_security_group.web", "type": "aws_security_group", "change": {"actions": ["update"], "after": {"ingress": [{"from_port": 22, "cidr_blocks": ["10.0.0.0/8", "0.0.0.0/0"]}]}}}
	rules(plan([sg]), {}) == {"terraform.open_ingress"}
}

test_open_ingress_rule_v6 if {
	r := {"address": "aws_vpc_security_group_ingress_rule.ssh", "type": "aws_vpc_security_group_ingress_rule", "change": {"actions": ["create"], "after": {"cidr_ipv4": "0.0.0.0/0"}}}
	rules(plan([r]), {}) == {"terraform.open_ingress"}
}

test_missing_plan if {
	rules({"action": "terraform.apply"}, {}) == {"terraform.missing_plan"}
}
