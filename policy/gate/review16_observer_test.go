package gate_test

import (
	"encoding/json"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate"
)

// TestReview16ObserverPanicKeepsTheDecision: the observer (metrics) runs
// after the decision is taken and audited. A panicking observer took the
// decision from the caller: Decide panicked, and through the HTTP handler
// the connection closed without an answer, while the audit log recorded
// an allow that nobody received. The decision the audit log records is
// the decision returned; the observation is dropped.
func TestReview16ObserverPanicKeepsTheDecision(t *testing.T) {
	t.Parallel()
	sink := &memSink{}
	g := newGate(t, &allowVerified{}, sink, gate.WithObserver(gate.ObserverFunc(func(gate.Observation) { panic("metrics backend") })))
	var d gate.Decision
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("Decide panicked (%v) after the audit log recorded %+v", p, sink.all())
			}
		}()
		d, err = g.Decide(t.Context(), gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)},
			Name: "a.txt", Digest: artifactDigest})
	}()
	evs := sink.all()
	if err != nil || !d.Allowed || len(evs) != 1 || evs[0].Outcome != audit.OutcomeAllow || evs[0].ID != d.AuditID {
		t.Fatalf("Decide = %+v, %v; audit %+v; want the audited allow", d, err, evs)
	}

	// The handler answers, refusals included.
	addr := serveGate(t, g)
	if code, _ := post(t, "http://"+addr, "text/plain", []byte("{}")); code != 415 {
		t.Errorf("refusal with a panicking observer: status %d; want 415", code)
	}
}
