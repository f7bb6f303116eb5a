package k8s_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/k8s"
	"github.com/ztci/ztci/verify"
)

// The webhook in front of a real gate (gate.New, an in-process OCI
// registry): the gate verifies the webhook's own token, pins each tag to
// its digest, asks policy once per distinct image, and the response
// carries the digests the gate pinned.
func TestWebhookWithRealGate(t *testing.T) {
	t.Parallel()
	reg := httptest.NewServer(registry.New())
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	appDigest := push(t, host+"/acme/app:v1")
	push(t, host+"/acme/unsigned:v1")

	// The gate knows the webhook by its workload token, like any caller.
	callers := identity.TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
		if raw != webhookToken {
			return identity.Identity{}, errors.New("unknown caller")
		}
		return identity.Identity{Issuer: "https://kubernetes.default.svc", Subject: "system:serviceaccount:ztci:admission"}, nil
	})
	// No attestation is attached in this test, so the policy double
	// judges by repository: acme/app is allowed, anything else is not.
	var mu sync.Mutex
	var seen []policy.Input
	pol := policy.EvaluatorFunc(func(_ context.Context, in policy.Input) (policy.Decision, error) {
		mu.Lock()
		seen = append(seen, in)
		mu.Unlock()
		if strings.HasSuffix(in.Artifacts[0].Name, "/acme/app") {
			return policy.Decision{Allowed: true, Revision: "r1"}, nil
		}
		return policy.Decision{Revision: "r1", Violations: []policy.Violation{{Rule: "deploy.not_verified"}}}, nil
	})
	gateEvents := &memSink{}
	trust, err := verify.PublicGood()
	if err != nil {
		t.Fatal(err)
	}
	provenance, err := verify.New(trust, verify.Expectation{
		Signer:        verify.Identity{SAN: "https://ci.example/builder", Issuer: "https://ci.example"},
		PredicateType: attest.PredicateSLSAProvenanceV1,
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gate.New(callers, gate.Verifiers{attest.PredicateSLSAProvenanceV1: provenance}, pol, gateEvents, gate.WithRegistries(host))
	if err != nil {
		t.Fatal(err)
	}
	var decisions atomic.Int32
	counted := k8s.DeciderFunc(func(ctx context.Context, req gate.Request) (gate.Decision, error) {
		decisions.Add(1)
		return g.Decide(ctx, req)
	})
	webhookEvents := &memSink{}
	w := newWebhook(t, counted, webhookEvents)

	// The 8-container Pod of the fixture, its image moved to this registry.
	pod := request(t, "pod-8-containers-one-image.json")
	pod.Object = runtime.RawExtension{Raw: []byte(strings.ReplaceAll(string(pod.Object.Raw), "registry.example/", host+"/"))}
	resp := w.Review(t.Context(), pod)
	if !resp.Allowed || decisions.Load() != 1 || len(seen) != 1 {
		t.Fatalf("allowed %v after %d decisions, %d evaluations: %+v", resp.Allowed, decisions.Load(), len(seen), resp.Result)
	}
	if want := `{"` + host + `/acme/app:v1":"` + appDigest + `"}`; resp.AuditAnnotations[k8s.AnnotationImages] != want {
		t.Errorf("verified-images = %s, want %s", resp.AuditAnnotations[k8s.AnnotationImages], want)
	}
	if job := seen[0].Job; job.Subject != "system:serviceaccount:ztci:admission" {
		t.Errorf("policy saw job %+v, want the webhook", job)
	}
	gev, wev := gateEvents.all()[0], webhookEvents.all()[0]
	if gev.Actor.ID != "https://kubernetes.default.svc#system:serviceaccount:ztci:admission" ||
		wev.Actor.ID != "system:serviceaccount:kube-system:replicaset-controller" || wev.Attributes["gate_audit_ids"] != gev.ID {
		t.Errorf("gate event actor %q, webhook event actor %q linking %q to %q", gev.Actor.ID, wev.Actor.ID, wev.Attributes["gate_audit_ids"], gev.ID)
	}

	// A Deployment with an image policy denies, and one from a registry
	// the gate does not read: denied, both reasons named.
	dep := request(t, "deployment-create.json")
	raw := strings.ReplaceAll(string(dep.Object.Raw), "registry.example/acme/app:v1", host+"/acme/unsigned:v1")
	raw = strings.ReplaceAll(raw, "registry.example/acme/log-shipper:2.3", host+"/acme/app:v1")
	dep.Object = runtime.RawExtension{Raw: []byte(raw)}
	resp = w.Review(t.Context(), dep)
	if resp.Allowed || resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonDenied {
		t.Fatalf("deployment: %+v", resp)
	}
	for _, want := range []string{`"` + host + `/acme/unsigned:v1" sha256:`, `: deploy.not_verified`,
		`"registry.example/library/busybox@sha256:` + strings.Repeat("b", 64) + `": gate: bad request: registry not allowed`} {
		if !strings.Contains(resp.Result.Message, want) {
			t.Errorf("status.message %q lacks %q", resp.Result.Message, want)
		}
	}

	// A reference a kubelet completes with its defaults (Docker Hub,
	// library/, :latest) is undecided, never read as another image.
	for _, img := range []string{"nginx", "nginx:1.27", "docker.io/nginx:1.27", host + "/acme/app"} {
		pod := request(t, "pod-8-containers-one-image.json")
		pod.Object = runtime.RawExtension{Raw: []byte(strings.ReplaceAll(string(pod.Object.Raw), `"registry.example/acme/app:v1"`, strconv.Quote(img)))}
		if resp := w.Review(t.Context(), pod); resp.Allowed || resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonUndecided {
			t.Errorf("%s: %+v", img, resp)
		}
	}
}

func push(t testing.TB, ref string) string {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}
