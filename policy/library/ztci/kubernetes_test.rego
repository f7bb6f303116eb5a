package ztci.kubernetes_test

import data.ztci.main

pinned := "ghcr.io/acme/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

deployment := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "app"},
	"spec": {"template": {"spec": {
		"securityContext": {"runAsNonRoot": true},
		"containers": [{"name": "app", "image": pinned, "securityContext": {"allowPrivilegeEscalation": false}}],
	}}},
}

rules(manifests) := {v.rule | some v in main.violations with input as {"action": "kubernetes.admit", "manifests": manifests} with data.ztci.config as {}}

test_good_deployment if {
	rules([deployment]) == set()
}

test_privileged_container if {
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/securityContext/privileged", "value": true}])]) == {"kubernetes.privileged"}
}

test_host_network if {
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/hostNetwork", "value": true}])]) == {"kubernetes.host_namespace"}
}

test_unpinned_image if {
	rules([json.patch(deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "ghcr.io/acme/app:latest"}])]) == {"kubernetes.image_not_pinned"}
}

test_root_container_in_cronjob if {
	cj := {"kind": "CronJob", "metadata": {"name": "nightly"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job", "image": pinned, "securityContext": {"allowPrivilegeEscalation": false}}]}}}}}}
	rules([cj]) == {"kubernetes.run_as_root"}
}

test_container_overrides_pod_non_root if {
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/securityContext/runAsNonRoot", "value": false}])]) == {"kubernetes.run_as_root"}
}

test_init_container_checked if {
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/initContainers", "value": [{"name": "init", "image": "busybox", "securityContext": {"runAsNonRoot": true, "allowPrivilegeEscalation": false}}]}])]) == {"kubernetes.image_not_pinned"}
}

test_image_allow_list if {
	vs := {v.rule | some v in main.violations with input as {"action": "kubernetes.admit", "manifests": [deployment]} with data.ztci.config as {"kubernetes": {"allowed_images": ["registry.internal/"]}}}
	vs == {"kubernetes.image_not_allowed"}
}

pod_spec := deployment.spec.template.spec

bad_container := {"name": "evil", "image": pinned, "securityContext": {"privileged": true, "allowPrivilegeEscalation": false}}

test_no_manifests_denied if {
	rules([]) == {"kubernetes.no_manifests"}
	{v.rule | some v in main.violations with input as {"action": "kubernetes.admit"} with data.ztci.config as {}} == {"kubernetes.no_manifests"}
	{v.rule | some v in main.violations with input as {"action": "kubernetes.admit", "manifests": null} with data.ztci.config as {}} == {"kubernetes.no_manifests"}
}

test_manifests_wrong_type_denied if {
	every bad in ["x", 1, true, {"a": deployment}] {
		d := main.decision with input as {"action": "kubernetes.admit", "manifests": bad} with data.ztci.config as {}
		not d.allow
	}
}

test_non_object_manifest_denied if {
	every bad in [null, "Deployment", 1, [deployment]] {
		"kubernetes.not_an_object" in rules([deployment, bad])
	}
}

# Every workload kind, privileged pod spec at its own path: denied.
test_every_workload_kind_judged if {
	every m in [
		{"kind": "Pod", "metadata": {"name": "p"}, "spec": object.union(pod_spec, {"containers": [bad_container]})},
		{"kind": "PodTemplate", "metadata": {"name": "p"}, "template": {"spec": object.union(pod_spec, {"containers": [bad_container]})}},
		{"kind": "ReplicationController", "metadata": {"name": "p"}, "spec": {"template": {"spec": object.union(pod_spec, {"containers": [bad_container]})}}},
		{"kind": "ReplicaSet", "metadata": {"name": "p"}, "spec": {"template": {"spec": object.union(pod_spec, {"containers": [bad_container]})}}},
		{"kind": "StatefulSet", "metadata": {"name": "p"}, "spec": {"template": {"spec": object.union(pod_spec, {"containers": [bad_container]})}}},
		{"kind": "DaemonSet", "metadata": {"name": "p"}, "spec": {"template": {"spec": object.union(pod_spec, {"containers": [bad_container]})}}},
		{"kind": "Job", "metadata": {"name": "p"}, "spec": {"template": {"spec": object.union(pod_spec, {"containers": [bad_container]})}}},
		{"kind": "CronJob", "metadata": {"name": "p"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": object.union(pod_spec, {"containers": [bad_container]})}}}}},
	] {
		rules([m]) == {"kubernetes.privileged"}
	}
}

test_replication_controller_host_network_root if {
	rc := {"kind": "ReplicationController", "metadata": {"name": "rc"}, "spec": {"template": {"spec": {
		"hostNetwork": true,
		"containers": [{"name": "c", "image": pinned, "securityContext": {"privileged": true, "runAsUser": 0, "allowPrivilegeEscalation": false}}],
	}}}}
	rules([rc]) == {"kubernetes.host_namespace", "kubernetes.privileged", "kubernetes.run_as_root"}
}

test_unknown_kind_denied if {
	rules([{"kind": "Rollout", "apiVersion": "argoproj.io/v1alpha1", "metadata": {"name": "r"}, "spec": {}}]) == {"kubernetes.unknown_kind"}
	rules([{"metadata": {"name": "nokind"}}]) == {"kubernetes.unknown_kind"}
	rules([{"kind": ["Deployment"]}]) == {"kubernetes.unknown_kind"}
	rules([{"kind": "deployment", "spec": deployment.spec}]) == {"kubernetes.unknown_kind"}
}

test_harmless_kind_allowed if {
	rules([{"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"Image": "x", "hostNetwork": "true"}}]) == set()
	rules([{"kind": "ClusterRoleBinding", "metadata": {"name": "x"}}]) == {"kubernetes.unknown_kind"}
}

# A CRD kind accepted by configuration still has its embedded pod spec judged.
test_allowed_crd_pod_spec_judged if {
	rollout := {"kind": "Rollout", "metadata": {"name": "r"}, "spec": {"template": {"spec": object.union(pod_spec, {"hostPID": true})}}}
	vs := {v.rule | some v in main.violations with input as {"action": "kubernetes.admit", "manifests": [rollout]} with data.ztci.config as {"kubernetes": {"allowed_kinds": ["Rollout"]}}}
	vs == {"kubernetes.host_namespace"}
}

test_list_items_judged if {
	bad := json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/hostIPC", "value": true}])
	rules([{"kind": "List", "items": [bad]}]) == {"kubernetes.host_namespace"}
	rules([{"kind": "DeploymentList", "items": [deployment]}]) == set()
	rules([{"kind": "List", "items": [{"kind": "List", "items": [bad]}]}]) == {"kubernetes.unknown_kind", "kubernetes.host_namespace"}
	rules([{"kind": "List", "items": "x"}]) == {"kubernetes.malformed"}
	rules([{"kind": "List"}]) == {"kubernetes.malformed"}
}

test_workload_without_pod_spec_denied if {
	rules([json.remove(deployment, ["spec/template"])]) == {"kubernetes.malformed"}
	rules([json.patch(deployment, [{"op": "replace", "path": "/spec/template/spec", "value": "x"}])]) == {"kubernetes.malformed"}
	rules([json.patch(deployment, [{"op": "remove", "path": "/spec/template/spec/containers"}])]) == {"kubernetes.malformed"}
	rules([json.patch(deployment, [{"op": "replace", "path": "/spec/template/spec/containers", "value": []}])]) == {"kubernetes.malformed"}
	rules([json.patch(deployment, [{"op": "replace", "path": "/spec/template/spec/containers", "value": {"app": pod_spec.containers[0]}}])]) == {"kubernetes.malformed"}
	rules([json.patch(deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0", "value": "app"}])]) == {"kubernetes.malformed"}
}

test_ephemeral_and_init_containers_judged if {
	every f in ["initContainers", "ephemeralContainers"] {
		rules([json.patch(deployment, [{"op": "add", "path": concat("/", ["/spec/template/spec", f]), "value": [bad_container]}])]) == {"kubernetes.privileged"}
	}
}

container_patch(sc) := json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/securityContext", "value": object.union({"allowPrivilegeEscalation": false}, sc)}])

test_flags_of_any_type_but_false_deny if {
	every val in [true, "true", "false", 1, 0, {}, []] {
		"kubernetes.privileged" in rules([container_patch({"privileged": val})])
		"kubernetes.privilege_escalation" in rules([container_patch({"allowPrivilegeEscalation": val})])
		"kubernetes.host_namespace" in rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/hostNetwork", "value": val}])])
	}
	rules([container_patch({"privileged": false, "allowPrivilegeEscalation": false})]) == set()
	rules([container_patch({"privileged": null})]) == set()
	every sc in [{"allowPrivilegeEscalation": null}, {}] {
		rules([json.patch(deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0/securityContext", "value": sc}])]) == {"kubernetes.privilege_escalation"}
	}
}

test_run_as_root_variants if {
	every sc in [
		{"runAsUser": 0},
		{"runAsNonRoot": true, "runAsUser": 0},
		{"runAsNonRoot": "true"},
		{"runAsNonRoot": false},
		{"runAsUser": "1000"},
		{"runAsNonRoot": true, "runAsUser": 1.0e-9},
		{"runAsNonRoot": true, "runAsUser": 0.5},
		{"runAsNonRoot": true, "runAsUser": -1},
	] {
		"kubernetes.run_as_root" in rules([container_patch(sc)])
	}
	rules([json.patch(deployment, [{"op": "replace", "path": "/spec/template/spec/securityContext", "value": {"runAsNonRoot": true, "runAsUser": 0}}])]) == {"kubernetes.run_as_root"}
	rules([json.patch(deployment, [{"op": "remove", "path": "/spec/template/spec/securityContext"}])]) == {"kubernetes.run_as_root"}
	rules([json.patch(deployment, [{"op": "replace", "path": "/spec/template/spec/securityContext", "value": "nonroot"}])]) == {"kubernetes.run_as_root", "kubernetes.malformed"}
	rules([container_patch({"runAsUser": 1000})]) == set()
}

test_capabilities if {
	every cap in ["SYS_ADMIN", "ALL", "all", "CAP_SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", 7] {
		rules([container_patch({"capabilities": {"add": [cap]}})]) == {"kubernetes.capabilities"}
	}
	rules([container_patch({"capabilities": {"add": "SYS_ADMIN"}})]) == {"kubernetes.capabilities"}
	rules([container_patch({"capabilities": "ALL"})]) == {"kubernetes.malformed"}
	rules([container_patch({"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}})]) == set()
}

test_host_path_and_host_port if {
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/volumes", "value": [{"name": "root", "hostPath": {"path": "/"}}]}])]) == {"kubernetes.host_path"}
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/volumes", "value": {"name": "root"}}])]) == {"kubernetes.malformed"}
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/volumes", "value": [{"name": "tmp", "emptyDir": {}}]}])]) == set()
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/volumes", "value": [{"name": "share", "nfs": {"server": "10.0.0.5", "path": "/"}}]}])]) == {"kubernetes.volume_type"}
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/ports", "value": [{"containerPort": 80, "hostPort": 80}]}])]) == {"kubernetes.host_port"}
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/ports", "value": [{"containerPort": 80, "hostPort": "80"}]}])]) == {"kubernetes.host_port"}
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/ports", "value": [{"containerPort": 80}]}])]) == set()
}

test_windows_host_process if {
	rules([container_patch({"windowsOptions": {"hostProcess": true}})]) == {"kubernetes.host_namespace"}
}

test_case_variant_keys_denied if {
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/HostNetwork", "value": true}])]) == {"kubernetes.case_variant_key"}
	rules([container_patch({"Privileged": true})]) == {"kubernetes.case_variant_key"}
	rules([json.patch(deployment, [{"op": "add", "path": "/metadata/labels", "value": {"Image": "x"}}])]) == set()
}

test_image_wrong_type_denied if {
	every img in [null, 1, ["x"], {"ref": pinned}] {
		"kubernetes.image_not_pinned" in rules([json.patch(deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": img}])])
	}
}

# procMount other than Default exposes the host's /proc (Pod Security
# baseline); a case variant of the key is denied too.
test_proc_mount if {
	every pm in ["Unmasked", "unmasked", 1, true, {}] {
		rules([container_patch({"procMount": pm})]) == {"kubernetes.proc_mount"}
	}
	rules([container_patch({"procMount": "Default"})]) == set()
	rules([container_patch({"procMount": null})]) == set()
	rules([container_patch({"ProcMount": "Unmasked"})]) == {"kubernetes.case_variant_key"}
	rules([{"kind": "List", "items": [{"kind": "Pod", "metadata": {"name": "p"}, "spec": object.union(pod_spec, {"ephemeralContainers": [{"name": "e", "image": pinned, "securityContext": {"allowPrivilegeEscalation": false, "procMount": "Unmasked"}}]})}]}]) == {"kubernetes.proc_mount"}
}

# Only empty Lists admit nothing, as no manifest does; a kind ending in
# "List" is unwrapped only for "List" and "<known kind>List".
test_empty_lists_and_unknown_list_kinds if {
	rules([{"kind": "List", "apiVersion": "v1", "items": []}]) == {"kubernetes.no_manifests"}
	rules([{"kind": "List", "items": []}, {"kind": "PodList", "items": []}]) == {"kubernetes.no_manifests"}
	rules([{"kind": "EvilList", "items": []}]) == {"kubernetes.unknown_kind"}
	rules([{"kind": "EvilList", "items": [deployment]}]) == {"kubernetes.unknown_kind"}
	rules([{"kind": "List", "items": []}, deployment]) == set()
	vs := {v.rule | some v in main.violations with input as {"action": "kubernetes.admit", "manifests": [{"kind": "RolloutList", "items": [{"kind": "Rollout", "metadata": {"name": "r"}, "spec": {}}]}]} with data.ztci.config as {"kubernetes": {"allowed_kinds": ["Rollout"]}}}
	vs == set()
}

# An allow-listed prefix covers an image only at a boundary of the
# reference's parts: not another organisation whose name it begins, not a
# host whose name it begins, not another port.
test_image_allow_list_boundaries if {
	digest := "@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	cases := [
		["ghcr.io/acme", "ghcr.io/acme/app", true],
		["ghcr.io/acme", "ghcr.io/acme-evil/app", false],
		["ghcr.io/acme", "ghcr.io/acmecorp/app", false],
		["ghcr.io/acme/app", "ghcr.io/acme/app:v1", true],
		["ghcr.io/acme/app", "ghcr.io/acme/app-debug", false],
		["ghcr.io", "ghcr.io/acme/app", true],
		["ghcr.io", "ghcr.io.evil.example/acme/app", false],
		["registry.example:5000", "registry.example:5000/app", true],
		["registry.example:5000", "registry.example:50001/app", false],
		["registry.example/", "registry.example/app", true],
		["registry.example/", "registry.example.evil/app", false],
	]
	allowed := {[c[0], c[1]] | some c in cases; image_allowed_by(c[0], concat("", [c[1], digest]))}
	allowed == {[c[0], c[1]] | some c in cases; c[2]}
}

image_allowed_by(prefix, image) if {
	doc := json.patch(deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": image}])
	vs := {v.rule | some v in main.violations with input as {"action": "kubernetes.admit", "manifests": [doc]} with data.ztci.config as {"kubernetes": {"allowed_images": [prefix]}}}
	not "kubernetes.image_not_allowed" in vs
}

# A harmless kind's name in another API group is a custom resource that
# its controller may turn into anything: an unknown kind.
test_harmless_kind_in_another_group_denied if {
	every m in [
		{"apiVersion": "evil.example/v1", "kind": "Secret", "metadata": {"name": "s"}, "spec": {"image": "evil", "privileged": true}},
		{"apiVersion": "serving.example/v1", "kind": "Service", "metadata": {"name": "s"}},
		{"apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
		{"apiVersion": "crd.projectcalico.org/v1", "kind": "NetworkPolicy", "metadata": {"name": "n"}},
		{"apiVersion": ["v1"], "kind": "ConfigMap", "metadata": {"name": "c"}},
	] {
		rules([m]) == {"kubernetes.unknown_kind"}
	}
	every m in [
		{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}},
		{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"}},
		{"apiVersion": "extensions/v1beta1", "kind": "NetworkPolicy", "metadata": {"name": "n"}},
		{"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"}},
		{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "p"}},
	] {
		rules([m]) == set()
	}
	cfg := {"kubernetes": {"allowed_kinds": ["Secret"]}}
	{v.rule | some v in main.violations with input as {"action": "kubernetes.admit", "manifests": [{"apiVersion": "evil.example/v1", "kind": "Secret"}]} with data.ztci.config as cfg} == set()
}

# kubectl reads any object with an items member as a List (whatever its
# kind) and applies the items, not the object: a ConfigMap or a Deployment
# with items would smuggle a ClusterRoleBinding past the kind rules.
test_items_on_a_non_list_object_denied if {
	crb := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "pwn"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}}
	every m in [
		{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "items": [crb]},
		{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "items": []},
		{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "items": null},
		object.union(deployment, {"items": [crb]}),
	] {
		rules([m]) == {"kubernetes.malformed"}
		rules([{"kind": "List", "items": [m]}]) == {"kubernetes.malformed"}
	}
}

# The rest of the Pod Security baseline: seccomp and AppArmor profiles
# only RuntimeDefault or Localhost, SELinux options only a container type
# and a level, at pod and at container level.
test_confinement_profiles if {
	every sc in [
		{"seccompProfile": {"type": "Unconfined"}},
		{"seccompProfile": {"type": "unconfined"}},
		{"seccompProfile": {"type": 1}},
		{"seccompProfile": {}},
		{"seccompProfile": "Unconfined"},
		{"seccompProfile": {"Type": "Unconfined"}},
		{"appArmorProfile": {"type": "Unconfined"}},
		{"appArmorProfile": {"type": "RuntimeDefault", "Type": "Unconfined"}},
		{"seLinuxOptions": {"type": "spc_t"}},
		{"seLinuxOptions": {"type": "unconfined_t"}},
		{"seLinuxOptions": {"user": "system_u"}},
		{"seLinuxOptions": {"role": "system_r"}},
		{"seLinuxOptions": {"Type": "spc_t"}},
		{"seLinuxOptions": "spc_t"},
	] {
		rules([container_patch(sc)]) == {"kubernetes.privileged"}
		rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/securityContext", "value": object.union({"runAsNonRoot": true}, sc)}])]) == {"kubernetes.privileged"}
	}
	every sc in [
		{"seccompProfile": {"type": "RuntimeDefault"}},
		{"seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/app.json"}},
		{"appArmorProfile": {"type": "RuntimeDefault"}},
		{"appArmorProfile": {"type": "Localhost", "localhostProfile": "k8s-app"}},
		{"seLinuxOptions": {"type": "container_t", "level": "s0:c123,c456"}},
		{"seLinuxOptions": {"level": "s0:c1,c2", "user": "", "role": null}},
	] {
		rules([container_patch(sc)]) == set()
	}
	rules([container_patch({"SeccompProfile": {"type": "Unconfined"}})]) == {"kubernetes.case_variant_key"}
}

# The profiles older clusters read from annotations (seccomp before 1.19
# fields, AppArmor before 1.30) are judged the same way.
test_confinement_annotations if {
	every ann in [
		{"seccomp.security.alpha.kubernetes.io/pod": "unconfined"},
		{"container.seccomp.security.alpha.kubernetes.io/app": "unconfined"},
		{"container.apparmor.security.beta.kubernetes.io/app": "unconfined"},
		{"container.apparmor.security.beta.kubernetes.io/app": 1},
	] {
		rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/metadata", "value": {"annotations": ann}}])]) == {"kubernetes.privileged"}
	}
	every ann in [
		{"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"},
		{"container.seccomp.security.alpha.kubernetes.io/app": "localhost/profiles/app.json"},
		{"container.apparmor.security.beta.kubernetes.io/app": "runtime/default"},
		{"container.apparmor.security.beta.kubernetes.io/app": "localhost/k8s-app"},
		{"example.com/unconfined": "unconfined"},
	] {
		rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/metadata", "value": {"annotations": ann}}])]) == set()
	}
}

# Only the sysctls the Pod Security baseline calls safe (namespaced, and
# isolated from the node and other pods) may be set, in either spelling.
test_sysctls if {
	every s in [
		[{"name": "kernel.core_pattern", "value": "|/tmp/x"}],
		[{"name": "net.ipv4.ip_forward", "value": "1"}],
		[{"name": "kernel/msgmax", "value": "1"}],
		[{"name": "net.ipv4.ip_local_port_range.", "value": "1"}],
		[{"name": 1}],
		[{"value": "1"}],
	] {
		rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/securityContext/sysctls", "value": s}])]) == {"kubernetes.host_namespace"}
	}
	every s in ["kernel.core_pattern", {"name": "kernel.core_pattern"}, ["kernel.core_pattern"]] {
		rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/securityContext/sysctls", "value": s}])]) == {"kubernetes.malformed"}
	}
	safe := [
		{"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"},
		{"name": "net/ipv4/tcp_syncookies", "value": "1"},
		{"name": "kernel.shm_rmid_forced", "value": "1"},
	]
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/securityContext/sysctls", "value": safe}])]) == set()
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/securityContext/Sysctls", "value": safe}])]) == {"kubernetes.case_variant_key"}
}

# A Service or Secret is harmless only in its harmless shapes: a Service
# that opens ingress from outside the cluster (LoadBalancer, NodePort) or
# takes over other addresses' traffic (externalIPs: CVE-2020-8554,
# ExternalName), or a Secret that mints a service account's token, is
# denied unless its kind is listed in allowed_kinds.
test_harmless_kinds_in_harmful_shapes if {
	every m in [
		{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"externalIPs": ["203.0.113.7"], "ports": [{"port": 443}]}},
		{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"externalIPs": "203.0.113.7"}},
		{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "LoadBalancer", "ports": [{"port": 22}]}},
		{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "NodePort", "ports": [{"port": 22, "nodePort": 30022}]}},
		{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "ExternalName", "externalName": "kubernetes.default.svc"}},
		{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"type": 1}},
		{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": "LoadBalancer"},
		{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"Type": "LoadBalancer"}},
		{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "t", "annotations": {"kubernetes.io/service-account.name": "admin"}}, "type": "kubernetes.io/service-account-token"},
		{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "t"}, "Type": "kubernetes.io/service-account-token"},
	] {
		rules([m]) == {"kubernetes.unknown_kind"}
		{v.rule | some v in main.violations with input as {"action": "kubernetes.admit", "manifests": [m]} with data.ztci.config as {"kubernetes": {"allowed_kinds": ["Service", "Secret"]}}} == set()
	}
	every m in [
		{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": 443}]}},
		{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "ClusterIP", "externalIPs": []}},
		{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "ClusterIP", "clusterIP": "None"}},
		{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "t"}, "type": "Opaque"},
		{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "t"}, "type": "kubernetes.io/tls"},
	] {
		rules([m]) == set()
	}
}

test_ingress_snippets_and_open_network_policies if {
	np := {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "n"}}
	every m in [
		{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "annotations": {"nginx.ingress.kubernetes.io/server-snippet": "location /x { return 200; }"}}},
		{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "annotations": {"NGINX.ingress.kubernetes.io/Configuration-Snippet": "more_set_headers x"}}},
		{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "annotations": ["x"]}},
		object.union(np, {"spec": {"podSelector": {}, "ingress": [{}]}}),
		object.union(np, {"spec": {"podSelector": {}, "ingress": [{"ports": [{"port": 22}]}]}}),
		object.union(np, {"spec": {"podSelector": {}, "ingress": [{"from": []}]}}),
		object.union(np, {"spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}]}}),
		object.union(np, {"spec": {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}, {"ipBlock": {"cidr": "::/0"}}]}]}}),
		object.union(np, {"spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/00"}}]}]}}),
		object.union(np, {"spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "not-a-cidr"}}]}]}}),
		object.union(np, {"spec": {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}}),
		object.union(np, {"spec": {"podSelector": {}, "egress": {"to": []}}}),
		object.union(np, {"spec": {"podSelector": {}, "ingress": ["x"]}}),
		# ipBlocks that cover the world only together, or the world's
		# IPv4 half in its IPv4-mapped IPv6 spelling.
		object.union(np, {"spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/1"}}, {"ipBlock": {"cidr": "128.0.0.0/1"}}]}]}}),
		object.union(np, {"spec": {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "::/1"}}]}, {"to": [{"ipBlock": {"cidr": "8000::/1"}}]}]}}),
		object.union(np, {"spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "::ffff:0.0.0.0/96"}}]}]}}),
		# ingress-nginx annotations whose values write nginx configuration
		# (CVE-2023-5044, CVE-2025-24514, CVE-2025-1097, CVE-2025-1098).
		{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "annotations": {"nginx.ingress.kubernetes.io/permanent-redirect": "https://x;}location /y {"}}},
		{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "annotations": {"nginx.ingress.kubernetes.io/auth-url": "http://x/#\n}"}}},
	] {
		rules([m]) == {"kubernetes.unknown_kind"}
		{v.rule | some v in main.violations with input as {"action": "kubernetes.admit", "manifests": [m]} with data.ztci.config as {"kubernetes": {"allowed_kinds": ["Ingress", "NetworkPolicy"]}}} == set()
	}
	every m in [
		{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/"}}},
		{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "annotations": {"nginx.org/rewrites": "serviceName=tea rewrite=/;serviceName=coffee rewrite=/beans/"}}},
		object.union(np, {"spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
		object.union(np, {"spec": {"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]}}),
		object.union(np, {"spec": {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "a"}}}]}]}}),
		object.union(np, {"spec": {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}, {"ipBlock": {"cidr": "2001:db8::/32"}}]}]}}),
	] {
		rules([m]) == set()
	}
}

