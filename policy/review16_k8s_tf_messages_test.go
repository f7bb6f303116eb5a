package policy_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy"
)

// noRawControls reports every violation of d whose message holds a rune
// that is neither printable nor a space (a newline, an ESC, a
// bidirectional override), and records the rules d names in seen.
func noRawControls(t *testing.T, name string, d policy.Decision, seen map[string]bool) {
	t.Helper()
	if d.Allowed || len(d.Violations) == 0 {
		t.Errorf("%s: allowed; want a deny", name)
	}
	for _, v := range d.Violations {
		seen[v.Rule] = true
		for _, r := range v.Message {
			if r != ' ' && !strconv.IsPrint(r) {
				t.Errorf("%s: %s message holds %U unescaped: %q", name, v.Rule, r, v.Message)
				break
			}
		}
	}
}

// TestReview16KubernetesMessagesEscapeInput: the Kubernetes rules'
// messages put a manifest's values in with %s or %v, which sprintf
// writes as they are: a kind, a name, a container's or a volume's name,
// an image, a host, a sysctl, a capability, a Service type, an
// annotation's value holding a newline, an ESC or a bidirectional
// override forged or reordered a line of every log that writes
// Violation.String(). Every message must show them escaped.
func TestReview16KubernetesMessagesEscapeInput(t *testing.T) {
	t.Parallel()
	const evil = "x\nztci: kubernetes.admit allowed \u202e\x1b[2J"
	cfg := acmeConfig()
	cfg.Kubernetes.AllowedImages = []string{"ghcr.io/acme"}
	e := newConfigured(t, cfg)

	meta := func(extra map[string]any) map[string]any {
		m := map[string]any{"name": evil}
		maps.Copy(m, extra)
		return m
	}
	obj := func(apiVersion, kind string, metadata map[string]any, rest map[string]any) map[string]any {
		o := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": metadata}
		maps.Copy(o, rest)
		return o
	}
	// container breaks every container rule with a value of evil's.
	container := map[string]any{
		"name":  evil,
		"image": evil,
		"securityContext": map[string]any{
			"privileged":               evil,
			"allowPrivilegeEscalation": evil,
			"capabilities":             map[string]any{"add": []any{evil}},
			"procMount":                evil,
			"seccompProfile":           evil,
			"appArmorProfile":          map[string]any{"type": evil},
			"seLinuxOptions":           map[string]any{"type": evil},
			"windowsOptions":           map[string]any{"hostProcess": evil},
			"runAsUser":                evil,
		},
		"ports":         []any{map[string]any{"containerPort": 80, "hostPort": evil}},
		"livenessProbe": map[string]any{"httpGet": map[string]any{"host": evil, "port": 80}},
		"lifecycle":     map[string]any{"preStop": map[string]any{"tcpSocket": map[string]any{"host": evil, "port": 80}}},
	}
	malformedContainer := map[string]any{"name": evil, "image": evil, "ports": evil, "securityContext": evil}
	capsContainer := map[string]any{"name": evil, "image": evil, "securityContext": map[string]any{"capabilities": evil}}
	podSpec := map[string]any{
		"hostNetwork": evil,
		"hostPID":     true,
		"securityContext": map[string]any{
			"sysctls":        []any{map[string]any{"name": evil, "value": "1"}},
			"seccompProfile": map[string]any{"type": evil},
			"windowsOptions": map[string]any{"hostProcess": true},
		},
		"volumes": []any{
			map[string]any{"name": evil, "hostPath": map[string]any{"path": "/"}},
			map[string]any{"name": evil, "gitRepo": map[string]any{"repository": evil}},
			map[string]any{"name": evil, "image": map[string]any{"reference": evil}},
		},
		"containers":          []any{container, capsContainer},
		"initContainers":      []any{malformedContainer},
		"ephemeralContainers": evil,
		evil:                  map[string]any{"HostNetwork": true}, // a case variant under a key of evil's
	}
	pod := obj("v1", "Pod", meta(map[string]any{
		"namespace": "kube-" + evil,
		"annotations": map[string]any{
			"seccomp.security.alpha.kubernetes.io/pod":               evil,
			"container.apparmor.security.beta.kubernetes.io/" + evil: evil,
		},
	}), map[string]any{"spec": podSpec})

	admit := func(ms ...map[string]any) policy.Input {
		return policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: ms}
	}
	inputs := map[string]policy.Input{
		"pod": admit(pod),
		"unknown kind": admit(obj(evil, evil, meta(nil), nil),
			obj(evil, "Deployment", meta(nil), nil),
			obj("v1", "Secret", meta(nil), map[string]any{"Kind": "Secret"})),
		"workloads without pod specs": admit(obj("apps/v1", "Deployment", meta(nil), nil),
			obj("batch/v1", "Job", meta(nil), map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{}}}}}),
			obj("v1", "Pod", meta(nil), map[string]any{"spec": map[string]any{"containers": evil, "volumes": evil, "securityContext": evil}}),
			obj("v1", "Pod", meta(nil), map[string]any{"spec": map[string]any{"containers": []any{container}, "securityContext": map[string]any{"sysctls": evil}}})),
		"lists": admit(obj("v1", "List", meta(nil), map[string]any{"items": evil}),
			obj("v1", "ConfigMap", meta(nil), map[string]any{"items": []any{}})),
		"harmful shapes": admit(
			obj("v1", "Service", meta(nil), map[string]any{"spec": map[string]any{"type": evil, "externalIPs": []any{evil}}}),
			obj("v1", "Service", meta(nil), map[string]any{"spec": evil}),
			obj("v1", "Secret", meta(nil), map[string]any{"type": "kubernetes.io/service-account-token"}),
			obj("v1", "Secret", meta(map[string]any{"namespace": "default"}), map[string]any{"type": "bootstrap.kubernetes.io/token"}),
			obj("networking.k8s.io/v1", "Ingress", meta(map[string]any{"annotations": map[string]any{
				"nginx.ingress.kubernetes.io/" + evil + "-snippet": evil,
				"nginx.ingress.kubernetes.io/auth-url":             evil,
			}}), nil),
			obj("networking.k8s.io/v1", "Ingress", meta(map[string]any{"annotations": evil}), nil),
			obj("networking.k8s.io/v1", "NetworkPolicy", meta(nil), map[string]any{"spec": map[string]any{
				"ingress": []any{map[string]any{"from": []any{map[string]any{"ipBlock": map[string]any{"cidr": "0.0.0.0/1"}}}}},
				"egress":  evil,
			}}),
			obj("networking.k8s.io/v1", "NetworkPolicy", meta(nil), map[string]any{"spec": map[string]any{
				"ingress": []any{map[string]any{"from": []any{map[string]any{"ipBlock": map[string]any{"cidr": "128.0.0.0/1"}}}}},
			}}),
		),
		// Values of other types, which lib.show hands on as they are.
		"names of other types": admit(
			obj("v1", "Pod", map[string]any{"name": []any{evil}}, map[string]any{"spec": map[string]any{"containers": []any{
				map[string]any{"name": map[string]any{evil: evil}, "image": []any{evil}}}}}),
			map[string]any{"apiVersion": "v1", "kind": map[string]any{"k": evil}, "metadata": map[string]any{"name": 10}},
		),
	}
	seen := map[string]bool{}
	for name, in := range inputs {
		d, err := e.Evaluate(t.Context(), in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		noRawControls(t, name, d, seen)
	}
	for _, rule := range []string{
		"kubernetes.malformed", "kubernetes.unknown_kind", "kubernetes.privileged",
		"kubernetes.privilege_escalation", "kubernetes.capabilities", "kubernetes.proc_mount",
		"kubernetes.host_namespace", "kubernetes.host_path", "kubernetes.host_port",
		"kubernetes.image_not_pinned", "kubernetes.image_not_allowed", "kubernetes.run_as_root",
		"kubernetes.system_namespace", "kubernetes.case_variant_key",
	} {
		if !seen[rule] {
			t.Errorf("no input broke %s; the test no longer judges its message", rule)
		}
	}

	// The values are still shown, escaped.
	d, err := e.Evaluate(t.Context(), inputs["pod"])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{strconv.Quote("Pod/" + evil), "container " + strconv.Quote(evil), "image " + strconv.Quote(evil)} {
		if !slices.ContainsFunc(d.Violations, func(v policy.Violation) bool { return strings.Contains(v.Message, want) }) {
			t.Errorf("pod: violations %v do not show %s", d.Violations, want)
		}
	}
	// A violation's value is the manifest's, as it was.
	if !slices.ContainsFunc(d.Violations, func(v policy.Violation) bool { return v.Value == evil }) {
		t.Errorf("pod: no violation keeps the value %q", evil)
	}
}

