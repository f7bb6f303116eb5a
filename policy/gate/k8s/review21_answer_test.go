package k8s_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/k8s"
)

// TestReview21AnswerOutlivesWriteTimeout: a review decided within
// WithTimeout but after the server's WriteTimeout was audited by the
// webhook while its connection was cut before the answer: the API server
// applied its failurePolicy (under Ignore, an admit) to a review the
// webhook's log records as decided. The handler moves the write deadline
// to cover the decisions, so the API server reads the answer the log
// records.
func TestReview21AnswerOutlivesWriteTimeout(t *testing.T) {
	t.Parallel()
	g := &fakeGate{}
	slow := k8s.DeciderFunc(func(ctx context.Context, req gate.Request) (gate.Decision, error) {
		time.Sleep(600 * time.Millisecond)
		return g.Decide(ctx, req)
	})
	sink := &memSink{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: newWebhook(t, slow, sink, k8s.WithTimeout(3*time.Second)),
		ReadHeaderTimeout: time.Second, WriteTimeout: 200 * time.Millisecond}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	resp, err := http.Post("http://"+ln.Addr().String()+"/validate", "application/json", bytes.NewReader(fixture(t, "deployment-create.json")))
	if err != nil {
		t.Fatalf("no answer to a review the webhook decided and audited: %v (audit: %d events)", err, len(sink.all()))
	}
	defer resp.Body.Close()
	var out admissionv1.AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Response == nil || !out.Response.Allowed {
		t.Fatalf("answer %d %+v, %v; want the allow", resp.StatusCode, out.Response, err)
	}
	evs := sink.all()
	if len(evs) != 1 || evs[0].ID != out.Response.AuditAnnotations[k8s.AnnotationAuditID] {
		t.Fatalf("audit %+v; want the one event the answer names", evs)
	}
}
