package k8s_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	kjson "sigs.k8s.io/json"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/gate/k8s"
)

func serve(t *testing.T, w *k8s.Webhook, hdr http.Header, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/validate", bytes.NewReader(body))
	for k, v := range hdr {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, req)
	return rec
}

// TestReview3ContentDeclaredOtherwiseRefused: the webhook takes only a body
// declared as plain UTF-8 JSON (gate.CheckJSONContent), as the gate does.
func TestReview3ContentDeclaredOtherwiseRefused(t *testing.T) {
	t.Parallel()
	g := &fakeGate{}
	w := newWebhook(t, g, &memSink{})
	body := fixture(t, "pod-dry-run.json")
	for name, hdr := range map[string]http.Header{
		"charset utf-16":    {"Content-Type": {"application/json; charset=utf-16"}},
		"two content types": {"Content-Type": {"application/json", "application/yaml"}},
		"gzip":              {"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}},
		"none":              {},
	} {
		if rec := serve(t, w, hdr, body); rec.Code != http.StatusUnsupportedMediaType {
			t.Errorf("%s: status %d %.200s, want 415", name, rec.Code, rec.Body.String())
		}
	}
	if n := len(g.decided()); n != 0 {
		t.Fatalf("refused reviews reached the gate %d times", n)
	}
	if rec := serve(t, w, http.Header{"Content-Type": {"application/json; charset=UTF-8"}}, body); rec.Code != http.StatusOK {
		t.Fatalf("charset=UTF-8: status %d", rec.Code)
	}
}

// TestReview3MalformedReviewDeniedWithUID: a review the webhook cannot
// read but whose uid it can is answered with a deny for that uid, which the
// API server applies whatever the webhook's failurePolicy (a 400 with
// failurePolicy: Ignore admits the object).
func TestReview3MalformedReviewDeniedWithUID(t *testing.T) {
	t.Parallel()
	g, sink := &fakeGate{}, &memSink{}
	w := newWebhook(t, g, sink)
	var doc map[string]any
	if err := json.Unmarshal(fixture(t, "pod-dry-run.json"), &doc); err != nil {
		t.Fatal(err)
	}
	// A member a newer API server might add: this webhook cannot know what
	// it means, so the review is not read, and denied.
	doc["request"].(map[string]any)["futureMember"] = true
	body, _ := json.Marshal(doc)
	rec := serve(t, w, http.Header{"Content-Type": {"application/json"}}, body)
	var out admissionv1.AdmissionReview
	if strict, err := kjson.UnmarshalStrict(rec.Body.Bytes(), &out); rec.Code != http.StatusOK || err != nil || len(strict) > 0 {
		t.Fatalf("status %d, %v %v: %s", rec.Code, err, strict, rec.Body.String())
	}
	r := out.Response
	if out.APIVersion != k8s.ReviewAPIVersion || out.Kind != k8s.ReviewKind || r == nil || r.Allowed ||
		r.UID != "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a" || r.Result == nil || r.Result.Message == "" ||
		r.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonBadReview {
		t.Fatalf("review = %s; want a bad-review deny for the request's uid", rec.Body.String())
	}
	// The gate is not asked; the deny is audited, for the uid it answers.
	if evs := sink.all(); len(g.decided()) != 0 || len(evs) != 1 || evs[0].Outcome != audit.OutcomeDeny ||
		evs[0].Reason != k8s.ReasonBadReview || evs[0].Attributes["admission_uid"] != string(r.UID) {
		t.Fatalf("gate asked %v, audit events %+v; want no decision and one bad-review deny", g.decided(), evs)
	}
	// No readable uid: nothing to answer for; 400.
	for _, b := range []string{`{"request":{"UID":"x"}}`, `{"request":{"uid":""}}`, `{"request":{"uid":7}}`, `{"request":{"uid":"x"}} {}`} {
		if rec := serve(t, w, http.Header{"Content-Type": {"application/json"}}, []byte(b)); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d %s, want 400", b, rec.Code, rec.Body.String())
		}
	}
}

