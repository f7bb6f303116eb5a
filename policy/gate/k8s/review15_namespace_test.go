package k8s_test

import (
	"encoding/json"
	"errors"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/ztci/ztci/policy/gate/k8s"
)

// The API server sets an object's namespace to the request's before
// admission and refuses an object naming another namespace, or another
// name than an UPDATE's URL. A review whose object names another
// namespace or name than the request is therefore not the API server's,
// and the audit records, which name the request's, would attribute the
// images to an object that does not hold them ("shop/debug-shell" ran
// what the object in kube-system names). Such an object is a bad object,
// as one of another kind is; one that names no namespace or name, or a
// CREATE whose name the server generates, is read as before.
func TestReview15ObjectMustNameTheRequestsNamespaceAndName(t *testing.T) {
	t.Parallel()
	edit := func(t *testing.T, f func(req *admissionv1.AdmissionRequest, meta map[string]any)) *admissionv1.AdmissionRequest {
		t.Helper()
		req := request(t, "pod-dry-run.json")
		var obj map[string]any
		if err := json.Unmarshal(req.Object.Raw, &obj); err != nil {
			t.Fatal(err)
		}
		f(req, obj["metadata"].(map[string]any))
		raw, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		req.Object.Raw = raw
		return req
	}
	for _, tc := range []struct {
		name    string
		f       func(req *admissionv1.AdmissionRequest, meta map[string]any)
		allowed bool
	}{
		{"other namespace", func(_ *admissionv1.AdmissionRequest, m map[string]any) { m["namespace"] = "kube-system" }, false},
		{"namespace in a cluster-wide request", func(r *admissionv1.AdmissionRequest, _ map[string]any) { r.Namespace = "" }, false},
		{"other name", func(_ *admissionv1.AdmissionRequest, m map[string]any) { m["name"] = "other" }, false},
		{"as sent", func(*admissionv1.AdmissionRequest, map[string]any) {}, true},
		{"no namespace in the object", func(_ *admissionv1.AdmissionRequest, m map[string]any) { delete(m, "namespace") }, true},
		{"generated name", func(r *admissionv1.AdmissionRequest, m map[string]any) {
			r.Name, m["generateName"], m["name"] = "", "debug-", "debug-x7k2p"
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := edit(t, tc.f)
			g := &fakeGate{}
			resp := newWebhook(t, g, &memSink{}).Review(t.Context(), req)
			_, err := k8s.Images(req)
			if tc.allowed {
				if !resp.Allowed || err != nil {
					t.Fatalf("allowed %v (%v), Images error %v", resp.Allowed, resp.Result, err)
				}
				return
			}
			if resp.Allowed || resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonBadObject || !errors.Is(err, k8s.ErrBadObject) {
				t.Fatalf("allowed %v reason %q, Images error %v: want a bad object", resp.Allowed, resp.AuditAnnotations[k8s.AnnotationReason], err)
			}
			if n := len(g.decided()); n != 0 {
				t.Fatalf("the gate decided %d images of an object the request does not name", n)
			}
		})
	}
}
