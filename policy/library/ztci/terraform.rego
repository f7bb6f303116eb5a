# METADATA
# title: Terraform plan rules
# description: |
#   Rules on input.terraform_plan (`terraform show -json PLAN`): no deletes
#   of resource types not listed as deletable, no public S3 ACLs, grants
#   or bucket policies (on buckets, bucket ACLs and policies, and objects:
#   aws_s3_object, aws_s3_bucket_object and aws_s3_object_copy are judged
#   for them, and for unknown ones, even when listed in allowed_types),
#   no ingress open to the world (IPv4 or IPv6, any spelling of /0, and
#   CIDR lists that together cover the world, in one resource or across
#   the plan's resources of one cloud) on the resource types and
#   fields that open ingress: aws_security_group (inline ingress),
#   aws_security_group_rule, aws_vpc_security_group_ingress_rule (cidr_ipv4,
#   cidr_ipv6), google_compute_firewall (source_ranges, or no source at
#   all, which GCP reads as 0.0.0.0/0), azurerm_network_security_rule and
#   azurerm_network_security_group (any source prefix but a CIDR or address
#   that is not /0, VirtualNetwork or AzureLoadBalancer).
#   A direction or type the rules cannot read is judged as ingress.
#   Deny by default: a missing, null or malformed plan or resource change, a
#   resource type the rules do not judge and that is not listed as allowed,
#   and a judged attribute whose value is unknown until apply are denied.
#   Changes that apply nothing (actions ["no-op"] or ["read"]) are allowed
#   for any type, but a data source read during the apply only from a
#   trusted provider. A judged type's name from another provider than its
#   own (provider_name) is a type the rules do not know; a type listed in
#   allowed_types or deletable_types counts only from a trusted provider:
#   its own (hashicorp/<the type's prefix>) or one in allowed_providers.
#   Every provider the plan names (configuration.provider_config, every
#   module's full_name, and each change's provider_name) must be trusted,
#   whatever its resources: hashicorp/* on the Terraform or OpenTofu
#   registry, Terraform's built-in provider, or one in allowed_providers;
#   terraform configures it and runs its ephemeral resources and functions,
#   which the plan does not show (terraform.untrusted_provider).
#   A configuration that declares provisioners (commands run by the
#   apply), a provider configuration with an exec credential plugin, a
#   plan that invokes actions and an external data source read during the
#   apply, and a terraform_remote_state read during the apply (its
#   backend's configuration can run a command), are denied.
#   Config (data.ztci.config.terraform): deletable_types ([]),
#   allowed_types ([]: resource types the operator declares harmless),
#   allowed_providers ([]: provider sources trusted beyond hashicorp's,
#   for the plan and for the types of the two lists above, "namespace/type"
#   on the public registries or "host/namespace/type").
#   Messages show the plan's values quoted and escaped (lib.printable).
package ztci.terraform

import data.ztci.lib

plan := object.get(input, "terraform_plan", null)

changes := object.get(plan, "resource_changes", []) if is_object(plan)

else := []

# label names resource change rc in a message: its address, quoted and
# escaped (lib.printable). The plan chose it, and a message must not
# carry a line, a control or a bidirectional override of its into a log
# as it is.
label(rc) := lib.printable(lib.show(rc, "address"))

# rcs are the resource changes that are objects with a string type and a
# change object; the others are reported as terraform.malformed.
rcs := [rc |
	is_array(changes)
	some rc in changes
	well_formed(rc)
]

# well_formed: an object with a string type and a change whose actions
# are a non-empty list of Terraform's action names, whose after is an
# object — or null when nothing is created or updated — and whose
# after_unknown, if present, is an object (Terraform always writes one;
# anything else would make the unknown-value rule unable to read it).
well_formed(rc) if {
	is_object(rc)
	is_string(rc.type)
	is_object(rc.change)
	actions_ok(rc.change.actions)
	after_ok(rc.change.actions, object.get(rc.change, "after", null))
	is_object(object.get(rc.change, "after_unknown", {}))
}

tf_actions := {"no-op", "create", "read", "update", "delete", "forget"}

actions_ok(actions) if {
	is_array(actions)
	count(actions) > 0
	every a in actions {
		a in tf_actions
	}
}

after_ok(_, after) if is_object(after)

after_ok(actions, null) if {
	not "create" in actions
	not "update" in actions
}

deletable := lib.config("terraform", "deletable_types", [])

allowed_types := {t | some t in lib.config("terraform", "allowed_types", []); is_string(t)}

# allowed_providers are the provider addresses, as provider_name writes
# them, of the configured allowed_providers: "namespace/type" on the
# Terraform and OpenTofu registries, "host/namespace/type" as written.
allowed_providers := {lower(a) |
	some src in lib.config("terraform", "allowed_providers", [])
	is_string(src)
	some a in provider_addresses(src)
}

provider_addresses(src) := {concat("/", [host, src]) | some host in ["registry.terraform.io", "registry.opentofu.org"]} if count(split(src, "/")) == 2