// TestReview3InvalidUTF8Refused: an image spelt with a byte that is not
// UTF-8 would reach the gate as U+FFFD, a reference nothing else reads.
func TestReview3InvalidUTF8Refused(t *testing.T) {
	t.Parallel()
	g := &fakeGate{}
	body := []byte(strings.Replace(string(fixture(t, "pod-dry-run.json")), "registry.example/acme/app:v1", "registry.example/acme/app:v1\xff", 1))
	if _, err := k8s.DecodeReview(body); !errors.Is(err, k8s.ErrBadReview) {
		t.Fatalf("DecodeReview = %v, want ErrBadReview", err)
	}
	rec := serve(t, newWebhook(t, g, &memSink{}), http.Header{"Content-Type": {"application/json"}}, body)
	if rec.Code == http.StatusOK && strings.Contains(rec.Body.String(), `"allowed":true`) || len(g.decided()) != 0 {
		t.Fatalf("status %d %s, gate asked %v", rec.Code, rec.Body.String(), g.decided())
	}
}

// TestReview3StuckTokenSourceAndSinkStillDeny: a token source or audit
// sink that ignores its context does not hold the review past its deadline
// (and the API server's, into failurePolicy): the review is denied in time.
func TestReview3StuckTokenSourceAndSinkStillDeny(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	stuckTokens := identity.TokenSourceFunc(func(context.Context) (string, error) { <-release; return webhookToken, nil })
	stuckSink := audit.SinkFunc(func(context.Context, audit.Event) error { <-release; return nil })
	for _, tc := range []struct {
		name   string
		tokens identity.TokenSource
		sink   audit.Sink
		reason string
	}{
		{"token source", stuckTokens, &memSink{}, k8s.ReasonNoToken},
		{"audit sink", tokens, stuckSink, k8s.ReasonAuditFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w, err := k8s.New(&fakeGate{}, tc.tokens, tc.sink, k8s.WithTimeout(100*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan *admissionv1.AdmissionResponse, 1)
			go func() { done <- w.Review(t.Context(), request(t, "pod-dry-run.json")) }()
			select {
			case resp := <-done:
				if resp.Allowed || resp.AuditAnnotations[k8s.AnnotationReason] != tc.reason {
					t.Fatalf("response %+v, want a %s deny", resp, tc.reason)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("review still running 5 s after a 100 ms deadline")
			}
		})
	}
}

// TestReview3OldEphemeralContainersKindDenied: before Kubernetes 1.22 the
// pods/ephemeralcontainers subresource carried an EphemeralContainers
// object, which this webhook does not read: denied, not passed, even with
// WithUngatedKindsAllowedUnsafe, whose safety rests on Pods being gated.
func TestReview3OldEphemeralContainersKindDenied(t *testing.T) {
	t.Parallel()
	req := request(t, "pod-ephemeral-container.json")
	req.Kind.Kind = "EphemeralContainers"
	for _, opts := range [][]k8s.Option{nil, {k8s.WithUngatedKindsAllowedUnsafe()}} {
		g := &fakeGate{}
		resp := newWebhook(t, g, &memSink{}, opts...).Review(t.Context(), req)
		if resp.Allowed || resp.AuditAnnotations[k8s.AnnotationReason] != k8s.ReasonUnsupportedKind || len(g.decided()) != 0 {
			t.Fatalf("%d options: response %+v", len(opts), resp)
		}
	}
}

// TestReview3AuditListsOddImagesQuoted: the API server allows spaces and
// "=" inside an image; the audit event's space-separated "ref=outcome" list
// must not read such an image as another image allowed with a digest.
func TestReview3AuditListsOddImagesQuoted(t *testing.T) {
	t.Parallel()
	const odd = "registry.example/acme/app:v1=sha256:aaaa registry.example/acme/evil:x"
	req := request(t, "pod-dry-run.json")
	req.Object.Raw = bytes.Replace(req.Object.Raw, []byte(`"registry.example/acme/app:v1"`), []byte(`"`+odd+`"`), 1)
	sink := &memSink{}
	resp := newWebhook(t, &fakeGate{deny: map[string][]string{odd: {"deploy.bad_ref"}}}, sink).Review(t.Context(), req)
	evs := sink.all()
	if resp.Allowed || len(evs) != 1 {
		t.Fatalf("response %+v, %d events", resp, len(evs))
	}
	images := evs[0].Attributes["images"]
	if !strings.HasPrefix(images, `"`+odd+`"=deny:`) || strings.Count(images, " ") != 1 {
		t.Fatalf("images attribute %q, want the odd image quoted", images)
	}
	if v := evs[0].Violations; len(v) != 1 || v[0] != `"`+odd+`": deploy.bad_ref` {
		t.Fatalf("violations %q", v)
	}
}