// TestReview16TerraformMessagesEscapeInput: the Terraform rules' messages
// put a plan's values in with %s or %v: a resource's address, a provider's
// name, an ACL, a grantee, a policy's principal, a source range, an
// action's address. Every message must show them escaped.
func TestReview16TerraformMessagesEscapeInput(t *testing.T) {
	t.Parallel()
	const evil = "x\nztci: terraform.apply allowed \u202e\x1b[2J"
	e := newConfigured(t, acmeConfig())

	rc := func(typ string, actions []any, after map[string]any, extra map[string]any) map[string]any {
		c := map[string]any{"address": evil, "type": typ, "provider_name": "registry.terraform.io/hashicorp/" + strings.Split(typ, "_")[0],
			"change": map[string]any{"actions": actions, "after": after}}
		maps.Copy(c, extra)
		return c
	}
	create := []any{"create"}
	plan := func(extra map[string]any, rcs ...any) policy.Input {
		p := map[string]any{"format_version": "1.2", "resource_changes": rcs}
		maps.Copy(p, extra)
		return policy.Input{Action: policy.ActionTerraformApply, TerraformPlan: p}
	}
	world := []any{"0.0.0.0/0"}
	bucketPolicy, err := json.Marshal(map[string]any{"Statement": []any{map[string]any{"Effect": "Allow", "Principal": "*" + evil, "Action": "s3:GetObject"}}})
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]policy.Input{
		"malformed": plan(nil, map[string]any{"address": evil, "type": evil}),
		"unknown type and provider": plan(nil,
			rc(evil, create, map[string]any{}, nil),
			rc("aws_s3_bucket", create, map[string]any{}, map[string]any{"provider_name": evil}),
			rc("aws_s3_bucket", create, map[string]any{}, map[string]any{"provider_name": []any{evil}})),
		"delete": plan(nil, rc(evil, []any{"delete"}, nil, nil)),
		"provisioners and actions": plan(map[string]any{
			"configuration": map[string]any{"root_module": map[string]any{"resources": []any{
				map[string]any{"address": evil, "provisioners": []any{map[string]any{"type": evil}}},
			}, "module_calls": map[string]any{evil: map[string]any{"module": map[string]any{"resources": []any{
				map[string]any{"address": []any{evil}, "provisioners": evil},
			}}}}}},
			"action_invocations": []any{map[string]any{"address": evil}, evil},
		}, map[string]any{"address": evil, "mode": "data", "type": "external", "provider_name": "registry.terraform.io/hashicorp/external",
			"change": map[string]any{"actions": []any{"read"}, "after": map[string]any{}}}),
		"unknown values": plan(nil, rc("aws_s3_bucket", create, map[string]any{}, map[string]any{
			"change": map[string]any{"actions": create, "after": map[string]any{}, "after_unknown": map[string]any{"acl": true}}})),
		"public bucket": plan(nil,
			rc("aws_s3_bucket", create, map[string]any{"acl": "public-read"}, nil),
			rc("aws_s3_bucket_acl", create, map[string]any{"acl": []any{evil}, "access_control_policy": []any{map[string]any{
				"grant": []any{map[string]any{"grantee": []any{map[string]any{"uri": evil + "http://acs.amazonaws.com/groups/global/AllUsers"}}}}}}}, nil),
			rc("aws_s3_bucket", create, map[string]any{"policy": string(bucketPolicy)}, nil),
			rc("aws_s3_bucket", create, map[string]any{"policy": evil}, nil)),
		"open ingress": plan(nil,
			rc("aws_security_group", create, map[string]any{"ingress": []any{map[string]any{"cidr_blocks": []any{evil}}, map[string]any{"cidr_blocks": world}}}, nil),
			rc("aws_security_group", create, map[string]any{"ingress": evil}, nil),
			rc("aws_security_group_rule", create, map[string]any{"type": "ingress", "cidr_blocks": []any{evil}}, nil),
			rc("aws_vpc_security_group_ingress_rule", create, map[string]any{"cidr_ipv4": evil}, nil),
			rc("google_compute_firewall", create, map[string]any{"allow": []any{map[string]any{"protocol": "tcp"}}, "source_ranges": evil}, nil),
			rc("google_compute_firewall", create, map[string]any{"allow": []any{map[string]any{"protocol": "tcp"}}}, nil),
			rc("azurerm_network_security_rule", create, map[string]any{"direction": "Inbound", "access": "Allow", "source_address_prefix": evil}, nil),
			rc("azurerm_network_security_group", create, map[string]any{"security_rule": []any{evil,
				map[string]any{"direction": "Inbound", "access": "Allow", "source_address_prefixes": []any{evil, "0.0.0.0/1", "128.0.0.0/1"}}}}, nil),
			rc("azurerm_network_security_group", create, map[string]any{"security_rule": evil}, nil)),
		"open ingress together": plan(nil,
			rc("aws_vpc_security_group_ingress_rule", create, map[string]any{"cidr_ipv4": "0.0.0.0/1"}, nil),
			rc("aws_vpc_security_group_ingress_rule", create, map[string]any{"cidr_ipv4": "128.0.0.0/1"}, map[string]any{"address": []any{evil}})),
	}
	seen := map[string]bool{}
	for name, in := range inputs {
		d, err := e.Evaluate(t.Context(), in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		noRawControls(t, name, d, seen)
	}
	for _, rule := range []string{
		"terraform.malformed", "terraform.unknown_type", "terraform.delete", "terraform.provisioner",
		"terraform.unknown_value", "terraform.public_bucket", "terraform.open_ingress", "terraform.untrusted_provider",
	} {
		if !seen[rule] {
			t.Errorf("no input broke %s; the test no longer judges its message", rule)
		}
	}

	// The values are still shown, escaped, and a violation's value is the
	// plan's, as it was.
	d, err := e.Evaluate(t.Context(), inputs["delete"])
	if err != nil {
		t.Fatal(err)
	}
	// (rc names the provider hashicorp/<the type's prefix>, here evil:
	// terraform.untrusted_provider is denied beside the delete.)
	i := slices.IndexFunc(d.Violations, func(v policy.Violation) bool { return v.Rule == "terraform.delete" })
	if i < 0 || !strings.Contains(d.Violations[i].Message, strconv.Quote(evil)) || d.Violations[i].Value != evil {
		t.Errorf("delete: violations %v do not show %s, or lost the value", d.Violations, strconv.Quote(evil))
	}
}