else := {src}

# judged maps each resource type the rules judge to the attributes they
# read (an unknown value in one of them is denied).
judged := {
	"aws_s3_bucket": {"acl", "grant", "policy"},
	"aws_s3_bucket_acl": {"acl", "access_control_policy"},
	"aws_security_group": {"ingress"},
	"aws_security_group_rule": {"type", "cidr_blocks", "ipv6_cidr_blocks"},
	"aws_vpc_security_group_ingress_rule": {"cidr_ipv4", "cidr_ipv6"},
	"aws_vpc_security_group_egress_rule": set(),
	"google_compute_firewall": {"direction", "allow", "source_ranges", "source_tags", "source_service_accounts", "disabled"},
	"azurerm_network_security_rule": {"direction", "access", "source_address_prefix", "source_address_prefixes"},
	"azurerm_network_security_group": {"security_rule"},
}

violations contains v if {
	plan == null
	v := {"rule": "terraform.missing_plan", "message": "a terraform.apply decision needs input.terraform_plan", "value": null}
}

violations contains v if {
	plan != null
	not is_object(plan)
	v := {"rule": "terraform.malformed", "message": sprintf("input.terraform_plan must be an object (terraform show -json), not a %s", [type_name(plan)]), "value": null}
}

violations contains v if {
	is_object(plan)
	not valid_format_version(object.get(plan, "format_version", null))
	v := {"rule": "terraform.malformed", "message": "input.terraform_plan has no format_version; it is not `terraform show -json` output", "value": null}
}

violations contains v if {
	not is_array(changes)
	v := {"rule": "terraform.malformed", "message": sprintf("terraform_plan.resource_changes must be a list, not a %s", [type_name(changes)]), "value": null}
}

violations contains v if {
	is_array(changes)
	some i, rc in changes
	not well_formed(rc)
	v := {
		"rule": "terraform.malformed",
		"message": sprintf("resource_changes[%d] (%s) is not a resource change with a type, change.actions (Terraform action names) and change.after (an object; null only when nothing is created or updated)", [i, label(rc)]),
		"value": i,
	}
}

# applies_nothing: a change that creates, updates and deletes nothing.
applies_nothing(rc) if rc.change.actions in {["no-op"], ["read"]}

only_delete(rc) if rc.change.actions == ["delete"]

violations contains v if {
	some rc in rcs
	not judged[rc.type]
	not rc.type in allowed_types
	not applies_nothing(rc)
	not only_delete(rc) # judged by terraform.delete alone
	v := {
		"rule": "terraform.unknown_type",
		"message": sprintf("%s: resource type %q is not one the rules judge (%v) nor listed in terraform.allowed_types", [label(rc), rc.type, sort(object.keys(judged))]),
		"value": rc.type,
	}
}

# A resource type is what its provider makes of it: the type name is
# chosen by whoever writes the provider, and a configuration may take
# "aws" from any source (required_providers { aws = { source =
# "evil/aws" } }). A judged type's name from another provider is not the
# resource the rules judge (its "acl" or "ingress" may mean anything, and
# the provider runs with the apply's credentials): like a harmless
# Kubernetes kind in another API group, it is a type the rules do not
# know, unless listed in allowed_types. A change that states no provider
# (provider_name is in every `terraform show -json` since 0.12) is judged
# by its type.
violations contains v if {
	some rc in rcs
	judged[rc.type]
	not own_provider(rc)
	not rc.type in allowed_types
	not applies_nothing(rc)
	not only_delete(rc) # judged by terraform.delete alone
	v := {
		"rule": "terraform.unknown_type",
		"message": sprintf("%s: resource type %q comes from provider %s, not from the provider whose type the rules judge (%v); list it in terraform.allowed_types if that provider is trusted", [label(rc), rc.type, lib.printable(rc.provider_name), sort(type_providers[type_prefix(rc.type)])]),
		"value": rc.type,
	}
}

# A type listed in allowed_types or deletable_types names the resource
# its own provider makes: "aws_instance" from registry.terraform.io/evil/aws
# is whatever evil's provider does with it (and that provider runs with
# the apply's credentials). A listed type is accepted only from its own
# provider (own_provider: hashicorp/<the type's prefix>, or a judged
# type's providers) or from one in allowed_providers; a data source read
# during the apply runs its provider's code too, so it is judged the same.
violations contains v if {
	some rc in rcs
	rc.type in allowed_types
	not trusted_provider(rc)
	not applies_nothing(rc)
	not only_delete(rc) # judged by terraform.delete alone
	v := {
		"rule": "terraform.unknown_type",
		"message": sprintf("%s: resource type %q comes from provider %s, which is neither the type's own nor in terraform.allowed_providers", [label(rc), rc.type, lib.printable(rc.provider_name)]),
		"value": rc.type,
	}
}

