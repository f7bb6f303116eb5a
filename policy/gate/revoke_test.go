package gate_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
)

// marks is a deny-list a test can add to while the gate runs.
type marks struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (m *marks) Compromised(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ids[id]
}

func (m *marks) mark(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ids == nil {
		m.ids = map[string]bool{}
	}
	m.ids[id] = true
}

// Every revocation kind: allowed before the mark, denied after it, on the
// same gate with its verification caches warm — a mark is not outlived by a
// cached verdict.
func TestRevocations(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lab, err := gatetest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lab.Close() })
	main := gatetest.Job{Ref: "refs/heads/main", Protected: true}
	img, err := lab.Publish(ctx, main, "v1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kind string
		id   func(jobID string) string
		set  func(r *gate.Revocations, m *marks)
	}{
		{"job", func(jobID string) string { return jobID }, func(r *gate.Revocations, m *marks) { r.Jobs = m }},
		{"signer", func(string) string { return gatetest.SignerSAN }, func(r *gate.Revocations, m *marks) { r.Signers = m }},
		{"builder", func(string) string { return gatetest.BuilderID }, func(r *gate.Revocations, m *marks) { r.Builders = m }},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			t.Parallel()
			m := &marks{}
			var rev gate.Revocations
			tt.set(&rev, m)
			g, err := lab.Gate(ctx, audit.SinkFunc(func(context.Context, audit.Event) error { return nil }), gate.WithRevocations(rev))
			if err != nil {
				t.Fatal(err)
			}
			tok, err := lab.Token(ctx, main)
			if err != nil {
				t.Fatal(err)
			}
			req := gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: img.Image}
			before, err := g.Decide(ctx, req)
			if err != nil || !before.Allowed {
				t.Fatalf("before the mark: %+v, %v", before, err)
			}
			m.mark(tt.id(before.Job))
			after, err := g.Decide(ctx, req)
			if err != nil || after.Allowed {
				t.Fatalf("after the mark: %+v, %v; want a deny", after, err)
			}
			if tt.kind == "job" {
				if r := after.Rules(); len(r) != 1 || r[0] != gate.RuleJobRevoked {
					t.Fatalf("rules %v, want [%s]", r, gate.RuleJobRevoked)
				}
				return
			}
			revoked := 0
			for _, a := range after.Attestations {
				if !a.Verified && strings.Contains(a.Error, gate.ErrRevoked.Error()) {
					revoked++
				}
			}
			if revoked == 0 {
				t.Fatalf("attestations %+v: want the %s's attestations refused as revoked", after.Attestations, tt.kind)
			}
		})
	}
}

func TestWithRevocationsNeedsAChecker(t *testing.T) {
	t.Parallel()
	v := provenanceVerifier(t)
	_, err := gate.New(tokens, gate.Verifiers{"x": v}, &allowVerified{}, &memSink{}, gate.WithRevocations(gate.Revocations{}))
	if !errors.Is(err, gate.ErrConfig) {
		t.Fatalf("err = %v, want ErrConfig", err)
	}
}
