package ztci.kubernetes_test

import data.ztci.main

pinned := "ghcr.io/acme/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

deployment := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "app"},
	"spec": {"template": {"spec": {
		"securityContext": {"runAsNonRoot": true},
		"containers": [{"name": "app", "image": pinned}],
	}}},
}

rules(manifests) := {v.rule | some v in main.violations with input as {"action": "kubernetes.admit", "manifests": manifests} with data.ztci.config as {}}

test_good_deployment if {
	rules([deployment]) == set()
}

test_privileged_container if {
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/securityContext", "value": {"privileged": true}}])]) == {"kubernetes.privileged"}
}

test_host_network if {
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/hostNetwork", "value": true}])]) == {"kubernetes.host_namespace"}
}

test_unpinned_image if {
	rules([json.patch(deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "ghcr.io/acme/app:latest"}])]) == {"kubernetes.image_not_pinned"}
}

test_root_container_in_cronjob if {
	cj := {"kind": "CronJob", "metadata": {"name": "nightly"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job", "image": pinned}]}}}}}}
	rules([cj]) == {"kubernetes.run_as_root"}
}

test_container_overrides_pod_non_root if {
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/securityContext", "value": {"runAsNonRoot": false}}])]) == {"kubernetes.run_as_root"}
}

test_init_container_checked if {
	rules([json.patch(deployment, [{"op": "add", "path": "/spec/template/spec/initContainers", "value": [{"name": "init", "image": "busybox", "securityContext": {"runAsNonRoot": true}}]}])]) == {"kubernetes.image_not_pinned"}
}

test_image_allow_list if {
	vs := {v.rule | some v in main.violations with input as {"action": "kubernetes.admit", "manifests": [deployment]} with data.ztci.config as {"kubernetes": {"allowed_images": ["registry.internal/"]}}}
	vs == {"kubernetes.image_not_allowed"}
}
