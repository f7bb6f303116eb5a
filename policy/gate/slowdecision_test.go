package gate_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
)

// slowPolicy allows a verified artifact after d, unless its context ends
// first.
type slowPolicy struct {
	allowVerified
	d time.Duration
}

func (p *slowPolicy) Evaluate(ctx context.Context, in policy.Input) (policy.Decision, error) {
	select {
	case <-time.After(p.d):
		return p.allowVerified.Evaluate(ctx, in)
	case <-ctx.Done():
		return policy.Decision{}, context.Cause(ctx)
	}
}

// TestDecisionOutlivesTheBodyDeadline: the body deadline bounds reading the
// request, not deciding it. The handler leaves its read deadline in place
// after the body; this holds only because net/http clears it when it starts
// watching the connection for a close, and a watch under that deadline
// would cancel every decision still running BodyTimeout after the body
// began (a claim waiting for a NATS election, a cold registry fetch).
func TestDecisionOutlivesTheBodyDeadline(t *testing.T) {
	t.Parallel()
	const bodyTimeout = 100 * time.Millisecond
	g := newGate(t, &slowPolicy{d: 3 * bodyTimeout}, &memSink{}, gate.WithLimits(gate.Limits{BodyTimeout: bodyTimeout}))
	url := "http://" + serveGate(t, g)
	good, _ := gate.EncodeRequest(gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest})
	for i := range 2 { // the second on the same keep-alive connection
		if code, d := post(t, url, "application/json", good); code != http.StatusOK || !d.Allowed {
			t.Fatalf("request %d, decided in %v with a body deadline of %v: %d %+v", i, 3*bodyTimeout, bodyTimeout, code, d)
		}
	}
}
