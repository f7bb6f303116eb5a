# METADATA
# title: Kubernetes manifest rules
# description: |
#   conftest-style rules on input.manifests: no privileged containers, no
#   host namespaces, images pinned by digest and allow-listed, containers
#   that run as non-root.
#   Config (data.ztci.config.kubernetes): allowed_images (prefixes; empty:
#   any pinned image).
package ztci.kubernetes

import data.ztci.lib

manifests := object.get(input, "manifests", [])

allowed_images := lib.config("kubernetes", "allowed_images", [])

pod_spec(m) := m.spec if m.kind == "Pod"

pod_spec(m) := m.spec.template.spec if m.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

pod_spec(m) := m.spec.jobTemplate.spec.template.spec if m.kind == "CronJob"

name(m) := sprintf("%s/%s", [lib.show(m, "kind"), lib.show(m, ["metadata", "name"])])

containers contains [m, spec, c] if {
	some m in manifests
	spec := pod_spec(m)
	some field in ["containers", "initContainers", "ephemeralContainers"]
	some c in object.get(spec, field, [])
}

violations contains v if {
	some m in manifests
	not is_object(m)
	v := {"rule": "kubernetes.not_an_object", "message": "a manifest is not an object", "value": m}
}

violations contains v if {
	some [m, _, c] in containers
	c.securityContext.privileged
	v := {
		"rule": "kubernetes.privileged",
		"message": sprintf("container %q in %s runs privileged", [lib.show(c, "name"), name(m)]),
		"value": object.get(c, "name", null),
	}
}

violations contains v if {
	some [m, _, c] in containers
	c.securityContext.allowPrivilegeEscalation
	v := {
		"rule": "kubernetes.privilege_escalation",
		"message": sprintf("container %q in %s allows privilege escalation", [lib.show(c, "name"), name(m)]),
		"value": object.get(c, "name", null),
	}
}

violations contains v if {
	some m in manifests
	spec := pod_spec(m)
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	spec[field]
	v := {
		"rule": "kubernetes.host_namespace",
		"message": sprintf("%s sets %s", [name(m), field]),
		"value": field,
	}
}

violations contains v if {
	some [m, _, c] in containers
	not lib.pinned_digest(object.get(c, "image", ""))
	v := {
		"rule": "kubernetes.image_not_pinned",
		"message": sprintf("container %q in %s uses image %q, which is not pinned by digest", [lib.show(c, "name"), name(m), object.get(c, "image", "")]),
		"value": object.get(c, "image", null),
	}
}

violations contains v if {
	count(allowed_images) > 0
	some [m, _, c] in containers
	not lib.allowed_prefix(object.get(c, "image", ""), allowed_images)
	v := {
		"rule": "kubernetes.image_not_allowed",
		"message": sprintf("container %q in %s uses image %q, which is not on the allow-list", [lib.show(c, "name"), name(m), object.get(c, "image", "")]),
		"value": object.get(c, "image", null),
	}
}

violations contains v if {
	some [m, spec, c] in containers
	not run_as_non_root(spec, c)
	v := {
		"rule": "kubernetes.run_as_root",
		"message": sprintf("container %q in %s may run as root; set securityContext.runAsNonRoot: true", [lib.show(c, "name"), name(m)]),
		"value": object.get(c, "name", null),
	}
}

run_as_non_root(_, c) if c.securityContext.runAsNonRoot == true

run_as_non_root(spec, c) if {
	spec.securityContext.runAsNonRoot == true
	object.get(c, ["securityContext", "runAsNonRoot"], true) == true
}
