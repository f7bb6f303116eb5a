package gate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
)

// heldPolicy blocks every decision until release is closed, telling
// entered about each.
type heldPolicy struct {
	allowVerified
	entered chan struct{}
	release chan struct{}
}

func (p *heldPolicy) Evaluate(ctx context.Context, in policy.Input) (policy.Decision, error) {
	p.entered <- struct{}{}
	select {
	case <-p.release:
		return p.allowVerified.Evaluate(ctx, in)
	case <-ctx.Done():
		return policy.Decision{}, context.Cause(ctx)
	}
}

// TestOneJobCannotHoldEveryDecision: a job whose decisions hang (a slow
// registry, a slow policy) holds at most MaxInFlightPerJob of them; its
// next one is undecided at once (ErrJobBusy, audited, HTTP 503 with
// Retry-After) while another job is still decided, and the job's slots
// come back when its decisions end.
func TestOneJobCannotHoldEveryDecision(t *testing.T) {
	t.Parallel()
	const other = "other-job-token-canary-1c9e"
	two := identity.TokenVerifierFunc(func(ctx context.Context, raw string) (identity.Identity, error) {
		if raw == other {
			return identity.Identity{Issuer: "https://ci.example", Subject: "repo:acme/other:ref:refs/heads/main",
				Claims: identity.Claims{Repository: "acme/other", Ref: "refs/heads/main", RefProtected: true, RunID: "7"}}, nil
		}
		return tokens.Verify(ctx, raw)
	})
	p := &heldPolicy{entered: make(chan struct{}, 8), release: make(chan struct{})}
	sink := &memSink{}
	g, err := gate.New(two, gate.Verifiers{"https://slsa.dev/provenance/v1": provenanceVerifier(t)}, p, sink,
		gate.WithLimits(gate.Limits{MaxInFlightPerJob: 2}))
	if err != nil {
		t.Fatal(err)
	}
	req := func(tok string) gate.Request {
		return gate.Request{JobToken: gate.NewToken(tok), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest}
	}
	held := make(chan error, 2)
	for range 2 {
		go func() { _, err := g.Decide(t.Context(), req(goodToken)); held <- err }()
		<-p.entered
	}
	if _, err := g.Decide(t.Context(), req(goodToken)); !errors.Is(err, gate.ErrJobBusy) || !errors.Is(err, gate.ErrUndecided) {
		t.Fatalf("third decision of a job with two in flight: %v, want ErrJobBusy", err)
	}
	if evs := sink.all(); len(evs) != 1 || evs[0].Outcome != audit.OutcomeError || evs[0].Reason != "could not decide: job_busy" {
		t.Fatalf("audit = %+v, want the refusal recorded", evs)
	}
	url := "http://" + serveGate(t, g)
	busy, _ := gate.EncodeRequest(req(goodToken))
	resp, err := http.Post(url+gate.PathAdmit, "application/json", bytes.NewReader(busy))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("over HTTP: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	otherDone := make(chan error, 1)
	go func() { _, err := g.Decide(t.Context(), req(other)); otherDone <- err }()
	<-p.entered // another job is decided while the first holds its bound
	close(p.release)
	if err := <-otherDone; err != nil {
		t.Fatalf("another job's decision: %v", err)
	}
	for range 2 {
		if err := <-held; err != nil {
			t.Fatalf("held decision: %v", err)
		}
	}
	if d, err := g.Decide(t.Context(), req(goodToken)); err != nil || !d.Allowed {
		t.Fatalf("after its decisions ended, the job is decided again: %+v, %v", d, err)
	}
}
