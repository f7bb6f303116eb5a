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
	rules(plan([rep]), {"terraform": {"allowed_types": ["aws_instance"]}}) == {"terraform.delete"}
	rules(plan([rep]), {}) == {"terraform.delete", "terraform.unknown_type"}
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

rc(type, after) := {"address": concat(".", [type, "x"]), "type": type, "change": {"actions": ["create"], "after": after}}

test_missing_and_malformed_plan if {
	every doc in [
		{"action": "terraform.apply", "terraform_plan": null},
		{"action": "terraform.apply", "terraform_plan": "plan"},
		{"action": "terraform.apply", "terraform_plan": []},
		{"action": "terraform.apply", "terraform_plan": {}},
		{"action": "terraform.apply", "terraform_plan": {"resource_changes": []}},
		{"action": "terraform.apply", "terraform_plan": {"format_version": "", "resource_changes": []}},
		{"action": "terraform.apply", "terraform_plan": {"format_version": "1.2", "resource_changes": {"a": create_bucket}}},
		{"action": "terraform.apply", "terraform_plan": {"format_version": "1.2", "resource_changes": "x"}},
	] {
		count(rules(doc, {})) > 0
	}
	rules({"action": "terraform.apply", "terraform_plan": {"format_version": "1.2"}}, {}) == set()
}

test_malformed_change_denied if {
	every bad in [
		null, "x", 1, [create_bucket],
		json.remove(create_bucket, ["type"]),
		json.patch(create_bucket, [{"op": "replace", "path": "/type", "value": ["aws_s3_bucket"]}]),
		json.remove(create_bucket, ["change"]),
		json.patch(create_bucket, [{"op": "replace", "path": "/change/actions", "value": "create"}]),
		json.patch(create_bucket, [{"op": "replace", "path": "/change/actions", "value": [1]}]),
		json.patch(create_bucket, [{"op": "replace", "path": "/change/after", "value": "x"}]),
	] {
		"terraform.malformed" in rules(plan([create_bucket, bad]), {})
	}
}

test_unknown_type_denied_unless_allowed if {
	lambda := rc("aws_lambda_function", {"function_name": "f"})
	rules(plan([lambda]), {}) == {"terraform.unknown_type"}
	rules(plan([lambda]), {"terraform": {"allowed_types": ["aws_lambda_function"]}}) == set()
	noop := json.patch(lambda, [{"op": "replace", "path": "/change/actions", "value": ["no-op"]}])
	rules(plan([noop]), {}) == set()
	read := {"address": "data.aws_iam_policy_document.x", "mode": "data", "type": "aws_iam_policy_document", "change": {"actions": ["read"], "after": {}}}
	rules(plan([read]), {}) == set()
}

