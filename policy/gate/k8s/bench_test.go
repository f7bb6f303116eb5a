package k8s_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/k8s"
)

// BenchmarkServeHTTP measures the webhook's own cost per review (read,
// strict decode of the review and the object, one decision per distinct
// image, audit, encode) with a gate that answers at once.
func BenchmarkServeHTTP(b *testing.B) {
	d := k8s.DeciderFunc(func(_ context.Context, req gate.Request) (gate.Decision, error) {
		return gate.Decision{Allowed: true, Outcome: gate.OutcomeAllow, Digest: fakeDigest(req.Image)}, nil
	})
	w := newWebhook(b, d, audit.SinkFunc(func(context.Context, audit.Event) error { return nil }))
	for _, name := range []string{"pod-8-containers-one-image.json", "deployment-create.json"} {
		body := fixture(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				req := httptest.NewRequestWithContext(b.Context(), http.MethodPost, "/validate", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				w.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}