ingress_with_path(p) := {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"}, "spec": {"rules": [{"http": {"paths": [{"path": p, "pathType": "ImplementationSpecific", "backend": {"service": {"name": "app", "port": {"number": 80}}}}]}}]}}

test_ingress_path_with_nginx_syntax if {
	rules([ingress_with_path("/x { } location /y { alias /var/run/secrets/; }")]) == {"kubernetes.unknown_kind"}
	rules([ingress_with_path("/x\nalias /var/run/secrets/;")]) == {"kubernetes.unknown_kind"}
	rules([ingress_with_path("/api/v[0-9]+/(.*)")]) == set()
}

test_argocd_secrets_are_not_harmless if {
	secret := {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "c", "labels": {"argocd.argoproj.io/secret-type": "cluster"}}}
	rules([secret]) == {"kubernetes.unknown_kind"}
	rules([{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "argocd-secret"}}]) == {"kubernetes.unknown_kind"}
	rules([{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "app", "labels": {"app": "web"}}}]) == set()
}

# auth-url and mirror-target have the controller connect to the URL they
# hold: only one allowed_ingress_urls lists, exactly, in every spelling.
ingress_annotated(a) := {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "annotations": a}}

rules_listing_urls(ms) := {v.rule | some v in main.violations with input as {"action": "kubernetes.admit", "manifests": ms} with data.ztci.config as {"kubernetes": {"allowed_ingress_urls": ["https://auth.example/oauth2/auth"]}}}

