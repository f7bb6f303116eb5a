package k8s_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "sigs.k8s.io/json"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/k8s"
)

func TestNewRejectsMisuse(t *testing.T) {
	t.Parallel()
	g, sink := &fakeGate{}, &memSink{}
	for _, tc := range []struct {
		name   string
		d      k8s.Decider
		tokens identity.TokenSource
		sink   audit.Sink
		opts   []k8s.Option
	}{
		{name: "no decider", tokens: tokens, sink: sink},
		{name: "no token source", d: g, sink: sink},
		{name: "no sink", d: g, tokens: tokens},
		{name: "nil option", d: g, tokens: tokens, sink: sink, opts: []k8s.Option{nil}},
		{name: "zero timeout", d: g, tokens: tokens, sink: sink, opts: []k8s.Option{k8s.WithTimeout(0)}},
		{name: "zero parallelism", d: g, tokens: tokens, sink: sink, opts: []k8s.Option{k8s.WithParallelism(0)}},
		{name: "zero max images", d: g, tokens: tokens, sink: sink, opts: []k8s.Option{k8s.WithMaxImages(0)}},
		{name: "negative max body", d: g, tokens: tokens, sink: sink, opts: []k8s.Option{k8s.WithMaxBody(-1)}},
		{name: "nil logger", d: g, tokens: tokens, sink: sink, opts: []k8s.Option{k8s.WithLogger(nil)}},
		{name: "nil clock", d: g, tokens: tokens, sink: sink, opts: []k8s.Option{k8s.WithClock(nil)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := k8s.New(tc.d, tc.tokens, tc.sink, tc.opts...); !errors.Is(err, k8s.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
}

// The fixtures are AdmissionReview documents as the API server sends them;
// each ends in the decision and the number of gate calls given here.
func TestReviewFixtures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		fixture string
		opts    []k8s.Option
		allowed bool
		reason  string
		decided []string
	}{
		{name: "8 containers, one image: one decision", fixture: "pod-8-containers-one-image.json", allowed: true,
			reason: k8s.ReasonVerified, decided: []string{"registry.example/acme/app:v1"}},
		{name: "deployment", fixture: "deployment-create.json", allowed: true, reason: k8s.ReasonVerified, decided: []string{
			"registry.example/acme/app:v1", "registry.example/acme/log-shipper:2.3",
			"registry.example/library/busybox@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}},
		{name: "cronjob", fixture: "cronjob-create.json", allowed: true, reason: k8s.ReasonVerified,
			decided: []string{"registry.example/acme/report:2026.11"}},
		{name: "dry run decides as a real request", fixture: "pod-dry-run.json", allowed: true, reason: k8s.ReasonVerified,
			decided: []string{"registry.example/acme/app:v1"}},
		{name: "ephemeral container via subresource", fixture: "pod-ephemeral-container.json", allowed: true, reason: k8s.ReasonVerified,
			decided: []string{"registry.example/acme/app:v1", "registry.example/tools/netshoot:v0.13"}},
		{name: "delete deploys nothing", fixture: "pod-delete.json", allowed: true, reason: k8s.ReasonNothingToVerify},
		{name: "unknown kind fails closed", fixture: "crd-unknown-kind.json", reason: k8s.ReasonUnsupportedKind},
		{name: "unknown kind passed when configured", fixture: "crd-unknown-kind.json", allowed: true, reason: k8s.ReasonUngatedKind,
			opts: []k8s.Option{k8s.WithUngatedKindsAllowedUnsafe()}},
		{name: "unknown field", fixture: "pod-unknown-field.json", reason: k8s.ReasonBadObject},
		{name: "object names another kind", fixture: "pod-kind-mismatch.json", reason: k8s.ReasonBadObject},
		{name: "repeated image member", fixture: "pod-duplicate-image-member.json", reason: k8s.ReasonBadObject},
		{name: "too many images", fixture: "deployment-create.json", reason: k8s.ReasonTooManyImages,
			opts: []k8s.Option{k8s.WithMaxImages(2)}},
		{name: "tags refused when digests are required", fixture: "deployment-create.json", reason: k8s.ReasonTagReference,
			opts: []k8s.Option{k8s.WithDigestsRequired()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, sink := &fakeGate{}, &memSink{}
			req := request(t, tc.fixture)
			resp := newWebhook(t, g, sink, tc.opts...).Review(t.Context(), req)
			if resp.UID != req.UID || resp.Allowed != tc.allowed || resp.AuditAnnotations[k8s.AnnotationReason] != tc.reason {
				t.Fatalf("response = uid %s allowed %v reason %q, want %s %v %q (%+v)", resp.UID, resp.Allowed,
					resp.AuditAnnotations[k8s.AnnotationReason], req.UID, tc.allowed, tc.reason, resp.Result)
			}
			if got := g.decided(); !slices.Equal(got, tc.decided) {
				t.Errorf("gate decided %q, want %q", got, tc.decided)
			}
			if !tc.allowed && (resp.Result == nil || resp.Result.Code != http.StatusForbidden || resp.Result.Message == "") {
				t.Errorf("deny without a 403 status and message: %+v", resp.Result)
			}
			evs := sink.all()
			if len(evs) != 1 || evs[0].ID != resp.AuditAnnotations[k8s.AnnotationAuditID] || evs[0].Reason != tc.reason {
				t.Fatalf("audit events = %+v", evs)
			}
			if want := fmt.Sprint(req.DryRun != nil && *req.DryRun); evs[0].Attributes["dry_run"] != want {
				t.Errorf("audit dry_run = %q, want %q", evs[0].Attributes["dry_run"], want)
			}
		})
	}
}

// A denied image denies the whole object; status.message names each image
// not allowed with its rule ids or the gate's error, and the allowed
// images' digests are still reported.
func TestReviewDenyReasons(t *testing.T) {
	t.Parallel()
	g := &fakeGate{
		deny: map[string][]string{"registry.example/acme/app:v1": {"deploy.not_verified", "deploy.unprotected_ref"}},
		errs: map[string]error{"registry.example/acme/log-shipper:2.3": fmt.Errorf("%w: image verification: registry unavailable", gate.ErrUndecided)},
	}
	sink := &memSink{}
	resp := newWebhook(t, g, sink).Review(t.Context(), request(t, "deployment-create.json"))
	if resp.Allowed || resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonDenied {
		t.Fatalf("response = %+v", resp)
	}
	msg := resp.Result.Message
	for _, want := range []string{
		`"registry.example/acme/app:v1" ` + fakeDigest("registry.example/acme/app:v1") + `: deploy.not_verified, deploy.unprotected_ref`,
		`"registry.example/acme/log-shipper:2.3": gate: could not decide: image verification: registry unavailable`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("status.message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "busybox") {
		t.Errorf("status.message names an allowed image: %q", msg)
	}
	var digests map[string]string
	if err := json.Unmarshal([]byte(resp.AuditAnnotations[k8s.AnnotationImages]), &digests); err != nil || len(digests) != 1 {
		t.Fatalf("verified-images = %q (%v)", resp.AuditAnnotations[k8s.AnnotationImages], err)
	}
	ev := sink.all()[0]
	if ev.Outcome != audit.OutcomeDeny || !slices.Contains(ev.Violations, "registry.example/acme/app:v1: deploy.unprotected_ref") {
		t.Errorf("audit event = %+v", ev)
	}

	// Undecided without a policy deny is its own reason.
	g = &fakeGate{errs: g.errs}
	resp = newWebhook(t, g, &memSink{}).Review(t.Context(), request(t, "deployment-create.json"))
	if resp.Allowed || resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonUndecided {
		t.Fatalf("undecided: %+v", resp)
	}
}

// The webhook authenticates to the gate with its own token, the same for
// every image of a review; the Kubernetes user is in the webhook's audit
// event, which links the gate's events. The token appears nowhere else.
func TestReviewIdentityAndAudit(t *testing.T) {
	t.Parallel()
	g, sink := &fakeGate{}, &memSink{}
	var logs bytes.Buffer
	w := newWebhook(t, g, sink, k8s.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	resp := w.Review(t.Context(), request(t, "deployment-create.json"))
	if !resp.Allowed {
		t.Fatalf("response = %+v", resp)
	}
	for _, tok := range g.tokens {
		if tok != webhookToken {
			t.Fatalf("gate got token %q", tok)
		}
	}
	ev := sink.all()[0]
	if ev.Actor.ID != "kubernetes-admin" || ev.Actor.Kind != "user" || ev.Actor.Claims["groups"] != "kubeadm:cluster-admins,system:authenticated" {
		t.Errorf("actor = %+v", ev.Actor)
	}
	if ev.Resource != "apps/v1 Deployment shop/web" || ev.Source != k8s.AuditSource || ev.Action != k8s.AuditAction || ev.Outcome != audit.OutcomeAllow {
		t.Errorf("event = %+v", ev)
	}
	if ids := strings.Fields(ev.Attributes["gate_audit_ids"]); len(ids) != 3 || ev.Attributes["gate_caller"] == "" ||
		ev.Attributes["admission_uid"] != string(resp.UID) || ev.Attributes["operation"] != "CREATE" {
		t.Errorf("attributes = %+v", ev.Attributes)
	}
	out, _ := json.Marshal(resp)
	evb, _ := json.Marshal(ev)
	for what, s := range map[string]string{"response": string(out), "audit": string(evb), "logs": logs.String()} {
		if strings.Contains(s, webhookToken) {
			t.Errorf("%s contains the webhook token", what)
		}
	}

	// A pod created by a controller names its service account and the
	// generateName it was created with.
	sink = &memSink{}
	newWebhook(t, &fakeGate{}, sink).Review(t.Context(), request(t, "pod-8-containers-one-image.json"))
	ev = sink.all()[0]
	if ev.Actor.Kind != "service" || ev.Actor.ID != "system:serviceaccount:kube-system:replicaset-controller" ||
		ev.Resource != "v1 Pod shop/worker-7c9f6d5b8d-*" {
		t.Errorf("controller event = %+v", ev)
	}
}

func TestReviewAllowWarnsAboutTags(t *testing.T) {
	t.Parallel()
	resp := newWebhook(t, &fakeGate{}, &memSink{}).Review(t.Context(), request(t, "deployment-create.json"))
	if len(resp.Warnings) != 2 {
		t.Fatalf("warnings = %q", resp.Warnings)
	}
	for _, w := range resp.Warnings {
		if strings.Contains(w, "busybox") || !strings.Contains(w, "deploy by digest") || len(w) > 256 {
			t.Errorf("warning %q", w)
		}
	}
	var digests map[string]string
	if err := json.Unmarshal([]byte(resp.AuditAnnotations[k8s.AnnotationImages]), &digests); err != nil || len(digests) != 3 ||
		digests["registry.example/acme/app:v1"] != fakeDigest("registry.example/acme/app:v1") {
		t.Fatalf("verified-images = %q", resp.AuditAnnotations[k8s.AnnotationImages])
	}
}

func TestReviewFailsClosed(t *testing.T) {
	t.Parallel()
	const canary = "token-source-error-canary-91c"
	noToken := identity.TokenSourceFunc(func(context.Context) (string, error) { return "", errors.New(canary) })
	g := &fakeGate{}
	w, err := k8s.New(g, noToken, &memSink{})
	if err != nil {
		t.Fatal(err)
	}
	resp := w.Review(t.Context(), request(t, "pod-dry-run.json"))
	out, _ := json.Marshal(resp)
	if resp.Allowed || resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonNoToken || len(g.decided()) != 0 || bytes.Contains(out, []byte(canary)) {
		t.Fatalf("no token: %s", out)
	}

	resp = newWebhook(t, &fakeGate{}, &memSink{failing: true}).Review(t.Context(), request(t, "pod-dry-run.json"))
	if _, ok := resp.AuditAnnotations[k8s.AnnotationAuditID]; resp.Allowed || ok || resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonAuditFailed {
		t.Fatalf("audit down: %+v", resp)
	}

	if resp := newWebhook(t, &fakeGate{}, &memSink{}).Review(t.Context(), nil); resp == nil || resp.Allowed {
		t.Fatalf("nil request: %+v", resp)
	}

	req := request(t, "pod-dry-run.json")
	req.Operation = "PATCH"
	if resp := newWebhook(t, &fakeGate{}, &memSink{}).Review(t.Context(), req); resp.Allowed ||
		resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonUnsupportedOperation {
		t.Fatalf("unknown operation: %+v", resp)
	}
}

// An UPDATE of an object already being deleted that names no new image is
// admitted without asking the gate, so finalizers can always be removed.
func TestReviewBeingDeleted(t *testing.T) {
	t.Parallel()
	req := beingDeleted(t, "registry.example/acme/app:v1")
	g := &fakeGate{}
	resp := newWebhook(t, g, &memSink{}).Review(t.Context(), req)
	if !resp.Allowed || resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonBeingDeleted || len(g.decided()) != 0 {
		t.Fatalf("response = %+v, decided %q", resp, g.decided())
	}
	// A CREATE carrying one is decided as usual.
	req.Operation = admissionv1.Create
	if resp := newWebhook(t, g, &memSink{}).Review(t.Context(), req); resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonVerified {
		t.Fatalf("create: %+v", resp)
	}
}

// An UPDATE of an object being deleted that names an image its old object
// did not is decided: the object lives on until its finalizers are
// removed, a Pod's images may be changed meanwhile, and a kubelet that
// (re)starts a terminating Pod's sidecar runs the new one. So is one
// whose old object is missing or does not read.
func TestReviewBeingDeletedNewImageDecided(t *testing.T) {
	t.Parallel()
	const evil = "registry.example/evil/miner:v1"
	for name, mutate := range map[string]func(*admissionv1.AdmissionRequest){
		"new image":     func(*admissionv1.AdmissionRequest) {},
		"no old object": func(r *admissionv1.AdmissionRequest) { r.OldObject = runtime.RawExtension{} },
		"old object of another kind": func(r *admissionv1.AdmissionRequest) {
			r.OldObject = runtime.RawExtension{Raw: bytes.Replace(r.Object.Raw, []byte(`"Deployment"`), []byte(`"ReplicaSet"`), 1)}
		},
	} {
		req := beingDeleted(t, evil)
		mutate(req)
		g := &fakeGate{deny: map[string][]string{evil: {"ztci.image.unsigned"}}}
		resp := newWebhook(t, g, &memSink{}).Review(t.Context(), req)
		if resp.Allowed || resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonDenied || !slices.Contains(g.decided(), evil) {
			t.Errorf("%s: response = %+v, decided %q", name, resp, g.decided())
		}
	}
}

// beingDeleted is an UPDATE of deployment-create.json's Deployment, being
// deleted, whose app container's image becomes image; its old object is
// the Deployment as created.
func beingDeleted(t *testing.T, image string) *admissionv1.AdmissionRequest {
	t.Helper()
	req := request(t, "deployment-create.json")
	req.Operation = admissionv1.Update
	old := bytes.Replace(req.Object.Raw, []byte(`"generation": 1`), []byte(`"generation": 1, "deletionTimestamp": "2026-11-30T10:00:00Z"`), 1)
	req.OldObject = runtime.RawExtension{Raw: old}
	req.Object = runtime.RawExtension{Raw: bytes.Replace(old, []byte(`"registry.example/acme/app:v1"`), []byte(strconv.Quote(image)), 1)}
	return req
}

// Decisions run in parallel, never more than WithParallelism at once, and
// each distinct image is decided once.
func TestReviewParallelismBound(t *testing.T) {
	t.Parallel()
	var running, peak atomic.Int32
	var calls atomic.Int32
	d := k8s.DeciderFunc(func(ctx context.Context, req gate.Request) (gate.Decision, error) {
		calls.Add(1)
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		return gate.Decision{Allowed: true, Outcome: gate.OutcomeAllow, Digest: fakeDigest(req.Image)}, nil
	})
	var containers []string
	for i := range 12 {
		containers = append(containers, fmt.Sprintf(`{"name":"c%d","image":"r.example/img%d:1"},{"name":"d%d","image":"r.example/img%d:1"}`, i, i, i, i))
	}
	obj := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},"spec":{"containers":[` + strings.Join(containers, ",") + `]}}`
	req := &admissionv1.AdmissionRequest{UID: "u1", Kind: k8s.KindPod, Operation: admissionv1.Create, Name: "p", Namespace: "n",
		Object: runtime.RawExtension{Raw: []byte(obj)}}
	resp := newWebhook(t, d, &memSink{}, k8s.WithParallelism(3), k8s.WithParallelismPerNamespace(3)).Review(t.Context(), req)
	if !resp.Allowed || calls.Load() != 12 || peak.Load() > 3 || peak.Load() < 2 {
		t.Fatalf("allowed %v, calls %d, peak %d", resp.Allowed, calls.Load(), peak.Load())
	}
}

// A gate slower than the webhook's deadline is a deny at the deadline, not
// a late answer the API server would have given up on; a decider that
// ignores ctx does not hold the response either.
func TestReviewDeadline(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		honoursCtx bool
	}{{"decider honours ctx", true}, {"decider ignores ctx", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				d := k8s.DeciderFunc(func(ctx context.Context, req gate.Request) (gate.Decision, error) {
					if strings.Contains(req.Image, "busybox") {
						return gate.Decision{Allowed: true, Outcome: gate.OutcomeAllow, Digest: fakeDigest(req.Image)}, nil
					}
					if tc.honoursCtx {
						<-ctx.Done()
						return gate.Decision{Outcome: gate.OutcomeError}, fmt.Errorf("%w: %w", gate.ErrUndecided, ctx.Err())
					}
					<-release
					return gate.Decision{Allowed: true, Outcome: gate.OutcomeAllow}, nil
				})
				sink := &memSink{}
				w := newWebhook(t, d, sink, k8s.WithTimeout(3*time.Second))
				start := time.Now()
				resp := w.Review(t.Context(), request(t, "deployment-create.json"))
				if took := time.Since(start); took != 3*time.Second {
					t.Errorf("review took %v, want the 3s deadline", took)
				}
				close(release)
				if resp.Allowed || resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonTimeout ||
					!strings.Contains(resp.Result.Message, "no decision before the webhook's deadline") {
					t.Fatalf("response = %+v", resp)
				}
				if evs := sink.all(); len(evs) != 1 || evs[0].Outcome != audit.OutcomeDeny {
					t.Fatalf("timeout deny not audited: %+v", evs)
				}
				synctest.Wait()
			})
		})
	}
}

func TestServeHTTPRoundTrip(t *testing.T) {
	t.Parallel()
	g := &fakeGate{deny: map[string][]string{"registry.example/acme/report:2026.11": {"deploy.not_verified"}}}
	srv := httptest.NewServer(newWebhook(t, g, &memSink{}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		fixture string
		allowed bool
	}{
		{"pod-8-containers-one-image.json", true},
		{"deployment-create.json", true},
		{"cronjob-create.json", false},
		{"crd-unknown-kind.json", false},
		{"pod-dry-run.json", true},
		{"pod-delete.json", true},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			body := fixture(t, tc.fixture)
			resp, err := http.Post(srv.URL+"/validate?timeout=10s", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var buf bytes.Buffer
			if _, err := buf.ReadFrom(resp.Body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, %s", resp.StatusCode, buf.String())
			}
			// What the API server reads: an AdmissionReview v1 with the
			// request's uid, decoded strictly.
			var out admissionv1.AdmissionReview
			if strict, err := kjson.UnmarshalStrict(buf.Bytes(), &out); err != nil || len(strict) > 0 {
				t.Fatalf("response is not a strict AdmissionReview: %v %v\n%s", err, strict, buf.String())
			}
			req := request(t, tc.fixture)
			if out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" || out.Request != nil ||
				out.Response == nil || out.Response.UID != req.UID || out.Response.Allowed != tc.allowed {
				t.Fatalf("review = %s", buf.String())
			}
			if !tc.allowed && (out.Response.Result == nil || out.Response.Result.Message == "") {
				t.Fatalf("deny without status.message: %s", buf.String())
			}
		})
	}
}

func TestServeHTTPRefusals(t *testing.T) {
	t.Parallel()
	g := &fakeGate{}
	w := newWebhook(t, g, &memSink{}, k8s.WithMaxBody(64<<10))
	var last *httptest.ResponseRecorder
	post := func(ct string, body []byte) int {
		last = httptest.NewRecorder()
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/validate", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		w.ServeHTTP(last, req)
		return last.Code
	}
	// A malformed review is a 400, or, when its uid is readable, a deny
	// the API server takes whatever its failurePolicy.
	for _, name := range malformedFixtures(t) {
		code := post("application/json", fixture(t, name))
		if code == http.StatusBadRequest {
			continue
		}
		var out admissionv1.AdmissionReview
		if code != http.StatusOK || json.Unmarshal(last.Body.Bytes(), &out) != nil || out.Response == nil ||
			out.Response.Allowed || out.Response.UID == "" || out.Response.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonBadReview {
			t.Errorf("%s: status %d %s, want 400 or a bad-review deny", name, code, last.Body.String())
		}
	}
	if code := post("application/yaml", fixture(t, "pod-dry-run.json")); code != http.StatusUnsupportedMediaType {
		t.Errorf("yaml: status %d", code)
	}
	if code := post("application/json", bytes.Repeat([]byte(" "), 65<<10)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized: status %d", code)
	}
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/validate", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d", rec.Code)
	}
	if n := len(g.decided()); n != 0 {
		t.Errorf("refused requests reached the gate %d times", n)
	}
}

// The API server's timeout parameter shortens the decision deadline (less
// the margin the response needs), never lengthens it.
func TestServeHTTPHonoursAPIServerTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		query string
		want  time.Duration
	}{
		{"", 7 * time.Second},
		{"?timeout=10s", 7 * time.Second},
		{"?timeout=30s", 7 * time.Second},
		{"?timeout=5s", 3 * time.Second},
		{"?timeout=1s", 375 * time.Millisecond}, // answer due at 750ms, half of it the audit write's
		{"?timeout=-5s", 7 * time.Second},
		{"?timeout=soon", 7 * time.Second},
	} {
		t.Run(tc.query, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var left time.Duration
				d := k8s.DeciderFunc(func(ctx context.Context, req gate.Request) (gate.Decision, error) {
					dl, _ := ctx.Deadline()
					left = time.Until(dl)
					return gate.Decision{Allowed: true, Outcome: gate.OutcomeAllow, Digest: fakeDigest(req.Image)}, nil
				})
				w := newWebhook(t, d, &memSink{})
				rec := httptest.NewRecorder()
				req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/validate"+tc.query, bytes.NewReader(fixture(t, "pod-dry-run.json")))
				req.Header.Set("Content-Type", "application/json")
				w.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || left != tc.want {
					t.Fatalf("status %d, decision deadline %v, want %v", rec.Code, left, tc.want)
				}
			})
		})
	}
}

// status.message stays bounded however many images are denied; the audit
// event keeps every violation.
func TestReviewMessageBounded(t *testing.T) {
	t.Parallel()
	deny := map[string][]string{}
	var containers []string
	for i := range 64 {
		ref := fmt.Sprintf("registry.example/acme/service-with-a-long-name-%02d:release-2026.11.30", i)
		deny[ref] = []string{"deploy.not_verified", "deploy.unprotected_ref"}
		containers = append(containers, fmt.Sprintf(`{"name":"c%d","image":%q}`, i, ref))
	}
	obj := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},"spec":{"containers":[` + strings.Join(containers, ",") + `]}}`
	req := &admissionv1.AdmissionRequest{UID: "u2", Kind: k8s.KindPod, Operation: admissionv1.Create, Name: "p", Namespace: "n",
		Object: runtime.RawExtension{Raw: []byte(obj)}}
	sink := &memSink{}
	resp := newWebhook(t, &fakeGate{deny: deny}, sink).Review(t.Context(), req)
	if resp.Allowed || len(resp.Result.Message) > 2048 || !strings.HasSuffix(resp.Result.Message, "…") {
		t.Fatalf("message of %d bytes: %q", len(resp.Result.Message), resp.Result.Message)
	}
	if v := sink.all()[0].Violations; len(v) != 128 {
		t.Fatalf("audit event has %d violations, want 128", len(v))
	}
}

// With WithDigestsRequired an image named by tag alone is refused before
// the gate is asked: the node resolves a tag itself (later, with its own
// credentials or mirrors, or from an image of that tag already on it), so
// the gate's verdict on what the tag named then says nothing of what runs.
// A digest beside a tag is what runtimes pull, and is decided.
func TestDigestsRequired(t *testing.T) {
	t.Parallel()
	const tagged = "registry.example/acme/app:v1"
	pinned := tagged + "@" + fakeDigest("content")
	for _, tc := range []struct {
		image   string
		allowed bool
		reason  string
	}{
		{image: tagged, reason: k8s.ReasonTagReference},
		{image: pinned, allowed: true, reason: k8s.ReasonVerified},
		{image: "registry.example/acme/app@" + fakeDigest("content"), allowed: true, reason: k8s.ReasonVerified},
	} {
		g, sink := &fakeGate{}, &memSink{}
		req := request(t, "pod-8-containers-one-image.json")
		req.Object = runtime.RawExtension{Raw: bytes.ReplaceAll(req.Object.Raw, []byte(`"`+tagged+`"`), []byte(`"`+tc.image+`"`))}
		resp := newWebhook(t, g, sink, k8s.WithDigestsRequired()).Review(t.Context(), req)
		if resp.Allowed != tc.allowed || resp.AuditAnnotations[k8s.AnnotationReason] != tc.reason {
			t.Errorf("%s: allowed %v reason %q, want %v %q (%+v)", tc.image, resp.Allowed, resp.AuditAnnotations[k8s.AnnotationReason],
				tc.allowed, tc.reason, resp.Result)
		}
		if !tc.allowed && (len(g.decided()) != 0 || !strings.Contains(resp.Result.Message, `"`+tagged+`"`)) {
			t.Errorf("%s: gate asked %q; message %q", tc.image, g.decided(), resp.Result.Message)
		}
		if tc.allowed && !slices.Equal(g.decided(), []string{tc.image}) {
			t.Errorf("%s: gate asked %q", tc.image, g.decided())
		}
	}
}
