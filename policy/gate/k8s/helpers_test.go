package k8s_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/k8s"
)

// webhookToken is the webhook's own workload token; it must reach the gate
// and nothing else.
const webhookToken = "webhook-sa-token-canary-5d1e"

var tokens = identity.TokenSourceFunc(func(context.Context) (string, error) { return webhookToken, nil })

// fakeGate is a counting Decider: it allows every image except those in
// deny (ref → rule ids), and digests each reference deterministically.
type fakeGate struct {
	mu     sync.Mutex
	calls  []string
	tokens []string
	deny   map[string][]string
	errs   map[string]error
}

func (g *fakeGate) Decide(_ context.Context, req gate.Request) (gate.Decision, error) {
	g.mu.Lock()
	g.calls = append(g.calls, req.Image)
	g.tokens = append(g.tokens, req.JobToken.Reveal())
	g.mu.Unlock()
	d := gate.Decision{Digest: fakeDigest(req.Image), Job: "https://kubernetes.default.svc#system:serviceaccount:ztci:admission",
		AuditID: "gate-" + fakeDigest(req.Image)[7:15]}
	if err := g.errs[req.Image]; err != nil {
		d.Outcome, d.Error = gate.OutcomeError, err.Error()
		return d, err
	}
	if rules, ok := g.deny[req.Image]; ok {
		d.Outcome = gate.OutcomeDeny
		for _, r := range rules {
			d.Violations = append(d.Violations, policy.Violation{Rule: r, Message: "test"})
		}
		return d, nil
	}
	d.Allowed, d.Outcome = true, gate.OutcomeAllow
	return d, nil
}

func (g *fakeGate) decided() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Sorted(slices.Values(g.calls))
}

// fakeDigest is the digest ref pins, as the gate decides it, or else one
// derived from ref.
func fakeDigest(ref string) string {
	if at := strings.LastIndexByte(ref, '@'); at >= 0 {
		return ref[at+1:]
	}
	h := sha256.Sum256([]byte(ref))
	return "sha256:" + hex.EncodeToString(h[:])
}

// memSink records audit events; failing makes every write fail.
type memSink struct {
	mu      sync.Mutex
	events  []audit.Event
	failing bool
}

func (s *memSink) Write(_ context.Context, ev audit.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		return errors.New("sink down")
	}
	s.events = append(s.events, ev)
	return nil
}

func (s *memSink) all() []audit.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]audit.Event(nil), s.events...)
}

func newWebhook(t testing.TB, d k8s.Decider, sink audit.Sink, opts ...k8s.Option) *k8s.Webhook {
	t.Helper()
	w, err := k8s.New(d, tokens, sink, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func request(t testing.TB, name string) *admissionv1.AdmissionRequest {
	t.Helper()
	r, err := k8s.DecodeReview(fixture(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r.Request
}

func malformedFixtures(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob("testdata/review-malformed-*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no malformed fixtures: %v", err)
	}
	for i, n := range names {
		names[i] = strings.TrimPrefix(n, "testdata/")
	}
	return names
}