test_ingress_urls_need_the_list if {
	plain := ingress_annotated({"nginx.ingress.kubernetes.io/auth-url": "https://auth.example/oauth2/auth"})
	rules([plain]) == {"kubernetes.unknown_kind"}
	rules_listing_urls([plain]) == set()
	every a in [
		{"nginx.ingress.kubernetes.io/auth-url": "http://169.254.169.254/latest/meta-data/"},
		{"nginx.ingress.kubernetes.io/mirror-target": "http://admin.other.svc.cluster.local"},
		{"nginx.ingress.kubernetes.io/auth-url": "https://auth.example/oauth2/auth", "nginx.ingress.kubernetes.io/Auth-URL": "http://10.0.0.1/"},
		{"nginx.ingress.kubernetes.io/auth-url": "https://auth.example/oauth2/auth/"},
		{"nginx.ingress.kubernetes.io/auth-url": ["https://auth.example/oauth2/auth"]},
	] {
		rules_listing_urls([ingress_annotated(a)]) == {"kubernetes.unknown_kind"}
	}
}

nginx_cm(d) := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ingress-nginx-controller"}, "data": d}

test_nginx_configmap_source_ranges_and_loosening if {
	rules([nginx_cm({"block-cidrs": ""})]) == {"kubernetes.unknown_kind"}
	rules([nginx_cm({"whitelist-source-range": "0.0.0.0/0"})]) == {"kubernetes.unknown_kind"}
	rules([nginx_cm({"no-auth-locations": "/"})]) == {"kubernetes.unknown_kind"}
	rules([nginx_cm({"allow-ſnippet-annotations": "true"})]) == {"kubernetes.unknown_kind"}
	rules([nginx_cm({"no-auth-locations": "/.well-known/acme-challenge"})]) == set()
}

test_nginx_satisfy_any if {
	rules([ingress_annotated({"nginx.ingress.kubernetes.io/satisfy": "any"})]) == {"kubernetes.unknown_kind"}
	rules([ingress_annotated({"nginx.ingress.kubernetes.io/satisfy": "all"})]) == set()
}
