package policy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ztci/ztci/policy"
)

// review21Pinned is an allow-listed image pinned by digest.
const review21Pinned = "ghcr.io/acme/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

// review21PodSpec is a pod spec the rules accept, with volumes.
func review21PodSpec(volumes ...any) map[string]any {
	s := map[string]any{
		"securityContext": map[string]any{"runAsNonRoot": true},
		"containers": []any{map[string]any{"name": "app", "image": review21Pinned,
			"securityContext": map[string]any{"allowPrivilegeEscalation": false}}},
	}
	if len(volumes) > 0 {
		s["volumes"] = volumes
	}
	return s
}

// review21Workloads wraps spec in each pod-bearing kind the rules walk.
func review21Workloads(spec map[string]any) map[string]map[string]any {
	tmpl := map[string]any{"spec": spec}
	meta := map[string]any{"name": "w"}
	return map[string]map[string]any{
		"Pod":         {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec},
		"PodTemplate": {"apiVersion": "v1", "kind": "PodTemplate", "metadata": meta, "template": tmpl},
		"ReplicaSet":  {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta, "spec": map[string]any{"template": tmpl}},
		"Deployment":  {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": map[string]any{"template": tmpl}},
		"StatefulSet": {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta, "spec": map[string]any{"template": tmpl}},
		"DaemonSet":   {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta, "spec": map[string]any{"template": tmpl}},
		"Job":         {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": map[string]any{"template": tmpl}},
		"CronJob": {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
			"spec": map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": tmpl}}}},
		"List": {"apiVersion": "v1", "kind": "List", "items": []any{
			map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}}},
	}
}

func review21Admit(ms ...map[string]any) policy.Input {
	return policy.Input{Action: policy.ActionKubernetesAdmit, Manifests: ms}
}

func review21Allowed(t *testing.T, e *policy.Engine, name string, in policy.Input) {
	t.Helper()
	if d, err := e.Evaluate(context.Background(), in); err != nil || !d.Allowed {
		t.Errorf("%s: denied (%v, %v), want allowed", name, rules(d), err)
	}
}

// TestReview21KubernetesVolumeTypes: the Pod Security baseline, which the
// rules followed, allows every volume source but hostPath; nfs, iscsi,
// rbd, cephfs, glusterfs, fc, flexVolume, portworxVolume and the cloud
// disks have the kubelet mount, from the node, a server or disk the pod
// names (an NFS export of another tenant's data, an iSCSI target only the
// node's network reaches, a flexVolume driver run as root with the pod's
// options). Only the restricted profile's sources are accepted unless
// allowed_volume_types lists another; an inline csi volume only for a
// driver in allowed_csi_drivers. Each pod-bearing kind is judged, and a
// source in another case is not taken for the one it folds to.
func TestReview21KubernetesVolumeTypes(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())

	sources := map[string]map[string]any{
		"nfs":                  {"server": "10.0.0.5", "path": "/exports"},
		"iscsi":                {"targetPortal": "10.0.0.6:3260", "iqn": "iqn.2001-04.com.example:storage", "lun": 0},
		"rbd":                  {"monitors": []any{"10.0.0.7:6789"}, "image": "img"},
		"cephfs":               {"monitors": []any{"10.0.0.7:6789"}},
		"glusterfs":            {"endpoints": "gluster", "path": "vol"},
		"fc":                   {"wwids": []any{"3600508b400105e210000900000490000"}},
		"flexVolume":           {"driver": "example.com/lvm", "options": map[string]any{"volumeID": "x"}},
		"portworxVolume":       {"volumeID": "pxvol"},
		"awsElasticBlockStore": {"volumeID": "vol-0123"},
		"azureFile":            {"secretName": "s", "shareName": "share"},
		"NFS":                  {"server": "10.0.0.5", "path": "/"},
		"Nfs":                  {"server": "10.0.0.5", "path": "/"},
		"ConfigMap":            {"name": "c"},
	}
	for src, body := range sources {
		for kind, m := range review21Workloads(review21PodSpec(map[string]any{"name": "v", src: body})) {
			wantDeny(t, e, kind+" "+src+" volume", review21Admit(m), "kubernetes.volume_type")
		}
	}

	csi := func(driver any) map[string]any {
		return map[string]any{"name": "v", "csi": map[string]any{"driver": driver, "volumeAttributes": map[string]any{"source": "//10.0.0.5/share"}}}
	}
	for kind, m := range review21Workloads(review21PodSpec(csi("smb.csi.k8s.io"))) {
		wantDeny(t, e, kind+" inline csi of a driver not listed", review21Admit(m), "kubernetes.volume_type")
	}
	for name, vol := range map[string]map[string]any{
		"csi with no driver":           {"name": "v", "csi": map[string]any{}},
		"csi that is not an object":    {"name": "v", "csi": "secrets-store.csi.k8s.io"},
		"csi driver that is no string": csi([]any{"secrets-store.csi.k8s.io"}),
	} {
		wantDeny(t, e, name, review21Admit(review21Workloads(review21PodSpec(vol))["Pod"]), "kubernetes.volume_type")
	}
	// A CRD accepted by kind still has its pod spec judged.
	crdCfg := acmeConfig()
	crdCfg.Kubernetes.AllowedKinds = []string{"Runner"}
	wantDeny(t, newConfigured(t, crdCfg), "CRD pod template with nfs", review21Admit(map[string]any{
		"apiVersion": "ci.example/v1", "kind": "Runner", "metadata": map[string]any{"name": "r"},
		"spec": map[string]any{"template": map[string]any{"spec": review21PodSpec(map[string]any{"name": "v", "nfs": sources["nfs"]})}},
	}), "kubernetes.volume_type")
	// A case variant of the csi driver would be read by a case-insensitive decoder.
	wantDeny(t, newConfigured(t, review21CSIConfig()), "Driver in another case", review21Admit(review21Workloads(review21PodSpec(
		map[string]any{"name": "v", "csi": map[string]any{"driver": "secrets-store.csi.k8s.io", "Driver": "smb.csi.k8s.io"}}))["Pod"]),
		"kubernetes.case_variant_key")

	// The restricted profile's sources stay allowed.
	restricted := review21PodSpec(
		map[string]any{"name": "a", "configMap": map[string]any{"name": "c"}},
		map[string]any{"name": "b", "secret": map[string]any{"secretName": "s"}},
		map[string]any{"name": "c", "emptyDir": map[string]any{}},
		map[string]any{"name": "d", "projected": map[string]any{"sources": []any{}}},
		map[string]any{"name": "e", "downwardAPI": map[string]any{"items": []any{}}},
		map[string]any{"name": "f", "persistentVolumeClaim": map[string]any{"claimName": "data"}},
		map[string]any{"name": "g", "ephemeral": map[string]any{"volumeClaimTemplate": map[string]any{"spec": map[string]any{
			"accessModes": []any{"ReadWriteOnce"}, "storageClassName": "standard"}}}},
		map[string]any{"name": "h", "nfs": nil},
	)
	for kind, m := range review21Workloads(restricted) {
		review21Allowed(t, e, kind+" with the restricted profile's volumes", review21Admit(m))
	}

	// allowed_volume_types and allowed_csi_drivers accept what they list.
	cfg := review21CSIConfig()
	cfg.Kubernetes.AllowedVolumeTypes = []string{"nfs"}
	listed := newConfigured(t, cfg)
	for kind, m := range review21Workloads(review21PodSpec(map[string]any{"name": "v", "nfs": sources["nfs"]}, csi("secrets-store.csi.k8s.io"))) {
		review21Allowed(t, listed, kind+" nfs and csi listed", review21Admit(m))
	}
	wantDeny(t, listed, "iscsi beside a listed nfs", review21Admit(review21Workloads(review21PodSpec(
		map[string]any{"name": "v", "iscsi": sources["iscsi"]}))["Pod"]), "kubernetes.volume_type")
}

func review21CSIConfig() policy.LibraryConfig {
	cfg := acmeConfig()
	cfg.Kubernetes.AllowedCSIDrivers = []string{"secrets-store.csi.k8s.io"}
	return cfg
}

// TestReview21KubernetesVolumeConfig: the new lists are validated, so a
// typo or a type that would read as lifting a rule it cannot lift is a
// configuration error, not a silent no-op or a hole.
func TestReview21KubernetesVolumeConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		types []string
		csi   []string
	}{
		{"hostPath", []string{"hostPath"}, nil},
		{"gitRepo", []string{"gitRepo"}, nil},
		{"csi, which goes by driver", []string{"csi"}, nil},
		{"another case", []string{"NFS"}, nil},
		{"not a source", []string{"nfs4"}, nil},
		{"empty type", []string{""}, nil},
		{"empty driver", nil, []string{""}},
	} {
		cfg := acmeConfig()
		cfg.Kubernetes.AllowedVolumeTypes = tc.types
		cfg.Kubernetes.AllowedCSIDrivers = tc.csi
		if err := cfg.Validate(); !errors.Is(err, policy.ErrInvalidConfig) {
			t.Errorf("%s: Validate = %v, want ErrInvalidConfig", tc.name, err)
		}
	}
	cfg := acmeConfig()
	cfg.Kubernetes.AllowedVolumeTypes = []string{"nfs", "iscsi"}
	cfg.Kubernetes.AllowedCSIDrivers = []string{"secrets-store.csi.k8s.io"}
	if err := cfg.Validate(); err != nil {
		t.Errorf("valid lists: %v", err)
	}
}

