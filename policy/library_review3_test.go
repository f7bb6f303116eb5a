package policy_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestLibraryReviewRegressionsThird feeds the inputs a third review found
// allowed, or left undecided, through the real entry point: objects a
// harmless kind carries that kubectl applies in its place, the Pod
// Security baseline's confinement controls, harmless kinds in harmful
// shapes, and a bucket made public by its own policy. Each must now be
// denied with the named rule, not allowed and not an evaluation error;
// the ordinary cases stay allowed.
func TestLibraryReviewRegressionsThird(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())

	pinned := "ghcr.io/acme/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	admit := func(ms ...map[string]any) policy.Input {
		return policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: ms}
	}
	pod := func(podSC, containerSC map[string]any) policy.Input {
		podSC["runAsNonRoot"] = true
		containerSC["allowPrivilegeEscalation"] = false
		return admit(map[string]any{
			"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"},
			"spec": map[string]any{
				"securityContext": podSC,
				"containers":      []any{map[string]any{"name": "c", "image": pinned, "securityContext": containerSC}},
			},
		})
	}
	annotated := func(annotations map[string]any) policy.Input {
		in := pod(map[string]any{}, map[string]any{})
		in.Manifests[0]["metadata"] = map[string]any{"name": "p", "annotations": annotations}
		return in
	}
	clusterAdmin := map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": map[string]any{"name": "pwn"},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
		"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": "default", "namespace": "default"}},
	}
	rc := func(typ string, actions []any, after any) map[string]any {
		return map[string]any{"address": typ + ".x", "type": typ, "change": map[string]any{"actions": actions, "after": after}}
	}
	plan := func(rcs ...any) policy.Input {
		return policy.Input{Action: policy.ActionTerraformApply, TerraformPlan: map[string]any{"format_version": "1.2", "resource_changes": rcs}}
	}
	policyDoc := func(statement map[string]any) string {
		b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{statement}})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	create := []any{"create"}

	for _, tc := range []struct {
		name string
		in   policy.Input
		rule string
	}{
		{"ConfigMap whose items kubectl applies as a List", admit(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"}, "items": []any{clusterAdmin}}), "kubernetes.malformed"},
		{"seccomp Unconfined at pod level", pod(map[string]any{"seccompProfile": map[string]any{"type": "Unconfined"}}, map[string]any{}), "kubernetes.privileged"},
		{"AppArmor Unconfined at container level", pod(map[string]any{}, map[string]any{"appArmorProfile": map[string]any{"type": "Unconfined"}}), "kubernetes.privileged"},
		{"SELinux spc_t", pod(map[string]any{}, map[string]any{"seLinuxOptions": map[string]any{"type": "spc_t"}}), "kubernetes.privileged"},
		{"AppArmor unconfined annotation", annotated(map[string]any{"container.apparmor.security.beta.kubernetes.io/c": "unconfined"}), "kubernetes.privileged"},
		{"unsafe sysctl", pod(map[string]any{"sysctls": []any{map[string]any{"name": "kernel.core_pattern", "value": "|/tmp/x"}}}, map[string]any{}), "kubernetes.host_namespace"},
		{"Service with externalIPs", admit(map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "s"}, "spec": map[string]any{"externalIPs": []any{"203.0.113.7"}}}), "kubernetes.unknown_kind"},
		{"LoadBalancer Service", admit(map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "s"}, "spec": map[string]any{"type": "LoadBalancer"}}), "kubernetes.unknown_kind"},
		{"service account token Secret", admit(map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "t"}, "type": "kubernetes.io/service-account-token"}), "kubernetes.unknown_kind"},
		{"bucket policy open to everyone", plan(rc("aws_s3_bucket", create, map[string]any{"bucket": "b", "policy": policyDoc(map[string]any{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})})), "terraform.public_bucket"},
		{"bucket policy unknown until apply", plan(map[string]any{"address": "aws_s3_bucket.x", "type": "aws_s3_bucket", "change": map[string]any{"actions": create, "after": map[string]any{"bucket": "b"}, "after_unknown": map[string]any{"policy": true}}}), "terraform.unknown_value"},
		{"canned ACL in upper case", plan(rc("aws_s3_bucket_acl", create, map[string]any{"acl": "PUBLIC-READ"})), "terraform.public_bucket"},
	} {
		wantDeny(t, e, tc.name, tc.in, tc.rule)
	}

	// The fixes leave the ordinary cases alone; deleting a bucket of a
	// deletable type was an evaluation error (object.get on its null after).
	cfg := acmeConfig()
	cfg.Terraform.DeletableTypes = []string{"aws_s3_bucket"}
	deletable := newConfigured(t, cfg)
	for _, tc := range []struct {
		e  *policy.Engine
		in policy.Input
	}{
		{e, pod(map[string]any{"seccompProfile": map[string]any{"type": "RuntimeDefault"}}, map[string]any{"seLinuxOptions": map[string]any{"level": "s0:c1,c2"}})},
		{e, pod(map[string]any{"sysctls": []any{map[string]any{"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"}}}, map[string]any{})},
		{e, annotated(map[string]any{"container.apparmor.security.beta.kubernetes.io/c": "runtime/default"})},
		{e, admit(map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "s"}, "spec": map[string]any{"type": "ClusterIP"}})},
		{e, plan(rc("aws_s3_bucket", create, map[string]any{"bucket": "b", "policy": policyDoc(map[string]any{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}})}))},
		{deletable, plan(rc("aws_s3_bucket", []any{"delete"}, nil))},
	} {
		if d, err := tc.e.Evaluate(context.Background(), tc.in); err != nil || !d.Allowed {
			t.Errorf("%s: denied (%v, %v), want allowed", tc.in.Action, rules(d), err)
		}
	}
}