violations contains v if {
	some rc in rcs
	rc.change.actions == ["read"]
	not trusted_provider(rc)
	v := {
		"rule": "terraform.unknown_type",
		"message": sprintf("%s: the apply reads data source %q from provider %s, which is neither the type's own nor in terraform.allowed_providers", [label(rc), rc.type, lib.printable(rc.provider_name)]),
		"value": rc.type,
	}
}

# trusted_provider: rc comes from its type's own provider or from one the
# operator trusts (allowed_providers).
trusted_provider(rc) if own_provider(rc)

trusted_provider(rc) if lower_str(rc.provider_name) in allowed_providers

# type_providers are the provider sources (namespace/type) of the judged
# types, by the type name's prefix; any other type's own provider is
# hashicorp/<its prefix> (own_sources).
type_providers := {
	"aws": {"hashicorp/aws"},
	"google": {"hashicorp/google", "hashicorp/google-beta"},
	"azurerm": {"hashicorp/azurerm"},
}

type_prefix(t) := split(t, "_")[0]

own_sources(t) := {concat("/", ["hashicorp", type_prefix(t)])} | object.get(type_providers, type_prefix(t), set())

# own_provider: rc names no provider, or its type's own provider as
# Terraform and OpenTofu write it: on their public registries
# ("registry.terraform.io/hashicorp/aws", "registry.opentofu.org/hashicorp/aws"),
# or in Terraform 0.12's bare form ("aws"). A provider of the same name
# from another namespace or host is not the type's own.
own_provider(rc) if object.get(rc, "provider_name", null) == null

own_provider(rc) if {
	p := rc.provider_name
	is_string(p)
	some src in own_sources(rc.type)
	lower(p) in {
		split(src, "/")[1],
		concat("/", ["registry.terraform.io", src]),
		concat("/", ["registry.opentofu.org", src]),
	}
}

# A provider's code runs for more than the resource changes show:
# terraform starts and configures (ConfigureProvider) every provider the
# configuration requires, opens its ephemeral resources (Terraform 1.10;
# `terraform show -json` lists none, only ephemeral.* references) at plan
# and again at apply, and calls its functions (Terraform 1.8:
# provider::NAME::fn(), which a plan shows as no expression at all), all
# with the apply's credentials and on the machine that applies. Every
# provider a module requires, for its resources, ephemeral resources,
# functions (only a provider in required_providers has them) or provider
# blocks, is in configuration.provider_config (each module's, by
# full_name), and every resource change names its provider_name: a
# provider there that is not trusted is denied, whatever its resources.
# Trusted: any hashicorp/* on the Terraform or OpenTofu registry (all
# published by HashiCorp; which of its types count as which is the type
# rules' business), Terraform's built-in provider (terraform_data,
# terraform_remote_state) and allowed_providers. A bare name (Terraform
# 0.12's provider_name) or an entry without full_name says nothing of
# where the provider came from and is not trusted.
violations contains v if {
	some [where, src] in plan_providers
	not trusted_source(src)
	v := {
		"rule": "terraform.untrusted_provider",
		"message": sprintf("%s: provider %s is not hashicorp's (on the Terraform or OpenTofu registry), nor Terraform's built-in one, nor in terraform.allowed_providers; terraform runs its code with the apply's credentials (configuring it, opening its ephemeral resources, calling its functions)", [where, lib.printable(src)]),
		"value": src,
	}
}

violations contains v if {
	not is_object(configuration)
	v := {"rule": "terraform.malformed", "message": sprintf("terraform_plan.configuration must be an object, not a %s", [type_name(configuration)]), "value": null}
}

violations contains v if {
	not is_object(provider_configs)
	v := {"rule": "terraform.malformed", "message": sprintf("terraform_plan.configuration.provider_config must be an object, not a %s", [type_name(provider_configs)]), "value": null}
}

# configuration and provider_configs are the plan's, {} when absent or
# null (a plan without them is judged by its resource changes).
configuration := member_or_empty(plan, "configuration")

provider_configs := member_or_empty(configuration, "provider_config")

member_or_empty(x, key) := object.get(x, key, {}) if {
	is_object(x)
	object.get(x, key, null) != null
} else := {}

# plan_providers are [where, source]: each provider configuration's
# full_name (null when it has none or is not an object) and each resource
# change's provider_name, when it states one.
plan_providers contains [sprintf("configuration.provider_config[%s]", [lib.printable(key)]), full_name(pc)] if {
	is_object(provider_configs)
	some key, pc in provider_configs
}

plan_providers contains [label(rc), rc.provider_name] if {
	some rc in rcs
	object.get(rc, "provider_name", null) != null
}

full_name(pc) := object.get(pc, "full_name", null) if is_object(pc)

else := null

trusted_source(src) if regex.match(`^(registry\.terraform\.io|registry\.opentofu\.org)/hashicorp/[a-z0-9-]+$`, lower_str(src))

trusted_source(src) if lower_str(src) == "terraform.io/builtin/terraform"

trusted_source(src) if lower_str(src) in allowed_providers

