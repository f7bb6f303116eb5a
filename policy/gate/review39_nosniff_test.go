package gate_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy/gate"
)

// TestReview39NosniffEveryAnswer: a Decision carries text the request and
// its attestations chose (a policy's violation messages, an artifact's
// name), and the mux's own 404 and 405 answers name no type a browser must
// keep to. Without X-Content-Type-Options: nosniff a browser pointed at
// the gate (a link in a CI log) may sniff an answer as another type. Every
// answer of the handler, whatever its path, method or status, says nosniff.
func TestReview39NosniffEveryAnswer(t *testing.T) {
	t.Parallel()
	h := newGate(t, &allowVerified{}, &memSink{}).Handler()
	good, err := gate.EncodeRequest(gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)},
		Name: "<html><script>alert(1)</script>.txt", Digest: artifactDigest})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, ctype, body string
	}{
		{name: "decision", method: http.MethodPost, path: gate.PathAdmit, ctype: "application/json", body: string(good)},
		{name: "bad request", method: http.MethodPost, path: gate.PathAdmit, ctype: "application/json", body: `{"image":"<html>"`},
		{name: "wrong content type", method: http.MethodPost, path: gate.PathAdmit, ctype: "text/html", body: `<html>`},
		{name: "wrong method", method: http.MethodGet, path: gate.PathAdmit},
		{name: "unknown path", method: http.MethodGet, path: "/<html>"},
		{name: "healthz", method: http.MethodGet, path: gate.PathHealthz},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequestWithContext(t.Context(), tt.method, "http://gate.example"+strings.ReplaceAll(tt.path, "<", "%3C"), bytes.NewReader([]byte(tt.body)))
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if got := w.Result().Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Fatalf("%d answer with X-Content-Type-Options %q; want nosniff", w.Code, got)
			}
		})
	}
}