test_open_ingress_every_type_and_family if {
	every r in [
		rc("aws_security_group", {"ingress": [{"cidr_blocks": ["0.0.0.0/0"]}]}),
		rc("aws_security_group", {"ingress": [{"cidr_blocks": [], "ipv6_cidr_blocks": ["::/0"]}]}),
		rc("aws_security_group", {"ingress": [{"cidr_blocks": ["0.0.0.0/1", "128.0.0.0/1"]}]}),
		rc("aws_security_group", {"ingress": [{"cidr_blocks": ["1.2.3.4/0"]}]}),
		rc("aws_security_group", {"ingress": [{"ipv6_cidr_blocks": ["0::0/0"]}]}),
		rc("aws_security_group", {"ingress": [{"cidr_blocks": "0.0.0.0/0"}]}),
		rc("aws_security_group", {"ingress": [{"cidr_blocks": ["not a cidr"]}]}),
		rc("aws_security_group", {"ingress": {"cidr_blocks": ["10.0.0.0/8"]}}),
		rc("aws_security_group", {"ingress": ["0.0.0.0/0"]}),
		rc("aws_security_group_rule", {"type": "ingress", "cidr_blocks": ["0.0.0.0/0"]}),
		rc("aws_security_group_rule", {"type": "ingress", "ipv6_cidr_blocks": ["::/0"]}),
		rc("aws_security_group_rule", {"type": "INGRESS", "ipv6_cidr_blocks": ["::/0"]}),
		rc("aws_security_group_rule", {"cidr_blocks": ["0.0.0.0/0"]}),
		rc("aws_vpc_security_group_ingress_rule", {"cidr_ipv4": "0.0.0.0/0"}),
		rc("aws_vpc_security_group_ingress_rule", {"cidr_ipv6": "::/0"}),
		rc("aws_vpc_security_group_ingress_rule", {"cidr_ipv6": 0}),
		rc("google_compute_firewall", {"direction": "INGRESS", "allow": [{"protocol": "tcp"}], "source_ranges": ["0.0.0.0/0"]}),
		rc("google_compute_firewall", {"allow": [{"protocol": "tcp"}], "source_ranges": ["::/0"]}),
		rc("google_compute_firewall", {"allow": [{"protocol": "tcp"}]}),
		rc("google_compute_firewall", {"allow": [{"protocol": "tcp"}], "source_ranges": [], "disabled": "true"}),
		rc("azurerm_network_security_rule", {"direction": "Inbound", "access": "Allow", "source_address_prefix": "*"}),
		rc("azurerm_network_security_rule", {"direction": "Inbound", "access": "Allow", "source_address_prefix": "Internet"}),
		rc("azurerm_network_security_rule", {"direction": "inbound", "access": "allow", "source_address_prefixes": ["10.0.0.0/8", "0.0.0.0/0"]}),
		rc("azurerm_network_security_rule", {"direction": "Inbound", "access": "Allow", "source_address_prefixes": ["::/0"]}),
		rc("azurerm_network_security_group", {"security_rule": [{"direction": "Inbound", "access": "Allow", "source_address_prefix": "Any"}]}),
		rc("azurerm_network_security_group", {"security_rule": "x"}),
		rc("azurerm_network_security_rule", {"direction": "Inbound", "access": "Allow", "source_address_prefix": "AzureCloud"}),
		rc("azurerm_network_security_rule", {"direction": "Inbound", "access": "Allow", "source_address_prefix": "0.0.0.0"}),
		rc("azurerm_network_security_rule", {"direction": 1, "access": ["Allow"], "source_address_prefix": "*"}),
		rc("azurerm_network_security_rule", {"direction": "Inbound", "access": "Allow", "source_address_prefix": ["10.0.0.0/8"]}),
		rc("google_compute_firewall", {"direction": ["EGRESS"], "allow": [{"protocol": "tcp"}], "source_ranges": ["0.0.0.0/0"]}),
		rc("aws_vpc_security_group_ingress_rule", {"cidr_ipv4": ["10.0.0.0/8"]}),
	] {
		rules(plan([r]), {}) == {"terraform.open_ingress"}
	}
}

test_closed_ingress_allowed if {
	every r in [
		rc("aws_security_group", {"ingress": [{"cidr_blocks": ["10.0.0.0/8"], "ipv6_cidr_blocks": ["fd00::/8"]}]}),
		rc("aws_security_group", {"ingress": []}),
		rc("aws_security_group_rule", {"type": "egress", "cidr_blocks": ["0.0.0.0/0"]}),
		rc("aws_vpc_security_group_ingress_rule", {"cidr_ipv4": "10.0.0.0/8", "cidr_ipv6": null}),
		rc("aws_vpc_security_group_egress_rule", {"cidr_ipv4": "0.0.0.0/0"}),
		rc("google_compute_firewall", {"direction": "EGRESS", "allow": [{"protocol": "tcp"}]}),
		rc("google_compute_firewall", {"allow": [{"protocol": "tcp"}], "source_tags": ["web"]}),
		rc("google_compute_firewall", {"deny": [{"protocol": "tcp"}], "source_ranges": ["0.0.0.0/0"]}),
		rc("azurerm_network_security_rule", {"direction": "Inbound", "access": "Deny", "source_address_prefix": "*"}),
		rc("azurerm_network_security_rule", {"direction": "Outbound", "access": "Allow", "source_address_prefix": "*"}),
		rc("azurerm_network_security_rule", {"direction": "Inbound", "access": "Allow", "source_address_prefix": "VirtualNetwork"}),
		rc("azurerm_network_security_rule", {"direction": "Inbound", "access": "Allow", "source_address_prefix": "10.0.0.1"}),
		rc("azurerm_network_security_rule", {"direction": "Inbound", "access": "Allow", "source_address_prefix": "", "source_address_prefixes": ["10.0.0.0/8", "fd00::/8"]}),
	] {
		rules(plan([r]), {}) == set()
	}
}

