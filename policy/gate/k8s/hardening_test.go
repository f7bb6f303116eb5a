package k8s_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/k8s"
)

// A CREATE or UPDATE always carries its object; one without (absent or
// JSON null) is a bad object and a deny, never "nothing to verify".
func TestCreateOrUpdateWithoutObjectDenied(t *testing.T) {
	t.Parallel()
	null := func(t *testing.T, fixtureName string) *admissionv1.AdmissionRequest {
		var m map[string]any
		if err := json.Unmarshal(fixture(t, fixtureName), &m); err != nil {
			t.Fatal(err)
		}
		m["request"].(map[string]any)["object"] = nil
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		r, err := k8s.DecodeReview(b)
		if err != nil {
			t.Fatal(err)
		}
		return r.Request
	}
	for _, tc := range []struct {
		name string
		req  func(t *testing.T) *admissionv1.AdmissionRequest
		opts []k8s.Option
	}{
		{name: "UPDATE, no object", req: func(t *testing.T) *admissionv1.AdmissionRequest {
			r := request(t, "pod-ephemeral-container.json")
			r.Object = runtime.RawExtension{}
			return r
		}},
		{name: "CREATE, no object", req: func(t *testing.T) *admissionv1.AdmissionRequest {
			r := request(t, "deployment-create.json")
			r.Object = runtime.RawExtension{}
			return r
		}},
		{name: "object null", req: func(t *testing.T) *admissionv1.AdmissionRequest { return null(t, "deployment-create.json") }},
		{name: "ungated kind allowed, still no object", opts: []k8s.Option{k8s.WithUngatedKindsAllowedUnsafe()},
			req: func(t *testing.T) *admissionv1.AdmissionRequest { return null(t, "crd-unknown-kind.json") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := &fakeGate{}
			resp := newWebhook(t, g, &memSink{}, tc.opts...).Review(t.Context(), tc.req(t))
			if resp.Allowed || resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonBadObject || len(g.decided()) != 0 {
				t.Fatalf("response %+v, gate asked %v; want a bad-object deny", resp, g.decided())
			}
		})
	}
}

// A Decider that panics denies its image (undecided); the other images are
// still decided, and the process survives: the decision runs on the
// webhook's own goroutine, which no http.Server recovers.
func TestPanickingDeciderDeniesItsImage(t *testing.T) {
	t.Parallel()
	fake := &fakeGate{}
	d := k8s.DeciderFunc(func(ctx context.Context, req gate.Request) (gate.Decision, error) {
		if strings.Contains(req.Image, "log-shipper") {
			panic("decider bug")
		}
		return fake.Decide(ctx, req)
	})
	sink := &memSink{}
	w := newWebhook(t, d, sink, k8s.WithParallelism(1))
	for range 2 { // the slot of the panicking decision was given back
		resp := w.Review(t.Context(), request(t, "deployment-create.json"))
		if resp.Allowed || resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonUndecided ||
			!strings.Contains(resp.Result.Message, "log-shipper") || !strings.Contains(resp.Result.Message, "panicked") {
			t.Fatalf("response %+v %+v; want the panicking image undecided", resp, resp.Result)
		}
	}
	if n := len(fake.decided()); n != 4 {
		t.Fatalf("the other images were decided %d times, want 4", n)
	}
}

// A dry run reaches the gate as a dry run (which then records and attaches
// nothing); a real request does not.
func TestDryRunReachesTheGate(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []bool
	d := k8s.DeciderFunc(func(_ context.Context, req gate.Request) (gate.Decision, error) {
		mu.Lock()
		seen = append(seen, req.DryRun)
		mu.Unlock()
		return gate.Decision{Allowed: true, Outcome: gate.OutcomeAllow, Digest: fakeDigest(req.Image)}, nil
	})
	w := newWebhook(t, d, &memSink{})
	for _, tc := range []struct {
		fixture string
		dryRun  bool
	}{{"pod-dry-run.json", true}, {"pod-8-containers-one-image.json", false}} {
		mu.Lock()
		seen = nil
		mu.Unlock()
		if resp := w.Review(t.Context(), request(t, tc.fixture)); !resp.Allowed {
			t.Fatalf("%s: %+v", tc.fixture, resp.Result)
		}
		mu.Lock()
		if len(seen) == 0 {
			t.Fatalf("%s: the gate was not asked", tc.fixture)
		}
		for _, got := range seen {
			if got != tc.dryRun {
				t.Fatalf("%s: gate saw DryRun %v, want %v", tc.fixture, got, tc.dryRun)
			}
		}
		mu.Unlock()
	}
}
