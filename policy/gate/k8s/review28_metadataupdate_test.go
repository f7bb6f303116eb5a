package k8s_test

import (
	"context"
	"sync/atomic"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/k8s"
)

// TestReview28MetadataUpdateUngated: an UPDATE that changed only metadata
// (a label, an annotation, a finalizer the garbage collector removes),
// status, replicas or a template's labels was decided by the gate like a
// new deploy: after a signer's revocation it was denied, so finalizers
// stuck and the very workloads the revocation should remove could not be
// deleted or relabelled. Such an update is now allowed without a decision
// (reason spec-unchanged, audited); any change of a Pod spec — an image,
// an init or ephemeral container, an image volume, images swapped
// between containers — is still decided, and so is an update whose old
// object is missing or does not read.
func TestReview28MetadataUpdateUngated(t *testing.T) {
	t.Parallel()
	const (
		podOld     = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n","finalizers":["x/y"]},"spec":{"initContainers":[{"name":"i","image":"r.example/init:v1"}],"containers":[{"name":"a","image":"r.example/a:v1"},{"name":"b","image":"r.example/b:v1"}]}}`
		podNewMeta = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n","labels":{"gone":"yes"}},"spec":{"initContainers":[{"name":"i","image":"r.example/init:v1"}],"containers":[{"name":"a","image":"r.example/a:v1"},{"name":"b","image":"r.example/b:v1"}]},"status":{"phase":"Running"}}`
		podImage   = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},"spec":{"initContainers":[{"name":"i","image":"r.example/init:v1"}],"containers":[{"name":"a","image":"r.example/evil:v1"},{"name":"b","image":"r.example/b:v1"}]}}`
		podInit    = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},"spec":{"initContainers":[{"name":"i","image":"r.example/evil:v1"}],"containers":[{"name":"a","image":"r.example/a:v1"},{"name":"b","image":"r.example/b:v1"}]}}`
		podSwap    = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},"spec":{"initContainers":[{"name":"i","image":"r.example/init:v1"}],"containers":[{"name":"a","image":"r.example/b:v1"},{"name":"b","image":"r.example/a:v1"}]}}`
		podEphem   = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},"spec":{"initContainers":[{"name":"i","image":"r.example/init:v1"}],"containers":[{"name":"a","image":"r.example/a:v1"},{"name":"b","image":"r.example/b:v1"}],"ephemeralContainers":[{"name":"d","image":"r.example/evil:v1"}]}}`
		podVolume  = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},"spec":{"initContainers":[{"name":"i","image":"r.example/init:v1"}],"containers":[{"name":"a","image":"r.example/a:v1"},{"name":"b","image":"r.example/b:v1"}],"volumes":[{"name":"m","image":{"reference":"r.example/evil:v1"}}]}}`
		podCommand = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},"spec":{"initContainers":[{"name":"i","image":"r.example/init:v1"}],"containers":[{"name":"a","image":"r.example/a:v1","command":["sh"]},{"name":"b","image":"r.example/b:v1"}]}}`

		depOld      = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"n","finalizers":["x/y"]},"spec":{"replicas":1,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"a","image":"r.example/a:v1"}]}}}}`
		depMeta     = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"n","annotations":{"k":"v"}},"spec":{"replicas":3,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"},"annotations":{"kubectl.kubernetes.io/restartedAt":"now"}},"spec":{"containers":[{"name":"a","image":"r.example/a:v1"}]}}}}`
		depImage    = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"n"},"spec":{"replicas":1,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"a","image":"r.example/evil:v1"}]}}}}`
		cronOld     = `{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"c","namespace":"n"},"spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"a","image":"r.example/a:v1"}]}}}}}}`
		cronMeta    = `{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"c","namespace":"n","labels":{"l":"v"}},"spec":{"schedule":"0 * * * *","suspend":true,"jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"a","image":"r.example/a:v1"}]}}}}}}`
		cronInitAdd = `{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"c","namespace":"n"},"spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","initContainers":[{"name":"i","image":"r.example/evil:v1"}],"containers":[{"name":"a","image":"r.example/a:v1"}]}}}}}}`
	)
	pod := admissionv1.AdmissionRequest{Kind: k8s.KindPod, Name: "p"}
	dep := admissionv1.AdmissionRequest{Kind: k8s.KindDeployment, Name: "d"}
	cron := admissionv1.AdmissionRequest{Kind: k8s.KindCronJob, Name: "c"}
	for _, tc := range []struct {
		name        string
		base        admissionv1.AdmissionRequest
		subresource string
		old, obj    string
		ungated     bool
	}{
		{"pod labels, finalizer removed, status", pod, "", podOld, podNewMeta, true},
		{"pod status subresource", pod, "status", podOld, podNewMeta, true},
		{"deployment metadata, replicas, template annotation", dep, "", depOld, depMeta, true},
		{"cronjob schedule, suspend, labels", cron, "", cronOld, cronMeta, true},
		{"pod image changed", pod, "", podOld, podImage, false},
		{"pod init container image changed", pod, "", podOld, podInit, false},
		{"pod images swapped between containers", pod, "", podOld, podSwap, false},
		{"pod ephemeral container added", pod, "ephemeralcontainers", podOld, podEphem, false},
		{"pod image volume added", pod, "", podOld, podVolume, false},
		{"pod command changed", pod, "", podOld, podCommand, false},
		{"deployment image changed", dep, "", depOld, depImage, false},
		{"cronjob init container added", cron, "", cronOld, cronInitAdd, false},
		{"no old object", pod, "", "", podNewMeta, false},
		{"old object of another kind", pod, "", depOld, podNewMeta, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Every image's signer has been revoked: the gate denies all.
			var calls atomic.Int32
			d := k8s.DeciderFunc(func(_ context.Context, req gate.Request) (gate.Decision, error) {
				calls.Add(1)
				return gate.Decision{Outcome: gate.OutcomeDeny, Digest: fakeDigest(req.Image),
					Violations: []policy.Violation{{Rule: "signer-revoked", Message: "test"}}}, nil
			})
			sink := &memSink{}
			req := tc.base
			req.UID, req.Operation, req.Namespace, req.SubResource = "u1", admissionv1.Update, "n", tc.subresource
			req.Resource.Resource = "pods"
			req.Object = runtime.RawExtension{Raw: []byte(tc.obj)}
			if tc.old != "" {
				req.OldObject = runtime.RawExtension{Raw: []byte(tc.old)}
			}
			resp := newWebhook(t, d, sink).Review(t.Context(), &req)
			evs := sink.all()
			if len(evs) != 1 {
				t.Fatalf("audit events = %d, want 1", len(evs))
			}
			if !tc.ungated {
				if resp.Allowed || calls.Load() == 0 || resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonDenied {
					t.Fatalf("allowed %v after %d decisions, reason %q; want a gate deny", resp.Allowed, calls.Load(),
						resp.AuditAnnotations[k8s.AnnotationReason])
				}
				return
			}
			if !resp.Allowed || calls.Load() != 0 || resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonSpecUnchanged {
				t.Fatalf("allowed %v after %d decisions, reason %q; want allowed undecided as spec-unchanged: %+v",
					resp.Allowed, calls.Load(), resp.AuditAnnotations[k8s.AnnotationReason], resp.Result)
			}
			if evs[0].Outcome != audit.OutcomeAllow || evs[0].Reason != k8s.ReasonSpecUnchanged ||
				evs[0].Attributes["operation"] != string(admissionv1.Update) {
				t.Fatalf("audit event %+v, want an allow with reason spec-unchanged", evs[0])
			}
		})
	}
}
