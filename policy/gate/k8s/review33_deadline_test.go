package k8s_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/k8s"
)

// blockedSink accepts no event until release is closed, whatever its ctx
// says: a log shipper stuck on the network.
type blockedSink struct{ release chan struct{} }

func (s *blockedSink) Write(context.Context, audit.Event) error {
	<-s.release
	return nil
}

// With a short deadline (timeoutSeconds of 1 or 2, or a ctx deadline given
// to Review), every part of the answer must fit before it: the decisions
// end early enough to leave the audit write its share, and an audit write
// not done by the deadline is a deny, not a late answer the API server has
// given up on (its failurePolicy). Before, the audit write always had a
// further second after the decisions.
func TestReview33DeadlineCoversAudit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		http     bool          // through ServeHTTP, else Review
		budget   time.Duration // the API server's timeout, or Review's ctx deadline
		slowGate bool          // the decider waits for its ctx to end
	}{
		{name: "review slow gate 1s", budget: time.Second, slowGate: true},
		{name: "review fast gate 1s", budget: time.Second},
		{name: "review slow gate 300ms", budget: 300 * time.Millisecond, slowGate: true},
		{name: "http slow gate 1s", http: true, budget: time.Second, slowGate: true},
		{name: "http fast gate 1s", http: true, budget: time.Second},
		{name: "http slow gate 2s", http: true, budget: 2 * time.Second, slowGate: true},
		{name: "http fast gate 2s", http: true, budget: 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				sink := &blockedSink{release: make(chan struct{})}
				defer synctest.Wait()
				defer close(sink.release)
				d := k8s.DeciderFunc(func(ctx context.Context, req gate.Request) (gate.Decision, error) {
					if tc.slowGate {
						<-ctx.Done()
						return gate.Decision{Outcome: gate.OutcomeError}, fmt.Errorf("%w: %w", gate.ErrUndecided, ctx.Err())
					}
					return gate.Decision{Allowed: true, Outcome: gate.OutcomeAllow, Digest: fakeDigest(req.Image)}, nil
				})
				w := newWebhook(t, d, sink)
				start := time.Now()
				var resp *admissionv1.AdmissionResponse
				if tc.http {
					rec := httptest.NewRecorder()
					req := httptest.NewRequestWithContext(t.Context(), http.MethodPost,
						"/validate?timeout="+tc.budget.String(), bytes.NewReader(fixture(t, "deployment-create.json")))
					req.Header.Set("Content-Type", "application/json")
					w.ServeHTTP(rec, req)
					// Strictly before: the answer must still travel to the API server.
					if took := time.Since(start); took >= tc.budget {
						t.Errorf("answered after %v, API server timeout %v", took, tc.budget)
					}
					var review admissionv1.AdmissionReview
					if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &review) != nil || review.Response == nil {
						t.Fatalf("status %d, body %s", rec.Code, rec.Body)
					}
					resp = review.Response
				} else {
					ctx, cancel := context.WithTimeout(t.Context(), tc.budget)
					defer cancel()
					resp = w.Review(ctx, request(t, "deployment-create.json"))
					if took := time.Since(start); took > tc.budget {
						t.Errorf("answered after %v, ctx deadline %v", took, tc.budget)
					}
				}
				if resp.Allowed {
					t.Fatalf("allowed without an audit record: %+v", resp)
				}
				want := k8s.ReasonAuditFailed
				if tc.slowGate {
					want = k8s.ReasonTimeout
				}
				if got := resp.AuditAnnotations[k8s.AnnotationReason]; got != want {
					t.Errorf("reason %q, want %q", got, want)
				}
			})
		})
	}
}