violations contains v if {
	some rc in rcs
	"delete" in rc.change.actions
	not deletable_change(rc)
	v := {
		"rule": "terraform.delete",
		"message": sprintf("the plan deletes %s, and %s", [label(rc), why_not_deletable(rc)]),
		"value": object.get(rc, "address", null),
	}
}

# deletable_change: negated with a bound argument only (see deploy.rego).
# A deletable type is deletable only from a trusted provider: the delete
# runs that provider's code.
deletable_change(rc) if {
	rc.type in deletable
	trusted_provider(rc)
}

why_not_deletable(rc) := sprintf("%q comes from provider %s, which is neither the type's own nor in terraform.allowed_providers", [rc.type, lib.printable(rc.provider_name)]) if rc.type in deletable

else := sprintf("%q is not a deletable type", [rc.type])

# Provisioners (local-exec, remote-exec, file) run commands when a
# resource is created, or destroyed: local-exec on the machine that runs
# `terraform apply`, with the apply's credentials, whatever the resource
# and however harmless its attributes. `terraform show -json` lists them
# only in the configuration (configuration.root_module.resources[] and
# each module_calls' module), never in resource_changes: a plan whose
# configuration declares one, on any resource, is denied. Which
# instance's creation would run it is not worked out.
violations contains v if {
	is_object(plan)
	walk(object.get(plan, "configuration", {}), [path, x])
	is_object(x)
	provisioners := object.get(x, "provisioners", null)
	not provisioners in {null, []}
	v := {
		"rule": "terraform.provisioner",
		"message": sprintf("%s (configuration %s) declares provisioners %s, which run commands when terraform applies the plan", [lib.printable(object.get(x, "address", "<missing>")), lib.printable(path), lib.printable(provisioner_types(provisioners))]),
		"value": object.get(x, "address", null),
	}
}

# A provider configuration's exec block (the kubernetes, helm and kubectl
# providers' client-go credential plugin: exec { command = "aws" ... })
# runs its command on the machine that plans and applies, with the
# apply's credentials, as a local-exec provisioner would. `terraform show
# -json` shows provider configurations in configuration.provider_config
# (every module's), their blocks and constant attributes in expressions:
# an exec member anywhere in them (a block, or a constant object's
# member: helm 3's kubernetes = { exec = ... }) is denied.
violations contains v if {
	is_object(provider_configs)
	some key, pc in provider_configs
	is_object(pc) # one that is not is terraform.untrusted_provider's
	walk(object.get(pc, "expressions", {}), [path, x])
	count(path) > 0
	path[count(path) - 1] == "exec"
	not x in {null, [], {}}
	v := {
		"rule": "terraform.provisioner",
		"message": sprintf("provider configuration %s has an exec credential plugin (expressions %s), which runs a command when terraform plans and applies", [lib.printable(key), lib.printable(path)]),
		"value": key,
	}
}

provisioner_types(ps) := [object.get(p, "type", p) | some p in ps] if is_array(ps)

else := ps

# Actions (Terraform 1.14: action blocks, run by a resource's
# lifecycle action_trigger or by -invoke) are provider operations the
# apply runs beside the resource changes: a Lambda invocation, an
# Ansible playbook, hashicorp/local's local_command. `terraform show
# -json` lists the invocations the apply will run in action_invocations,
# apart from resource_changes; the rules judge none of them, so a plan
# with any (or with action_invocations of another shape) is denied like
# one with provisioners.
violations contains v if {
	is_object(plan)
	invocations := object.get(plan, "action_invocations", null)
	not invocations in {null, []}
	some [what, value] in action_invocations(invocations)
	v := {
		"rule": "terraform.provisioner",
		"message": sprintf("the plan invokes %s, an action that runs when terraform applies the plan", [what]),
		"value": value,
	}
}

# action_invocations are [what, value] for each invocation: what names it
# in a message (its address quoted and escaped: lib.printable), value is
# the violation's value.
action_invocations(xs) := {[lib.printable(a), a] | some x in xs; is_object(x); a := object.get(x, "address", "<missing>")} | {[what, what] | some i, x in xs; not is_object(x); what := sprintf("action_invocations[%d] (not an object)", [i])} if is_array(xs)

else := {["action_invocations (not a list)", "action_invocations (not a list)"]}

# A data source in resource_changes is one Terraform reads during the
# apply (its configuration was unknown at plan time, or it depends on a
# pending change). Reading an external data source (hashicorp/external)
# runs its program on the machine that applies the plan, with the
# apply's credentials, as a local-exec provisioner would.
violations contains v if {
	some rc in rcs
	rc.type == "external"
	"read" in rc.change.actions
	v := {
		"rule": "terraform.provisioner",
		"message": sprintf("%s reads an external data source during the apply, which runs its program on the machine that applies the plan", [label(rc)]),
		"value": object.get(rc, "address", null),
	}
}

