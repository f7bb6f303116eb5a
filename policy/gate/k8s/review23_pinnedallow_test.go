package k8s_test

import (
	"context"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/k8s"
)

// TestReview23AllowWithoutPinnedDigest: a vendor's Decider that answered
// "allowed" without a digest (or with one the object does not pin) had its
// image admitted: by tag, which can be moved to other content between the
// review and the pull, or under a digest other than the one that runs. An
// allow must name the sha256 digest decided, and the digest the object
// pins when it pins one; otherwise it is undecided, a deny.
func TestReview23AllowWithoutPinnedDigest(t *testing.T) {
	t.Parallel()
	good := "sha256:" + strings.Repeat("a", 64)
	other := "sha256:" + strings.Repeat("b", 64)
	for _, tc := range []struct {
		name, image, digest string
		allowed             bool
		why                 string
	}{
		{"tag, no digest", "r.example/app:v1", "", false, "without a sha256 digest"},
		{"tag, not a digest", "r.example/app:v1", "v1", false, "without a sha256 digest"},
		{"tag, sha512", "r.example/app:v1", "sha512:" + strings.Repeat("a", 128), false, "without a sha256 digest"},
		{"tag, upper-case hex", "r.example/app:v1", "sha256:" + strings.Repeat("A", 64), false, "without a sha256 digest"},
		{"tag, short hex", "r.example/app:v1", "sha256:abc", false, "without a sha256 digest"},
		{"pinned, no digest", "r.example/app@" + good, "", false, "without a sha256 digest"},
		{"pinned, other digest", "r.example/app@" + good, other, false, "not the"},
		{"tag and pin, other digest", "r.example/app:v1@" + good, other, false, "not the"},
		{"tag, digest", "r.example/app:v1", good, true, ""},
		{"pinned, same digest", "r.example/app@" + good, good, true, ""},
		{"tag and pin, same digest", "r.example/app:v1@" + good, good, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := k8s.DeciderFunc(func(context.Context, gate.Request) (gate.Decision, error) {
				return gate.Decision{Allowed: true, Outcome: gate.OutcomeAllow, Digest: tc.digest, Verified: true}, nil
			})
			sink := &memSink{}
			obj := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},"spec":{"containers":[{"name":"c","image":"` + tc.image + `"}]}}`
			req := &admissionv1.AdmissionRequest{UID: "u1", Kind: k8s.KindPod, Operation: admissionv1.Create, Name: "p", Namespace: "n",
				Object: runtime.RawExtension{Raw: []byte(obj)}}
			resp := newWebhook(t, d, sink).Review(t.Context(), req)
			if resp.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, want %v: %+v", resp.Allowed, tc.allowed, resp.Result)
			}
			evs := sink.all()
			if len(evs) != 1 {
				t.Fatalf("audit events = %d, want 1", len(evs))
			}
			if tc.allowed {
				return
			}
			if resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonUndecided || !strings.Contains(resp.Result.Message, tc.why) {
				t.Fatalf("reason %q, message %q; want undecided: %s", resp.AuditAnnotations[k8s.AnnotationReason], resp.Result.Message, tc.why)
			}
			if _, ok := resp.AuditAnnotations[k8s.AnnotationImages]; ok {
				t.Fatalf("verified-images names an image not admitted: %q", resp.AuditAnnotations[k8s.AnnotationImages])
			}
			if evs[0].Outcome != audit.OutcomeDeny {
				t.Fatalf("audit outcome %q, want deny", evs[0].Outcome)
			}
		})
	}
}
