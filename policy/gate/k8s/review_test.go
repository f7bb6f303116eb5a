package k8s_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ztci/ztci/policy/gate/k8s"
)

func TestDecodeReviewMalformed(t *testing.T) {
	t.Parallel()
	for _, name := range malformedFixtures(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := k8s.DecodeReview(fixture(t, name)); !errors.Is(err, k8s.ErrBadReview) {
				t.Fatalf("err = %v, want ErrBadReview", err)
			}
		})
	}
}

func TestImages(t *testing.T) {
	t.Parallel()
	app := "registry.example/acme/app:v1"
	for _, tc := range []struct {
		name    string
		fixture string
		want    []string
		uses    int // of the first image
		err     error
	}{
		{name: "pod with 8 containers sharing one image", fixture: "pod-8-containers-one-image.json", want: []string{app}, uses: 8},
		{name: "deployment: init container first", fixture: "deployment-create.json", want: []string{
			"registry.example/library/busybox@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", app,
			"registry.example/acme/log-shipper:2.3"}, uses: 1},
		{name: "cronjob job template", fixture: "cronjob-create.json", want: []string{"registry.example/acme/report:2026.11"}, uses: 1},
		{name: "ephemeral container", fixture: "pod-ephemeral-container.json", want: []string{app, "registry.example/tools/netshoot:v0.13"}, uses: 1},
		{name: "delete has no object", fixture: "pod-delete.json"},
		{name: "custom resource", fixture: "crd-unknown-kind.json", err: k8s.ErrUnsupportedKind},
		{name: "unknown field", fixture: "pod-unknown-field.json", err: k8s.ErrBadObject},
		{name: "object names another kind", fixture: "pod-kind-mismatch.json", err: k8s.ErrBadObject},
		{name: "repeated image member", fixture: "pod-duplicate-image-member.json", err: k8s.ErrBadObject},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			imgs, err := k8s.Images(request(t, tc.fixture))
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			var refs []string
			for _, img := range imgs {
				refs = append(refs, img.Ref)
			}
			if !slices.Equal(refs, tc.want) {
				t.Fatalf("images = %q, want %q", refs, tc.want)
			}
			if len(imgs) > 0 && len(imgs[0].Uses) != tc.uses {
				t.Errorf("uses of %s = %q, want %d", imgs[0].Ref, imgs[0].Uses, tc.uses)
			}
		})
	}
}

// Every workload kind the webhook gates, built as the API server would send
// it, yields its template's images; image volumes count as images.
func TestImagesEveryKind(t *testing.T) {
	t.Parallel()
	spec := `{"containers":[{"name":"a","image":"r.example/a:1"}],"volumes":[{"name":"models","image":{"reference":"r.example/models:7"}}]}`
	tmpl := `{"metadata":{},"spec":` + spec + `}`
	for _, tc := range []struct{ obj string }{
		{obj: `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":` + spec + `}`},
		{obj: `{"apiVersion":"v1","kind":"PodTemplate","metadata":{"name":"p"},"template":` + tmpl + `}`},
		{obj: `{"apiVersion":"v1","kind":"ReplicationController","metadata":{"name":"p"},"spec":{"template":` + tmpl + `}}`},
		{obj: `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"p"},"spec":{"selector":null,"template":` + tmpl + `}}`},
		{obj: `{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"p"},"spec":{"selector":null,"template":` + tmpl + `}}`},
		{obj: `{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"p"},"spec":{"selector":null,"template":` + tmpl + `}}`},
		{obj: `{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"p"},"spec":{"selector":null,"template":` + tmpl + `}}`},
		{obj: `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"p"},"spec":{"template":` + tmpl + `}}`},
		{obj: `{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"p"},"spec":{"schedule":"@daily","jobTemplate":{"spec":{"template":` + tmpl + `}}}}`},
	} {
		var probe struct{ APIVersion, Kind string }
		if err := json.Unmarshal([]byte(tc.obj), &probe); err != nil {
			t.Fatal(err)
		}
		t.Run(probe.Kind, func(t *testing.T) {
			t.Parallel()
			req := &admissionv1.AdmissionRequest{UID: "u", Kind: gvk(probe.APIVersion, probe.Kind), Operation: admissionv1.Create,
				Object: runtime.RawExtension{Raw: []byte(tc.obj)}}
			imgs, err := k8s.Images(req)
			if err != nil {
				t.Fatal(err)
			}
			if len(imgs) != 2 || imgs[0].Ref != "r.example/a:1" || imgs[1].Ref != "r.example/models:7" || imgs[1].Uses[0] != "volumes[models]" {
				t.Fatalf("images = %+v", imgs)
			}
		})
	}
}

func TestImagesEdgeCases(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, kind, obj string
		want            int
		err             error
	}{
		{name: "replication controller without template", kind: "v1/ReplicationController",
			obj: `{"apiVersion":"v1","kind":"ReplicationController","metadata":{"name":"rc"},"spec":{}}`},
		{name: "container without image", kind: "v1/Pod",
			obj: `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]}}`, err: k8s.ErrBadObject},
		{name: "case-variant member", kind: "v1/Pod",
			obj: `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","Image":"r/x:1"}]}}`, err: k8s.ErrBadObject},
		{name: "object without kind", kind: "v1/Pod",
			obj: `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"r/x:1"}]}}`, err: k8s.ErrBadObject},
		{name: "old apps version", kind: "apps/v1beta2/Deployment",
			obj: `{"apiVersion":"apps/v1beta2","kind":"Deployment","metadata":{"name":"d"}}`, err: k8s.ErrUnsupportedKind},
		{name: "not an object", kind: "v1/Pod", obj: `[1,2]`, err: k8s.ErrBadObject},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			i := strings.LastIndexByte(tc.kind, '/')
			req := &admissionv1.AdmissionRequest{UID: "u", Kind: gvk(tc.kind[:i], tc.kind[i+1:]), Operation: admissionv1.Create,
				Object: runtime.RawExtension{Raw: []byte(tc.obj)}}
			imgs, err := k8s.Images(req)
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if len(imgs) != tc.want {
				t.Fatalf("images = %+v", imgs)
			}
		})
	}
}

// gvk splits an apiVersion ("apps/v1", "v1") into a GroupVersionKind.
func gvk(apiVersion, kind string) metav1.GroupVersionKind {
	group, version, ok := strings.Cut(apiVersion, "/")
	if !ok {
		group, version = "", apiVersion
	}
	return metav1.GroupVersionKind{Group: group, Version: version, Kind: kind}
}