# A terraform_remote_state read during the apply (one nested in a check
# block is read at every plan and apply; another when its configuration
# was unknown at plan time) runs the state backend its config names, and
# the backend takes credentials from where that config points it: the
# kubernetes backend's exec plugin or a kubeconfig file the repository
# carries (config_path, whose user exec runs its command), the s3
# backend's shared_config_files (credential_process). Which of the many
# backends' settings run a command is not worked out: any such read is
# denied, as an external data source is. One read at plan time is not in
# resource_changes and is not judged.
violations contains v if {
	some rc in rcs
	rc.type == "terraform_remote_state"
	"read" in rc.change.actions
	v := {
		"rule": "terraform.provisioner",
		"message": sprintf("%s reads a terraform_remote_state during the apply, whose backend configuration can run a command (a kubeconfig or exec plugin, an AWS credential_process) on the machine that applies the plan", [label(rc)]),
		"value": object.get(rc, "address", null),
	}
}

# An attribute the rules judge that is unknown until apply could be
# anything then, 0.0.0.0/0 included.
violations contains v if {
	some rc in rcs
	fields := judged[rc.type]
	not applies_nothing(rc)
	unknown := object.get(rc.change, "after_unknown", {})
	some f in fields
	unknown_value(object.get(unknown, f, false))
	v := {
		"rule": "terraform.unknown_value",
		"message": sprintf("%s: %s is unknown until apply, so the rules cannot judge it", [label(rc), f]),
		"value": object.get(rc, "address", null),
	}
}

# The same for the attributes that make a bucket or an object public on
# the S3 types the rules do not otherwise judge (s3_access_types).
violations contains v if {
	some rc in rcs
	not judged[rc.type]
	fields := s3_access_types[rc.type]
	not applies_nothing(rc)
	unknown := object.get(rc.change, "after_unknown", {})
	some f in fields
	unknown_value(object.get(unknown, f, false))
	v := {
		"rule": "terraform.unknown_value",
		"message": sprintf("%s: %s is unknown until apply, so the rules cannot judge it", [label(rc), f]),
		"value": object.get(rc, "address", null),
	}
}

unknown_value(x) if {
	walk(x, [_, leaf])
	leaf == true
}

public_acls := {"public-read", "public-read-write", "authenticated-read"}

# grantees are the strings a public grantee could be among: anywhere in a
# bucket's or bucket ACL's after, in an object's grant only (its content
# may be any text).
grantees(rc) := {x |
	rc.type in {"aws_s3_bucket_acl", "aws_s3_bucket"}
	is_object(after(rc))
	walk(after(rc), [_, x])
	is_string(x)
} | {x |
	"grant" in object.get(s3_access_types, rc.type, set())
	not rc.type in {"aws_s3_bucket_acl", "aws_s3_bucket"}
	walk(object.get(after_object(rc), "grant", null), [_, x])
	is_string(x)
}

# public_grantee: the AllUsers or AuthenticatedUsers group, in any scheme
# or case ("https://acs.amazonaws.com/groups/global/allusers" too).
public_grantee(x) if {
	is_string(x)
	some g in ["acs.amazonaws.com/groups/global/allusers", "acs.amazonaws.com/groups/global/authenticatedusers"]
	endswith(trim_suffix(lower(x), "/"), g)
}

after(rc) := object.get(rc.change, "after", null)

# after_object is after(rc), or {} for a delete (after null), so that the
# rules can read its attributes without a builtin error.
after_object(rc) := a if {
	a := after(rc)
	is_object(a)
} else := {}

# s3_access_types maps the S3 types whose attributes can make a bucket
# or an object public to those attributes: the judged ones, and types the
# rules do not otherwise judge (an operator lists aws_s3_object in
# allowed_types to upload files, not to publish them): an object's canned
# ACL or grant ("public-read", AllUsers) and a bucket policy resource's
# document are judged on them all, and an unknown one is denied, whether
# or not the type is listed in allowed_types.
s3_access_types := {
	"aws_s3_bucket": {"acl", "grant", "policy"},
	"aws_s3_bucket_acl": {"acl", "access_control_policy"},
	"aws_s3_object": {"acl", "grant"},
	"aws_s3_bucket_object": {"acl", "grant"},
	"aws_s3_object_copy": {"acl", "grant"},
	"aws_s3_bucket_policy": {"policy"},
}

violations contains v if {
	some rc in rcs
	"acl" in object.get(s3_access_types, rc.type, set())
	acl := object.get(after_object(rc), "acl", null)
	acl != null
	not acl_private(acl)
	v := {
		"rule": "terraform.public_bucket",
		"message": sprintf("%s grants the ACL %s", [label(rc), lib.printable(acl)]),
		"value": object.get(rc, "address", null),
	}
}

# acl_private: a string ACL that is not public, in any case or
# surrounding whitespace. A non-string ACL is not one the rules can judge.
acl_private(acl) if {
	is_string(acl)
	not lower(trim_space(acl)) in public_acls
}

