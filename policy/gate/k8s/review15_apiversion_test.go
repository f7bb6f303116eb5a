package k8s_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	kjson "sigs.k8s.io/json"

	"github.com/ztci/ztci/policy/gate/k8s"
)

// The API server reads a webhook's answer as the AdmissionReview version
// it asked in (knative and controller-runtime echo the request's version
// for this reason). A webhook registered with admissionReviewVersions:
// ["v1beta1", "v1"] is sent v1beta1 reviews; this webhook refuses them,
// and a v1 deny is one the API server cannot read: it applies the
// failurePolicy instead, which under Ignore admits every object. The
// deny of a v1beta1 review is written as v1beta1, and says how to
// register; every other answer stays v1.
func TestReview15RefusedV1beta1ReviewDeniedInItsVersion(t *testing.T) {
	t.Parallel()
	g := &fakeGate{}
	sink := &memSink{}
	w := newWebhook(t, g, sink)
	post := func(body []byte) (admissionv1.AdmissionReview, string) {
		t.Helper()
		rec := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/validate", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w.ServeHTTP(rec, req)
		var out admissionv1.AdmissionReview
		if strict, err := kjson.UnmarshalStrict(rec.Body.Bytes(), &out); rec.Code != http.StatusOK || err != nil || len(strict) > 0 {
			t.Fatalf("status %d, %v %v: %s", rec.Code, err, strict, rec.Body.String())
		}
		return out, rec.Body.String()
	}
	v1beta1 := fixture(t, "review-malformed-v1beta1.json")
	out, raw := post(v1beta1)
	if out.APIVersion != "admission.k8s.io/v1beta1" || out.Kind != k8s.ReviewKind {
		t.Errorf("v1beta1 review answered as %s %s, which the API server cannot read: %s", out.APIVersion, out.Kind, raw)
	}
	if r := out.Response; r == nil || r.Allowed || r.UID != "d7e8f9a0-b1c2-4d3e-8f4a-5b6c7d8e9f0a" ||
		r.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonBadReview || r.Result == nil ||
		!strings.Contains(r.Result.Message, `admissionReviewVersions: ["v1"]`) {
		t.Errorf("v1beta1 review: %s, want a bad-review deny of its uid saying how to register", raw)
	}
	// Every other refusal, and every decision, is answered as v1.
	for _, body := range [][]byte{
		fixture(t, "review-malformed-wrong-kind.json"),
		fixture(t, "review-malformed-unknown-member.json"),
		bytes.Replace(v1beta1, []byte(`"admission.k8s.io/v1beta1"`), []byte(`"admission.k8s.io/v2"`), 1),
		fixture(t, "pod-dry-run.json"),
	} {
		if out, raw := post(body); out.APIVersion != k8s.ReviewAPIVersion {
			t.Errorf("answered as %s: %s", out.APIVersion, raw)
		}
	}
	if n := len(g.decided()); n != 1 {
		t.Errorf("the gate decided %d images, want the one of the well-formed review", n)
	}
}