test_unknown_value_denied if {
	r := {"address": "aws_security_group_rule.x", "type": "aws_security_group_rule", "change": {"actions": ["create"], "after": {"type": "ingress"}, "after_unknown": {"cidr_blocks": true}}}
	rules(plan([r]), {}) == {"terraform.unknown_value"}
	nested := {"address": "aws_security_group.x", "type": "aws_security_group", "change": {"actions": ["update"], "after": {"ingress": [{"cidr_blocks": ["10.0.0.0/8"]}]}, "after_unknown": {"ingress": [{"cidr_blocks": [true]}]}}}
	rules(plan([nested]), {}) == {"terraform.unknown_value"}
}

test_public_bucket_variants if {
	every r in [
		rc("aws_s3_bucket", {"acl": "public-read-write"}),
		rc("aws_s3_bucket", {"acl": ["public-read"]}),
		rc("aws_s3_bucket_acl", {"access_control_policy": [{"grant": [{"grantee": [{"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"}], "permission": "READ"}]}]}),
	] {
		rules(plan([r]), {}) == {"terraform.public_bucket"}
	}
	rules(plan([rc("aws_s3_bucket_acl", {"acl": "private"})]), {}) == set()
}

# net.cidr_merge holds IPv4 as IPv4-mapped IPv6: a wide IPv6 CIDR next to
# 0.0.0.0/0 swallowed it ([0.0.0.0/0, ::/1] merged to [::/1]) and the
# world-open IPv4 rule was allowed. Each family is merged on its own.
test_open_ipv4_not_hidden_by_wide_ipv6 if {
	every r in [
		rc("aws_security_group_rule", {"type": "ingress", "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": ["::/1"]}),
		rc("aws_security_group_rule", {"type": "ingress", "cidr_blocks": ["0.0.0.0/1", "128.0.0.0/1"], "ipv6_cidr_blocks": ["::/8"]}),
		rc("aws_security_group", {"ingress": [{"cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": ["::/1"]}]}),
		rc("aws_vpc_security_group_ingress_rule", {"cidr_ipv4": "0.0.0.0/0", "cidr_ipv6": "::/1"}),
		rc("google_compute_firewall", {"direction": "INGRESS", "allow": [{"protocol": "tcp"}], "source_ranges": ["0.0.0.0/0", "::/1"]}),
		rc("aws_security_group_rule", {"type": "ingress", "ipv6_cidr_blocks": ["::ffff:0.0.0.0/96", "::/1"]}),
	] {
		rules(plan([r]), {}) == {"terraform.open_ingress"}
	}
	rules(plan([rc("aws_security_group_rule", {"type": "ingress", "cidr_blocks": ["10.0.0.0/8"], "ipv6_cidr_blocks": ["2001:db8::/32"]})]), {}) == set()
}