# A bucket policy (aws_s3_bucket_policy's, or aws_s3_bucket's own policy
# argument, deprecated, still applied) that lets anyone in makes the
# bucket public.
violations contains v if {
	some rc in rcs
	"policy" in object.get(s3_access_types, rc.type, set())
	pol := object.get(after_object(rc), "policy", null)
	not pol in {null, ""}
	some why in public_policy(pol)
	v := {
		"rule": "terraform.public_bucket",
		"message": sprintf("%s has a bucket policy that %s", [label(rc), why]),
		"value": object.get(rc, "address", null),
	}
}

# public_policy are the reasons the policy document pol (a JSON string, as
# Terraform shows it) is public: a statement that is not a Deny and lets
# in a wildcard principal ("*", {"AWS": "*"}, any principal holding "*")
# or everyone but NotPrincipal, unless a condition restricts it as AWS's
# own public-policy check counts (restricting_keys, with values that name
# something specific: no wildcard, no policy variable). A document the rules
# cannot read is judged public.
public_policy(pol) := {"is not a JSON policy document"} if not policy_statements(pol)

else := {sprintf("allows %s without a restricting condition", [lib.printable(object.get(st, "Principal", object.get(st, "NotPrincipal", null)))]) |
	some st in policy_statements(pol)
	is_object(st)
	object.get(st, "Effect", null) != "Deny"
	wildcard_principal(st)
	not restricted(object.get(st, "Condition", null))
} | {"has a statement that is not an object" | some st in policy_statements(pol); not is_object(st)}

# policy_statements are the statements of a policy document: its
# Statement, a list or one object.
policy_statements(pol) := sts if {
	is_string(pol)
	json.is_valid(pol)
	doc := json.unmarshal(pol)
	is_object(doc)
	sts := statement_list(object.get(doc, "Statement", null))
}

statement_list(st) := st if is_array(st)

statement_list(st) := [st] if is_object(st)

wildcard_principal(st) if "NotPrincipal" in object.keys(st)

wildcard_principal(st) if {
	walk(object.get(st, "Principal", null), [_, p])
	is_string(p)
	contains(p, "*")
}

# wildcard_principal: a Principal that is neither a string nor an object
# (a number, a list) is one the rules cannot read.
wildcard_principal(st) if not principal_shape(object.get(st, "Principal", null))

principal_shape(p) if is_string(p)

principal_shape(p) if is_object(p)

# restricting_keys are the condition keys that, with a value that names
# something specific (no wildcard), make a wildcard principal not public
# in AWS's own check (S3 Block Public Access). aws:SourceIp restricts only
# with CIDRs that do not cover the world.
restricting_keys := {
	"aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceaccount", "aws:sourceowner",
	"aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn",
	"aws:userid", "s3:dataaccesspointaccount", "s3:dataaccesspointarn",
}

# restricted: a condition that holds only for what a restricting key
# names. Only operators that require the key to be present and to match
# restrict: not a negated one (StringNotEquals admits every other
# endpoint), an IfExists one or ForAllValues (both true when the key is
# absent), or Null.
restricted(cond) if {
	is_object(cond)
	some op, keys in cond
	is_string(op)
	trim_prefix(lower(op), "foranyvalue:") in restricting_operators
	is_object(keys)
	some k, val in keys
	is_string(k)
	restricting(lower(k), field_values(val))
}

