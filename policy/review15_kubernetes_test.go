package policy_test

import (
	"context"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestLibraryReviewRegressionsFifteenthKubernetes feeds the manifests the
// fifteenth review found allowed through the real entry point: members
// the rules read spelled in another case where the case check did not
// look (a NetworkPolicy's rules and peers, the metadata's annotations),
// or in a spelling only Unicode case folding, as Go's encoding/json
// does it, matches ("hoſtNetwork" with a long s, "Kind" with the Kelvin
// sign); and probes and lifecycle hooks that name a host, which the Pod
// Security baseline forbids from Kubernetes 1.34. Each must be denied
// with the named rule; the ordinary cases stay allowed.
func TestLibraryReviewRegressionsFifteenthKubernetes(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())

	pinned := "ghcr.io/acme/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	admit := func(ms ...map[string]any) policy.Input {
		return policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: ms}
	}
	container := func(extra map[string]any) map[string]any {
		c := map[string]any{"name": "app", "image": pinned, "securityContext": map[string]any{"allowPrivilegeEscalation": false}}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	podSpec := func(extra map[string]any, c map[string]any) map[string]any {
		s := map[string]any{"securityContext": map[string]any{"runAsNonRoot": true}, "containers": []any{c}}
		for k, v := range extra {
			s[k] = v
		}
		return s
	}
	pod := func(extra map[string]any, c map[string]any) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"}, "spec": podSpec(extra, c)}
	}
	deployment := func(metadata map[string]any, c map[string]any) map[string]any {
		return map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "d"},
			"spec": map[string]any{"template": map[string]any{"metadata": metadata, "spec": podSpec(nil, c)}}}
	}
	netpol := func(spec map[string]any) map[string]any {
		spec["podSelector"] = map[string]any{}
		return map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": map[string]any{"name": "n"}, "spec": spec}
	}
	ingress := func(metadata map[string]any) map[string]any {
		metadata["name"] = "i"
		return map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": map[string]any{}}
	}
	probe := func(handler, action, host string) map[string]any {
		return map[string]any{handler: map[string]any{action: map[string]any{"host": host, "port": 80}}}
	}
	peers := func(ps ...any) []any { return []any{map[string]any{"from": ps}} }

	for _, tc := range []struct {
		name string
		in   policy.Input
		rule string
	}{
		// Members of a NetworkPolicy and of object metadata in another case.
		{"NetworkPolicy Ingress rule admitting everything", admit(netpol(map[string]any{"Ingress": []any{map[string]any{}}})), "kubernetes.case_variant_key"},
		{"NetworkPolicy Egress rule admitting everything", admit(netpol(map[string]any{"Egress": []any{map[string]any{}}})), "kubernetes.case_variant_key"},
		{"NetworkPolicy From beside a narrow from", admit(netpol(map[string]any{"ingress": []any{map[string]any{
			"from": []any{map[string]any{"podSelector": map[string]any{}}}, "From": []any{}}}})), "kubernetes.case_variant_key"},
		{"NetworkPolicy IpBlock of the world", admit(netpol(map[string]any{"ingress": peers(map[string]any{"IpBlock": map[string]any{"cidr": "0.0.0.0/0"}})})), "kubernetes.case_variant_key"},
		{"NetworkPolicy Cidr of the world", admit(netpol(map[string]any{"ingress": peers(map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.0/8", "Cidr": "0.0.0.0/0"}})})), "kubernetes.case_variant_key"},
		{"Ingress snippet under Annotations", admit(ingress(map[string]any{"Annotations": map[string]any{"nginx.ingress.kubernetes.io/server-snippet": "location / { return 200; }"}})), "kubernetes.case_variant_key"},
		{"pod template seccomp Unconfined under Annotations", admit(deployment(map[string]any{"Annotations": map[string]any{"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}}, container(nil))), "kubernetes.case_variant_key"},

		// Unicode case folding: "ſ" (U+017F) is "s", "K" (U+212A) is "k".
		{"hoſtNetwork", admit(pod(map[string]any{"hoſtNetwork": true}, container(nil))), "kubernetes.case_variant_key"},
		{"hoſtPath volume", admit(pod(map[string]any{"volumes": []any{map[string]any{"name": "root", "hoſtPath": map[string]any{"path": "/"}}}}, container(nil))), "kubernetes.case_variant_key"},
		{"ſecurityContext privileged", admit(pod(nil, container(map[string]any{"ſecurityContext": map[string]any{"privileged": true, "allowPrivilegeEscalation": false}}))), "kubernetes.case_variant_key"},
		{"Kelvin-sign Kind", admit(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "\u212aind": "Pod", "metadata": map[string]any{"name": "c"}}), "kubernetes.case_variant_key"},

		// Probes and lifecycle hooks that name a host, in every container list.
		{"liveness httpGet host", admit(pod(nil, container(probe("livenessProbe", "httpGet", "169.254.169.254")))), "kubernetes.host_namespace"},
		{"readiness tcpSocket host", admit(pod(nil, container(probe("readinessProbe", "tcpSocket", "127.0.0.1")))), "kubernetes.host_namespace"},
		{"startup httpGet host", admit(pod(nil, container(probe("startupProbe", "httpGet", "metadata.google.internal")))), "kubernetes.host_namespace"},
		{"postStart httpGet host", admit(pod(nil, container(map[string]any{"lifecycle": probe("postStart", "httpGet", "10.0.0.1")}))), "kubernetes.host_namespace"},
		{"preStop tcpSocket host", admit(pod(nil, container(map[string]any{"lifecycle": probe("preStop", "tcpSocket", "10.0.0.1")}))), "kubernetes.host_namespace"},
		{"init container probe host in a CronJob", admit(map[string]any{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": map[string]any{"name": "c"},
			"spec": map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
				"securityContext": map[string]any{"runAsNonRoot": true},
				"containers":      []any{container(nil)},
				"initContainers":  []any{container(probe("startupProbe", "tcpSocket", "169.254.169.254"))},
			}}}}}}), "kubernetes.host_namespace"},
		{"probe host of another type", admit(pod(nil, container(map[string]any{"livenessProbe": map[string]any{"httpGet": map[string]any{"host": []any{"10.0.0.1"}, "port": 80}}}))), "kubernetes.host_namespace"},
		{"probe Host", admit(pod(nil, container(map[string]any{"livenessProbe": map[string]any{"httpGet": map[string]any{"Host": "169.254.169.254", "port": 80}}}))), "kubernetes.case_variant_key"},
	} {
		wantDeny(t, e, tc.name, tc.in, tc.rule)
	}

	// The fixes leave the ordinary cases alone.
	for _, tc := range []struct {
		name string
		in   policy.Input
	}{
		{"probes and hooks without a host", admit(pod(nil, container(map[string]any{
			"livenessProbe":  map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": 8080, "httpHeaders": []any{map[string]any{"name": "Host", "value": "app.example"}}}},
			"readinessProbe": map[string]any{"tcpSocket": map[string]any{"port": 8080, "host": ""}},
			"startupProbe":   map[string]any{"exec": map[string]any{"command": []any{"true"}}},
			"lifecycle":      map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 5}}},
		})))},
		{"narrow NetworkPolicy", admit(netpol(map[string]any{"ingress": peers(map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.0/8"}}),
			"egress": []any{map[string]any{"to": []any{map[string]any{"podSelector": map[string]any{}}}}}}))},
		{"Ingress with plain annotations and a host rule", admit(map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
			"metadata": map[string]any{"name": "i", "annotations": map[string]any{"nginx.ingress.kubernetes.io/rewrite-target": "/"}},
			"spec":     map[string]any{"rules": []any{map[string]any{"host": "app.example"}}}})},
		{"labels and annotations with any key", admit(deployment(map[string]any{
			"labels":      map[string]any{"Host": "x", "Ingress": "y", "ſ": "z"},
			"annotations": map[string]any{"From": "a", "To": "b"},
		}, container(nil)))},
	} {
		if d, err := e.Evaluate(context.Background(), tc.in); err != nil || !d.Allowed {
			t.Errorf("%s: denied (%v, %v), want allowed", tc.name, rules(d), err)
		}
	}
}