# CIDRs of several rules of one resource that together cover the world,
# and Azure prefix lists that merge to /0.
test_open_ingress_across_rules_of_one_resource if {
	every r in [
		rc("aws_security_group", {"ingress": [{"cidr_blocks": ["0.0.0.0/1"]}, {"cidr_blocks": ["128.0.0.0/1"]}]}),
		rc("azurerm_network_security_rule", {"direction": "Inbound", "access": "Allow", "source_address_prefix": "", "source_address_prefixes": ["0.0.0.0/1", "128.0.0.0/1"]}),
		rc("azurerm_network_security_group", {"security_rule": [
			{"direction": "Inbound", "access": "Allow", "source_address_prefix": "0.0.0.0/1"},
			{"direction": "Inbound", "access": "Allow", "source_address_prefix": "128.0.0.0/1"},
		]}),
	] {
		rules(plan([r]), {}) == {"terraform.open_ingress"}
	}

	# An outbound or deny rule does not add to what inbound allows.
	rules(
		plan([rc("azurerm_network_security_group", {"security_rule": [
			{"direction": "Inbound", "access": "Allow", "source_address_prefix": "0.0.0.0/1"},
			{"direction": "Inbound", "access": "Deny", "source_address_prefix": "128.0.0.0/1"},
		]})]),
		{},
	) == set()
}

# The unspecified address in every spelling, and a rule with no source.
test_azure_unspecified_and_missing_source_open if {
	every p in ["0::", "::0", "0:0:0:0:0:0:0:0", "::ffff:0.0.0.0", "0.0.0.0/32", "::/128"] {
		rules(plan([rc("azurerm_network_security_rule", {"direction": "Inbound", "access": "Allow", "source_address_prefix": p})]), {}) == {"terraform.open_ingress"}
	}
	every r in [
		{"direction": "Inbound", "access": "Allow"},
		{"direction": "Inbound", "access": "Allow", "source_address_prefix": "", "source_address_prefixes": []},
	] {
		rules(plan([rc("azurerm_network_security_rule", r)]), {}) == {"terraform.open_ingress"}
	}
	rules(plan([rc("azurerm_network_security_rule", {"direction": "Inbound", "access": "Allow", "source_address_prefix": "", "source_application_security_group_ids": ["asg"]})]), {}) == set()
	rules(plan([rc("azurerm_network_security_group", {"security_rule": ["x"]})]), {}) == {"terraform.open_ingress"}
}

# after_unknown that is not an object is malformed (it used to abort
# evaluation with a type error); deleting a security rule opens nothing.
test_after_unknown_shape_and_delete if {
	every u in [true, [true], "x"] {
		r := {"address": "aws_security_group_rule.x", "type": "aws_security_group_rule", "change": {"actions": ["create"], "after": {"type": "ingress"}, "after_unknown": u}}
		rules(plan([r]), {}) == {"terraform.malformed"}
	}
	del := {"address": "azurerm_network_security_rule.x", "type": "azurerm_network_security_rule", "change": {"actions": ["delete"], "after": null}}
	rules(plan([del]), {"terraform": {"deletable_types": ["azurerm_network_security_rule"]}}) == set()
}

test_public_grantee_any_spelling if {
	every uri in ["https://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/allusers/", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"] {
		rules(plan([rc("aws_s3_bucket_acl", {"access_control_policy": [{"grant": [{"grantee": [{"type": "Group", "uri": uri}], "permission": "READ"}]}]})]), {}) == {"terraform.public_bucket"}
	}
}

bucket_policy(statement) := json.marshal({"Version": "2012-10-17", "Statement": statement})

