package k8s_test

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate/k8s"
)

// Every review is audited, whatever its object names: an object with many
// long image references, each denied with its rules, made the webhook's
// event larger than an audit event may be (audit.MaxEventSize), which the
// audit log refuses, so the review was denied with no trace of the
// webhook's own. The event's lists are bounded; the gate's events (one per
// image) keep each image's outcome.
func TestReview10LargeObjectAudited(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.log")
	lg, err := audit.Open(t.Context(), path, "ztci.example/k8s/review10", ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lg.Close() })
	g := &fakeGate{deny: map[string][]string{}}
	var containers []string
	for i := range k8s.DefaultMaxImages {
		ref := fmt.Sprintf("r.example/%s/img%d:v1", strings.Repeat("a", 1500), i)
		g.deny[ref] = []string{"deploy.unverified", "deploy.provenance_missing", "deploy.signer_not_allowed"}
		containers = append(containers, fmt.Sprintf(`{"name":"c%d","image":%q}`, i, ref))
	}
	obj := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},"spec":{"containers":[` + strings.Join(containers, ",") + `]}}`
	req := &admissionv1.AdmissionRequest{UID: "u1", Kind: k8s.KindPod, Operation: admissionv1.Create, Name: "p", Namespace: "n",
		Object: runtime.RawExtension{Raw: []byte(obj)}}
	resp := newWebhook(t, g, lg).Review(t.Context(), req)
	if resp.Allowed || resp.AuditAnnotations[k8s.AnnotationAuditID] == "" {
		t.Fatalf("allowed %v, audit annotations %v; want an audited deny", resp.Allowed, resp.AuditAnnotations)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n int
	if err := audit.ReadEntries(t.Context(), f, func(e audit.Entry) error {
		if e.Event.Action == k8s.AuditAction {
			n++
			if e.Event.Outcome != audit.OutcomeDeny {
				t.Errorf("audited %s", e.Event.Outcome)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d webhook events, want 1", n)
	}
}