// TestReview21KubernetesClaimBinding: a claim that names its volume
// (spec.volumeName) or selects one by label (spec.selector) binds a
// PersistentVolume that already exists, a hostPath one or an NFS export
// an administrator made for another workload, instead of one provisioned
// for it. A PersistentVolumeClaim doing so is not harmless; a claim
// template (a generic ephemeral volume's, a StatefulSet's) doing so is
// denied. A PersistentVolume accepted through allowed_kinds still may not
// be a node directory.
func TestReview21KubernetesClaimBinding(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())

	pvc := func(spec any) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": map[string]any{"name": "c"}, "spec": spec}
	}
	claim := func(extra map[string]any) map[string]any {
		s := map[string]any{"accessModes": []any{"ReadWriteOnce"}, "resources": map[string]any{"requests": map[string]any{"storage": "1Gi"}}}
		for k, v := range extra {
			s[k] = v
		}
		return s
	}
	byName := claim(map[string]any{"volumeName": "node-root", "storageClassName": ""})
	bySelector := claim(map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"app": "billing"}}})
	ephemeral := func(spec map[string]any) map[string]any {
		return map[string]any{"name": "v", "ephemeral": map[string]any{"volumeClaimTemplate": map[string]any{"spec": spec}}}
	}
	statefulSet := func(spec map[string]any) map[string]any {
		m := review21Workloads(review21PodSpec())["StatefulSet"]
		m["spec"].(map[string]any)["volumeClaimTemplates"] = []any{map[string]any{"metadata": map[string]any{"name": "data"}, "spec": spec}}
		return m
	}

	for _, tc := range []struct {
		name string
		in   policy.Input
		rule string
	}{
		{"PVC volumeName", review21Admit(pvc(byName)), "kubernetes.unknown_kind"},
		{"PVC selector", review21Admit(pvc(bySelector)), "kubernetes.unknown_kind"},
		{"PVC spec not an object", review21Admit(pvc("volumeName: x")), "kubernetes.unknown_kind"},
		{"PVC in a List", review21Admit(map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{pvc(byName)}}), "kubernetes.unknown_kind"},
		{"PVC VolumeName in another case", review21Admit(pvc(claim(map[string]any{"VolumeName": "node-root"}))), "kubernetes.case_variant_key"},
		{"StatefulSet volumeClaimTemplates volumeName", review21Admit(statefulSet(byName)), "kubernetes.volume_type"},
		{"StatefulSet volumeClaimTemplates selector", review21Admit(statefulSet(bySelector)), "kubernetes.volume_type"},
		{"StatefulSet VolumeClaimTemplates in another case", review21Admit(map[string]any{"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": map[string]any{"name": "s"},
			"spec": map[string]any{"template": map[string]any{"spec": review21PodSpec()}, "VolumeClaimTemplates": []any{map[string]any{"spec": byName}}}}), "kubernetes.case_variant_key"},
		{"PV hostPath in allowed_kinds", review21Admit(map[string]any{"apiVersion": "v1", "kind": "PersistentVolume", "metadata": map[string]any{"name": "pv"},
			"spec": map[string]any{"hostPath": map[string]any{"path": "/"}, "capacity": map[string]any{"storage": "1Gi"}}}), "kubernetes.host_path"},
		{"PV local in allowed_kinds", review21Admit(map[string]any{"apiVersion": "v1", "kind": "PersistentVolume", "metadata": map[string]any{"name": "pv"},
			"spec": map[string]any{"local": map[string]any{"path": "/var/lib/kubelet"}}}), "kubernetes.host_path"},
	} {
		engine := e
		if tc.rule == "kubernetes.host_path" && tc.in.Manifests[0]["kind"] == "PersistentVolume" {
			cfg := acmeConfig()
			cfg.Kubernetes.AllowedKinds = []string{"PersistentVolume"}
			engine = newConfigured(t, cfg)
		}
		wantDeny(t, engine, tc.name, tc.in, tc.rule)
	}
	for kind, m := range review21Workloads(review21PodSpec(ephemeral(byName))) {
		wantDeny(t, e, kind+" ephemeral volumeName", review21Admit(m), "kubernetes.volume_type")
	}
	for kind, m := range review21Workloads(review21PodSpec(ephemeral(bySelector))) {
		wantDeny(t, e, kind+" ephemeral selector", review21Admit(m), "kubernetes.volume_type")
	}

	// Provisioned claims stay allowed; allowed_kinds accepts a PVC the
	// operator vouches for.
	review21Allowed(t, e, "PVC with a storage class", review21Admit(pvc(claim(map[string]any{"storageClassName": "standard", "volumeName": ""}))))
	review21Allowed(t, e, "StatefulSet with a provisioned claim template", review21Admit(statefulSet(claim(nil))))
	cfg := acmeConfig()
	cfg.Kubernetes.AllowedKinds = []string{"PersistentVolumeClaim"}
	review21Allowed(t, newConfigured(t, cfg), "PVC volumeName in allowed_kinds", review21Admit(pvc(byName)))
}