restricting_operators := {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress"}

# A value with a policy variable ("${aws:PrincipalAccount}") names
# nothing specific: the variable is replaced by the request's own value,
# so StringEquals aws:PrincipalAccount "${aws:PrincipalAccount}" holds for
# every caller of every account. Values are ORed: one such value among
# specific ones restricts nothing either.
restricting(k, vals) if {
	k in restricting_keys
	count(vals) > 0
	every x in vals {
		is_string(x)
		x != ""
		not contains(x, "*")
		not contains(x, "?")
		not contains(x, "${")
	}
}

restricting("aws:sourceip", vals) if {
	count(vals) > 0
	not open_cidrs(vals)
}

field_values(x) := x if is_array(x)

else := [x]

violations contains v if {
	some rc in rcs
	some x in grantees(rc)
	public_grantee(x)
	v := {
		"rule": "terraform.public_bucket",
		"message": sprintf("%s grants access to %q", [label(rc), x]),
		"value": object.get(rc, "address", null),
	}
}

violations contains v if {
	some rc in rcs
	some why in open_ingress(rc)
	v := {
		"rule": "terraform.open_ingress",
		"message": sprintf("%s allows ingress from anywhere: %s", [label(rc), why]),
		"value": object.get(rc, "address", null),
	}
}

# Ingress rules add up: a security group opens to whatever any of its
# rules admits, and the rules may come as separate resources
# (aws_vpc_security_group_ingress_rule 0.0.0.0/1 beside another for
# 128.0.0.0/1, or one inline and one aws_security_group_rule). Which
# group or network a rule attaches to is often unknown until apply, so
# the CIDRs that open ingress are merged across every resource of one
# cloud in the plan (changed or not: an unchanged rule is still in
# force; a deleted one, after null, is not): if they cover the world
# between them, the plan opens it. Two halves of the world on two
# different groups are denied too; no real plan needs that.
violations contains v if {
	some prefix in object.keys(type_providers)
	sources := [[lib.show(rc, "address"), cs] |
		some rc in rcs
		type_prefix(rc.type) == prefix
		cs := ingress_sources(rc)
		count(cs) > 0
	]
	count(sources) > 1
	open_cidrs([c | some [_, cs] in sources; some c in cs])
	v := {
		"rule": "terraform.open_ingress",
		"message": sprintf("%s allow ingress from anywhere together: their CIDRs %s cover every address", [lib.printable([a | some [a, _] in sources]), lib.printable([cs | some [_, cs] in sources])]),
		"value": [a | some [a, _] in sources],
	}
}

# ingress_sources are the valid CIDRs from which rc, as it is after the
# plan, admits inbound traffic (what open_ingress judges one resource by).
ingress_sources(rc) := [c |
	a := after(rc)
	is_object(a)
	some c in ingress_candidates(rc.type, a)
	is_string(c)
	net.cidr_is_valid(c)
]

ingress_candidates("aws_security_group", a) := [c |
	rules := object.get(a, "ingress", [])
	is_array(rules)
	some r in rules
	cs := ingress_cidrs(r)
	is_array(cs)
	some c in cs
]

ingress_candidates("aws_security_group_rule", a) := v4v6(a, "cidr_blocks", "ipv6_cidr_blocks") if object.get(a, "type", null) != "egress"

ingress_candidates("aws_vpc_security_group_ingress_rule", a) := array.concat(scalar_cidr(a, "cidr_ipv4"), scalar_cidr(a, "cidr_ipv6"))

ingress_candidates("google_compute_firewall", a) := field_cidrs(a, "source_ranges") if {
	object.get(a, "direction", null) != "EGRESS"
	not lib.is_true(object.get(a, "disabled", false))
	gcp_allows(a)
}

ingress_candidates("azurerm_network_security_rule", a) := azure_sources(a) if azure_inbound_allow(a)

ingress_candidates("azurerm_network_security_group", a) := [c |
	rules := object.get(a, "security_rule", [])
	is_array(rules)
	some r in rules
	azure_inbound_allow(r)
	some c in azure_sources(r)
]

# open_cidrs: cidrs is not a list of valid CIDRs, or they cover all
# IPv4 or all IPv6 addresses between them (lib.open_cidrs, which the
# Kubernetes rules share for NetworkPolicy ipBlocks).
open_cidrs(cidrs) if lib.open_cidrs(cidrs)

# field_cidrs is the list at key of x; null or missing is an empty list,
# and a single string is a one-element list.
field_cidrs(x, key) := cs if {
	cs := object.get(x, key, null)
	is_array(cs)
} else := [] if {
	object.get(x, key, null) == null
} else := [object.get(x, key, null)]

v4v6(x, k4, k6) := array.concat(field_cidrs(x, k4), field_cidrs(x, k6))

# scalar_cidr is the one-element list of the string attribute key of x,
# [] when it is null or missing; a value of another type (a list included)
# is kept as one entry, which open_cidrs judges open.
scalar_cidr(x, key) := [] if object.get(x, key, null) == null

else := [object.get(x, key, null)]

valid_format_version(v) if {
	is_string(v)
	v != ""
}

open_ingress(rc) := {why |
	rc.type == "aws_security_group"
	rules := object.get(after(rc), "ingress", [])
	some why in sg_inline(rules)
} if {
	rc.type == "aws_security_group"
	is_object(after(rc))
}

sg_inline(rules) := {"ingress is not a list of rules"} if not is_array(rules)

else := {sprintf("ingress rule %d: %s", [i, lib.printable(cs)]) |
	some i, r in rules
	cs := ingress_cidrs(r)
	open_cidrs(cs)
} | together_open("ingress rules", [cs | some r in rules; cs := ingress_cidrs(r)])

# together_open: the valid CIDRs of several rules of one resource cover
# the world between them (0.0.0.0/1 in one rule, 128.0.0.0/1 in another).
together_open(what, lists) := {sprintf("%s together: %s", [what, lib.printable(cs)]) |
	cs := [c | some l in lists; is_array(l); some c in l; is_string(c); net.cidr_is_valid(c)]
	open_cidrs(cs)
}

ingress_cidrs(r) := v4v6(r, "cidr_blocks", "ipv6_cidr_blocks") if is_object(r)

else := null

open_ingress(rc) := {lib.printable(cs) |
	rc.type == "aws_security_group_rule"
	a := after(rc)
	is_object(a)
	object.get(a, "type", null) != "egress"
	cs := v4v6(a, "cidr_blocks", "ipv6_cidr_blocks")
	open_cidrs(cs)
} if rc.type == "aws_security_group_rule"

open_ingress(rc) := {lib.printable(cs) |
	a := after(rc)
	is_object(a)
	cs := array.concat(scalar_cidr(a, "cidr_ipv4"), scalar_cidr(a, "cidr_ipv6"))
	open_cidrs(cs)
} if rc.type == "aws_vpc_security_group_ingress_rule"

# google_compute_firewall: an enabled INGRESS (the default direction) rule
# that allows traffic from source_ranges covering the world, or from no
# source at all (GCP then applies it to 0.0.0.0/0).
open_ingress(rc) := {why |
	a := after(rc)
	is_object(a)
	object.get(a, "direction", null) != "EGRESS"
	not lib.is_true(object.get(a, "disabled", false))
	gcp_allows(a)
	some why in gcp_sources(a)
} if rc.type == "google_compute_firewall"

# gcp_allows: the rule allows something. Only a rule with no allow
# entries (a deny rule) opens nothing; an allow of the wrong type is
# judged as allowing.
gcp_allows(a) if not object.get(a, "allow", []) in {[], null}

gcp_sources(a) := {sprintf("source_ranges %s", [lib.printable(a.source_ranges)])} if {
	object.get(a, "source_ranges", null) != null
	open_cidrs(field_cidrs(a, "source_ranges"))
} else := {"no source_ranges, source_tags or source_service_accounts (GCP reads that as 0.0.0.0/0)"} if {
	count(field_cidrs(a, "source_ranges")) == 0
	count(field_cidrs(a, "source_tags")) == 0
	count(field_cidrs(a, "source_service_accounts")) == 0
} else := set()

# A delete (after null) opens nothing; well_formed guarantees after is an
# object whenever something is created or updated.
open_ingress(rc) := azure_rule(after(rc)) if {
	rc.type == "azurerm_network_security_rule"
	after(rc) != null
}

open_ingress(rc) := {why |
	a := after(rc)
	is_object(a)
	rules := object.get(a, "security_rule", [])
	some why in azure_rules(rules)
} if rc.type == "azurerm_network_security_group"

azure_rules(rules) := {"security_rule is not a list of rules"} if not is_array(rules)

else := {why | some r in rules; some why in azure_rule(r)} | together_open("inbound allow rules", [azure_sources(r) | some r in rules; azure_inbound_allow(r)])

# azure_rule: a rule that is not outbound and not deny (anything else,
# a wrong type included, is judged as an inbound allow rule) with a source
# the rules cannot show to be closed, with sources that together cover
# the world, or with no source at all. A rule that is not an object is
# judged open.
azure_rule(r) := {"the rule is not an object"} if not is_object(r)

else := ({sprintf("source %s", [lib.printable(p)]) |
	azure_inbound_allow(r)
	some p in azure_sources(r)
	not azure_closed(p)
} | together_open("sources", [azure_sources(r) | azure_inbound_allow(r)])) | azure_no_source(r)

azure_inbound_allow(r) if {
	is_object(r)
	lower_str(object.get(r, "direction", "")) != "outbound"
	lower_str(object.get(r, "access", "")) != "deny"
}

# azure_no_source: an inbound allow rule with neither a source prefix nor
# a source application security group is a shape the rules cannot read:
# judged open.
azure_no_source(r) := {"no source_address_prefix(es) or source application security group"} if {
	azure_inbound_allow(r)
	count(azure_sources(r)) == 0
	count(field_cidrs(r, "source_application_security_group_ids")) == 0
} else := set()

# azure_sources are source_address_prefix (unless null or "", which
# Terraform shows for an unset prefix when the list form is used) and
# source_address_prefixes.
azure_sources(r) := array.concat(prefix, field_cidrs(r, "source_address_prefixes")) if {
	one := object.get(r, "source_address_prefix", null)
	prefix := [x | x := one; not x in {null, ""}]
}

lower_str(s) := lower(s) if is_string(s)

else := ""

# azure_safe_tags are service tags that do not reach beyond the virtual
# network or the platform's own probes. Any other tag (Internet, *, Any,
# AzureCloud, ...) is judged open.
azure_safe_tags := {"VirtualNetwork", "AzureLoadBalancer"}

azure_closed(p) if p in azure_safe_tags

azure_closed(p) if {
	is_string(p)
	net.cidr_is_valid(p)
	not open_cidrs([p])
	not unspecified(p)
}

# A single address (Azure accepts "10.0.0.1") other than the unspecified one.
azure_closed(p) if {
	is_string(p)
	not contains(p, "/")
	some bits in ["/32", "/128"]
	net.cidr_is_valid(concat("", [p, bits]))
	not unspecified(p)
}

# unspecified: p (a valid address or CIDR) is the unspecified address in
# any spelling: "0.0.0.0", "::", "0::", "::0", "0:0:0:0:0:0:0:0",
# "::ffff:0.0.0.0", "0.0.0.0/32", "::/128".
unspecified(p) if {
	some u in ["0.0.0.0/32", "::/128"]
	net.cidr_contains(u, p)
}

# Every other type opens no ingress the rules know of.
open_ingress(rc) := set() if not rc.type in {
	"aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule",
	"google_compute_firewall", "azurerm_network_security_rule", "azurerm_network_security_group",
}
