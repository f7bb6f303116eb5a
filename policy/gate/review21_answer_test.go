package gate_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate"
)

// TestReview21AnswerOutlivesWriteTimeout: a decision that ends within
// Limits.Timeout but after the server's WriteTimeout (NewServer's is
// DefaultTimeout's, whatever Limits.Timeout the gate was given) was
// audited as an allow while the connection was cut before the answer:
// the log held an allow no caller received. The handler moves the write
// deadline to cover the decision, so the caller gets the allow the log
// records.
func TestReview21AnswerOutlivesWriteTimeout(t *testing.T) {
	t.Parallel()
	sink := &memSink{}
	g := newGate(t, &slowPolicy{d: 600 * time.Millisecond}, sink, gate.WithLimits(gate.Limits{Timeout: 3 * time.Second}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: g.Handler(), ReadHeaderTimeout: time.Second, WriteTimeout: 200 * time.Millisecond}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	body, err := gate.EncodeRequest(gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+ln.Addr().String()+gate.PathAdmit, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("no answer to a decision the gate took and audited: %v (audit: %+v)", err, sink.all())
	}
	defer resp.Body.Close()
	var d gate.Decision
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || resp.StatusCode != http.StatusOK || !d.Allowed {
		t.Fatalf("answer %d %+v, %v; want the allow", resp.StatusCode, d, err)
	}
	evs := sink.all()
	if len(evs) != 1 || evs[0].Outcome != audit.OutcomeAllow || evs[0].ID != d.AuditID {
		t.Fatalf("audit %+v; want the one allow the caller got (%s)", evs, d.AuditID)
	}
}