// TestReview21KubernetesControllerConfigMaps: a ConfigMap is harmless
// unless a cluster-wide controller reads its security from it.
// ingress-nginx's (known by its keys, whatever --configmap names it) with
// allow-snippet-annotations "true", annotations-risk-level Critical or a
// *-snippet key lets any Ingress, or the ConfigMap itself, write raw
// nginx configuration into a controller that reads every Secret; Argo
// CD's settings and RBAC ConfigMaps (fixed names) make its users admins.
func TestReview21KubernetesControllerConfigMaps(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())
	cm := func(name string, data any) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": name, "namespace": "ingress-nginx"}, "data": data}
	}
	for _, tc := range []struct {
		name string
		m    map[string]any
		rule string
	}{
		{"allow-snippet-annotations true", cm("ingress-nginx-controller", map[string]any{"allow-snippet-annotations": "true"}), "kubernetes.unknown_kind"},
		{"allow-snippet-annotations in another case", cm("any-name", map[string]any{"Allow-Snippet-Annotations": "True"}), "kubernetes.unknown_kind"},
		{"annotations-risk-level Critical", cm("nginx-config", map[string]any{"annotations-risk-level": "Critical"}), "kubernetes.unknown_kind"},
		{"annotations-risk-level unreadable", cm("nginx-config", map[string]any{"annotations-risk-level": "crit"}), "kubernetes.unknown_kind"},
		{"http-snippet", cm("nginx-config", map[string]any{"http-snippet": "server { listen 81; location / { alias /var/run/secrets/; } }"}), "kubernetes.unknown_kind"},
		{"main-snippet", cm("nginx-config", map[string]any{"main-snippet": "load_module /tmp/x.so;"}), "kubernetes.unknown_kind"},
		{"data that is not an object", cm("nginx-config", "allow-snippet-annotations: true"), "kubernetes.unknown_kind"},
		{"argocd-rbac-cm", cm("argocd-rbac-cm", map[string]any{"policy.default": "role:admin"}), "kubernetes.unknown_kind"},
		{"argocd-cm", cm("argocd-cm", map[string]any{"users.anonymous.enabled": "true"}), "kubernetes.unknown_kind"},
		{"argocd-cm under Name", map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"Name": "argocd-rbac-cm"}, "data": map[string]any{}}, "kubernetes.case_variant_key"},
		{"Data in another case", map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"}, "Data": map[string]any{"allow-snippet-annotations": "true"}}, "kubernetes.case_variant_key"},
	} {
		wantDeny(t, e, tc.name, review21Admit(tc.m), tc.rule)
	}
	for _, tc := range []struct {
		name string
		m    map[string]any
	}{
		{"snippets off", cm("ingress-nginx-controller", map[string]any{"allow-snippet-annotations": "false", "annotations-risk-level": "High", "use-gzip": "true"})},
		{"application settings", cm("app", map[string]any{"LOG_LEVEL": "debug", "config.yaml": "snippet: true\n"})},
		{"no data", cm("app", nil)},
	} {
		review21Allowed(t, e, tc.name, review21Admit(tc.m))
	}
	cfg := acmeConfig()
	cfg.Kubernetes.AllowedKinds = []string{"ConfigMap"}
	review21Allowed(t, newConfigured(t, cfg), "ConfigMap in allowed_kinds", review21Admit(cm("argocd-rbac-cm", map[string]any{"allow-snippet-annotations": "true"})))
}