# aws_s3_bucket's own policy argument is a bucket policy: one that allows a
# wildcard principal (or all but a few, NotPrincipal) without a condition
# that restricts it to known accounts, networks or endpoints makes the
# bucket public. A policy the rules cannot read is judged public.
test_public_bucket_policy if {
	get := {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
	every st in [
		object.union(get, {"Principal": "*"}),
		object.union(get, {"Principal": {"AWS": "*"}}),
		object.union(get, {"Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"]}}),
		object.union(get, {"Principal": {"AWS": "arn:aws:iam::*:root"}}),
		{"Principal": "*", "Action": "s3:GetObject"},
		{"Effect": "allow", "Principal": "*", "Action": "s3:GetObject"},
		object.union(get, {"NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}}),
		object.union(get, {"Principal": "*", "Condition": {"StringLike": {"aws:Referer": "https://example.com/*"}}}),
		object.union(get, {"Principal": "*", "Condition": {"IpAddress": {"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"]}}}),
		object.union(get, {"Principal": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "*"}}}),
		object.union(get, {"Principal": "*", "Condition": {"StringLike": {"aws:PrincipalOrgID": "o-*"}}}),
		object.union(get, {"Principal": "*", "Condition": "x"}),
		object.union(get, {"Principal": "*", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}),
		object.union(get, {"Principal": "*", "Condition": {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}),
		object.union(get, {"Principal": "*", "Condition": {"ForAllValues:StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}),
		object.union(get, {"Principal": "*", "Condition": {"Null": {"aws:SourceVpce": "false"}}}),
		object.union(get, {"Principal": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}),
		object.union(get, {"Principal": ["*"]}),
	] {
		rules(plan([rc("aws_s3_bucket", {"bucket": "b", "policy": bucket_policy([st])})]), {}) == {"terraform.public_bucket"}
		rules(plan([rc("aws_s3_bucket", {"bucket": "b", "policy": bucket_policy(st)})]), {}) == {"terraform.public_bucket"}
	}
	every pol in ["not json", "[]", json.marshal({"Statement": "x"}), json.marshal({"Statement": ["x"]}), {"Statement": []}, 1] {
		rules(plan([rc("aws_s3_bucket", {"bucket": "b", "policy": pol})]), {}) == {"terraform.public_bucket"}
	}
	every st in [
		{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
		object.union(get, {"Principal": {"AWS": "arn:aws:iam::111122223333:root"}}),
		object.union(get, {"Principal": {"Service": "logging.s3.amazonaws.com"}}),
		object.union(get, {"Principal": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}),
		object.union(get, {"Principal": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}),
		object.union(get, {"Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": ["o-abc123"]}}}),
		object.union(get, {"Principal": "*", "Condition": {"ForAnyValue:StringLike": {"aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/E1"}}}),
	] {
		rules(plan([rc("aws_s3_bucket", {"bucket": "b", "policy": bucket_policy([st])})]), {}) == set()
	}
	every pol in [null, ""] {
		rules(plan([rc("aws_s3_bucket", {"bucket": "b", "policy": pol})]), {}) == set()
	}
	unknown := {"address": "aws_s3_bucket.b", "type": "aws_s3_bucket", "change": {"actions": ["create"], "after": {"bucket": "b"}, "after_unknown": {"policy": true}}}
	rules(plan([unknown]), {}) == {"terraform.unknown_value"}
}

# An IAM policy variable in a condition's value is replaced by the
# request's own value: StringEquals aws:PrincipalAccount
# "${aws:PrincipalAccount}" holds for every caller of every account, and
# restricts a wildcard principal to nothing. Values are ORed, so one such
# value among specific ones restricts nothing either.
test_public_bucket_policy_variable_condition if {
	get := {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
	every cond in [
		{"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}},
		{"StringEquals": {"aws:userid": ["AIDAEXAMPLE", "${aws:userid}"]}},
		{"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::${aws:SourceAccount}:distribution/E1"}},
	] {
		rules(plan([rc("aws_s3_bucket", {"bucket": "b", "policy": bucket_policy([object.union(get, {"Condition": cond})])})]), {}) == {"terraform.public_bucket"}
	}
	rules(plan([rc("aws_s3_bucket", {"bucket": "b", "policy": bucket_policy([object.union(get, {"Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}})])})]), {}) == set()
}

# A canned ACL is public in any case or surrounding whitespace.
test_public_acl_any_case if {
	every acl in ["PUBLIC-READ", "Public-Read-Write", " authenticated-read"] {
		rules(plan([rc("aws_s3_bucket_acl", {"acl": acl})]), {}) == {"terraform.public_bucket"}
	}
}

# Deleting a bucket of a deletable type is judged by terraform.delete
# alone: its null after is no ACL (and no builtin error that leaves the
# decision undecided).
test_delete_of_deletable_bucket_allowed if {
	every type in ["aws_s3_bucket", "aws_s3_bucket_acl"] {
		del := {"address": concat(".", [type, "x"]), "type": type, "change": {"actions": ["delete"], "after": null}}
		rules(plan([del]), {"terraform": {"deletable_types": [type]}}) == set()
		rules(plan([del]), {}) == {"terraform.delete"}
	}
}

# A judged type's name from another provider is not the type the rules
# judge: unknown unless listed in allowed_types and its provider in
# allowed_providers. A provider that is not hashicorp's nor allowed is
# denied as well (terraform.untrusted_provider), whatever its types.
test_judged_type_of_another_provider if {
	sg := {"address": "aws_security_group.web", "type": "aws_security_group", "change": {"actions": ["create"], "after": {"ingress": []}}}
	every p in ["registry.terraform.io/evil/aws", "evil.example/hashicorp/aws", 1] {
		rules(plan([object.union(sg, {"provider_name": p})]), {}) == {"terraform.unknown_type", "terraform.untrusted_provider"}
		rules(plan([object.union(sg, {"provider_name": p})]), {"terraform": {"allowed_types": ["aws_security_group"]}}) == {"terraform.unknown_type", "terraform.untrusted_provider"}
	}
	every cfg in [{}, {"terraform": {"allowed_types": ["aws_security_group"]}}] {
		rules(plan([object.union(sg, {"provider_name": "registry.terraform.io/hashicorp/google"})]), cfg) == {"terraform.unknown_type"}

		# Terraform 0.12's bare name: any plugin of that name.
		rules(plan([object.union(sg, {"provider_name": "aws"})]), cfg) == {"terraform.untrusted_provider"}
	}
	every pair in [["registry.terraform.io/evil/aws", "evil/aws"], ["evil.example/hashicorp/aws", "evil.example/hashicorp/aws"], ["registry.opentofu.org/Evil/AWS", "evil/aws"]] {
		[p, src] := pair
		rules(plan([object.union(sg, {"provider_name": p})]), {"terraform": {"allowed_providers": [src]}}) == {"terraform.unknown_type"}
		rules(plan([object.union(sg, {"provider_name": p})]), {"terraform": {"allowed_types": ["aws_security_group"], "allowed_providers": [src]}}) == set()
	}
	every p in ["registry.terraform.io/hashicorp/aws", "registry.opentofu.org/hashicorp/aws", null] {
		rules(plan([object.union(sg, {"provider_name": p})]), {}) == set()
	}
}

# Provisioners run commands during the apply, on any resource.
test_provisioners_denied if {
	doc := plan([create_bucket])
	conf := {"root_module": {"resources": [{"address": "aws_s3_bucket.logs", "provisioners": [{"type": "local-exec"}]}]}}
	rules(json.patch(doc, [{"op": "add", "path": "/terraform_plan/configuration", "value": conf}]), {}) == {"terraform.provisioner"}
	plain := {"root_module": {"resources": [{"address": "aws_s3_bucket.logs"}]}}
	rules(json.patch(doc, [{"op": "add", "path": "/terraform_plan/configuration", "value": plain}]), {}) == set()
}

# Ingress CIDRs add up across the resources of one cloud.
ingress_rule(addr, cidr) := {"address": addr, "type": "aws_vpc_security_group_ingress_rule", "change": {"actions": ["create"], "after": {"cidr_ipv4": cidr}}}

test_open_ingress_across_resources if {
	rules(plan([ingress_rule("a", "0.0.0.0/1"), ingress_rule("b", "128.0.0.0/1")]), {}) == {"terraform.open_ingress"}
	rules(plan([ingress_rule("a", "10.0.0.0/8"), ingress_rule("b", "192.168.0.0/16")]), {}) == set()
}
