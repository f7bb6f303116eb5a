package k8s_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/k8s"
)

// The webhook answers AdmissionReviews as the API server sends them. A Pod
// whose 8 containers share one image costs one gate decision; a CronJob
// whose image the gate denies is refused with the rule in status.message.
func ExampleWebhook() {
	// In production the Decider is a *gate.Gate (gate.New) and the token
	// source reads the webhook's projected service account token.
	decisions := 0
	g := k8s.DeciderFunc(func(_ context.Context, req gate.Request) (gate.Decision, error) {
		decisions++
		if strings.Contains(req.Image, "report") {
			return gate.Decision{Outcome: gate.OutcomeDeny, Digest: "sha256:" + strings.Repeat("2", 64),
				Violations: []policy.Violation{{Rule: "deploy.not_verified"}}}, nil
		}
		return gate.Decision{Allowed: true, Outcome: gate.OutcomeAllow, Digest: "sha256:" + strings.Repeat("1", 64)}, nil
	})
	own := identity.TokenSourceFunc(func(context.Context) (string, error) { return "webhook-workload-token", nil })
	events := audit.SinkFunc(func(context.Context, audit.Event) error { return nil })
	w, err := k8s.New(g, own, events)
	if err != nil {
		panic(err)
	}

	for _, fixture := range []string{"testdata/pod-8-containers-one-image.json", "testdata/cronjob-create.json"} {
		body, _ := os.ReadFile(fixture)
		req := httptest.NewRequest(http.MethodPost, "/validate?timeout=10s", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, req)

		var out admissionv1.AdmissionReview
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		r := out.Response
		fmt.Println(out.Kind, r.UID, "allowed:", r.Allowed, "reason:", r.AuditAnnotations[k8s.AnnotationReason])
		if r.Result != nil {
			fmt.Println(" ", r.Result.Code, r.Result.Message)
		}
		for _, warning := range r.Warnings {
			fmt.Println("  warning:", warning)
		}
	}
	fmt.Println("gate decisions:", decisions)
	// Output:
	// AdmissionReview 0b3f5c1e-7a2d-4e6f-8b9c-1d2e3f4a5b6c allowed: true reason: verified
	//   warning: registry.example/acme/app:v1 verified as sha256:1111111111111111111111111111111111111111111111111111111111111111; a tag can move: deploy by digest
	// AdmissionReview 7f8e9d0c-1b2a-4394-8576-a5b4c3d2e1f0 allowed: false reason: denied
	//   403 ztci deploy gate: images not allowed: "registry.example/acme/report:2026.11" sha256:2222222222222222222222222222222222222222222222222222222222222222: deploy.not_verified
	// gate decisions: 2
}

// Images lists what the webhook would ask the gate about: each distinct
// reference once, with every place that uses it.
func ExampleImages() {
	body, _ := os.ReadFile("testdata/deployment-create.json")
	review, err := k8s.DecodeReview(body)
	if err != nil {
		panic(err)
	}
	imgs, err := k8s.Images(review.Request)
	if err != nil {
		panic(err)
	}
	for _, img := range imgs {
		fmt.Println(img.Ref[:min(len(img.Ref), 48)], img.Uses)
	}
	// Output:
	// registry.example/library/busybox@sha256:bbbbbbbb [initContainers[migrate]]
	// registry.example/acme/app:v1 [containers[web]]
	// registry.example/acme/log-shipper:2.3 [containers[logs]]
}

// WithDigestsRequired refuses an object that names an image by tag alone
// before the gate is asked: the node resolves a tag itself when it pulls,
// so what the gate verified would not be what runs.
func ExampleWithDigestsRequired() {
	g := k8s.DeciderFunc(func(context.Context, gate.Request) (gate.Decision, error) {
		return gate.Decision{Allowed: true, Outcome: gate.OutcomeAllow, Digest: "sha256:" + strings.Repeat("1", 64)}, nil
	})
	own := identity.TokenSourceFunc(func(context.Context) (string, error) { return "webhook-workload-token", nil })
	events := audit.SinkFunc(func(context.Context, audit.Event) error { return nil })
	w, err := k8s.New(g, own, events, k8s.WithDigestsRequired())
	if err != nil {
		panic(err)
	}
	body, _ := os.ReadFile("testdata/deployment-create.json")
	review, err := k8s.DecodeReview(body)
	if err != nil {
		panic(err)
	}
	r := w.Review(context.Background(), review.Request)
	fmt.Println("allowed:", r.Allowed, "reason:", r.AuditAnnotations[k8s.AnnotationReason])
	fmt.Println(r.Result.Message)
	// Output:
	// allowed: false reason: tag-reference
	// ztci deploy gate: images referenced by tag, not by digest (this webhook requires digests): "registry.example/acme/app:v1", "registry.example/acme/log-shipper:2.3"
}