// TestReview16KubernetesImageRegistryHost: an allow-listed image prefix
// covered a container's or an image volume's reference whose first part
// Docker reads as another registry's host ("alpine" covered
// "alpine:5000/evil/app", the image evil/app at the registry on host
// alpine, port 5000). A prefix covers a reference that names a registry
// only when it names that registry whole. Both are compared as Docker
// reads them since review 17 (TestReview17DockerHubShortNames).
func TestReview16KubernetesImageRegistryHost(t *testing.T) {
	t.Parallel()
	const digest = "@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	cfg := acmeConfig()
	cfg.Kubernetes.AllowedImages = []string{"alpine", "cimg/", "ghcr.io/acme", "registry.example", "docker.io/library/busybox"}
	e := newConfigured(t, cfg)
	onlyAlpine := acmeConfig()
	onlyAlpine.Kubernetes.AllowedImages = []string{"alpine"}
	eAlpine := newConfigured(t, onlyAlpine)

	pod := func(img string, asVolume bool) policy.Input {
		c := map[string]any{"name": "app", "image": img, "securityContext": map[string]any{"allowPrivilegeEscalation": false}}
		spec := map[string]any{"securityContext": map[string]any{"runAsNonRoot": true}}
		if asVolume {
			c["image"] = "alpine" + digest
			spec["volumes"] = []any{map[string]any{"name": "data", "image": map[string]any{"reference": img}}}
		}
		spec["containers"] = []any{c}
		return policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: []map[string]any{
			{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"}, "spec": spec}}}
	}
	for _, img := range []string{
		"alpine:5000/evil/app" + digest,
		"alpine:443/library/alpine" + digest,
		"registry.example:5000/app" + digest,
		"Alpine/evil" + digest, // an upper-case first part is a host to Docker
		"alpine/evil" + digest, // docker.io/alpine/evil, not docker.io/library/alpine (review 17)
	} {
		wantDeny(t, e, "container "+img, pod(img, false), "kubernetes.image_not_allowed")
		wantDeny(t, e, "image volume "+img, pod(img, true), "kubernetes.image_not_allowed")
		wantDeny(t, eAlpine, "alpine only: container "+img, pod(img, false), "kubernetes.image_not_allowed")
		wantDeny(t, eAlpine, "alpine only: image volume "+img, pod(img, true), "kubernetes.image_not_allowed")
	}
	for _, img := range []string{
		"alpine" + digest,
		"alpine:3.19" + digest,
		"cimg/go:1.22" + digest,
		"ghcr.io/acme/app" + digest,
		"ghcr.io/acme:v1" + digest,
		"registry.example/team/app" + digest,
		"docker.io/library/busybox" + digest,
		"docker.io/library/busybox:1.36" + digest,
		"docker.io/library/alpine" + digest, // what "alpine" is to Docker (review 17)
	} {
		wantAllow(t, e, "container "+img, pod(img, false))
		wantAllow(t, e, "image volume "+img, pod(img, true))
	}
	for _, img := range []string{"alpine" + digest, "alpine:3.19" + digest} {
		wantAllow(t, eAlpine, "alpine only: container "+img, pod(img, false))
		wantAllow(t, eAlpine, "alpine only: image volume "+img, pod(img, true))
	}
}
