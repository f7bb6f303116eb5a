package gate_test

import (
	"encoding/json"
	"testing"

	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
)

// TestVerdictSource: the first decision on an image verifies it, the next
// is answered by the verdict cache, and inline bundles say so — the
// figures an operator's cache-hit rate is computed from.
func TestVerdictSource(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lab, err := gatetest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lab.Close() })
	job := gatetest.Job{Ref: "refs/heads/main", Protected: true}
	img, err := lab.Publish(ctx, job, "v1")
	if err != nil {
		t.Fatal(err)
	}
	g, err := lab.Gate(ctx, &memSink{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{gate.VerdictVerified, gate.VerdictCached} {
		tok, err := lab.Token(ctx, job)
		if err != nil {
			t.Fatal(err)
		}
		d, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: img.Image})
		if err != nil || !d.Allowed || d.VerdictSource != want {
			t.Fatalf("Decide = %+v, %v; want an allow with verdict source %q", d, err, want)
		}
	}

	inline := newGate(t, &allowVerified{}, &memSink{})
	d, err := inline.Decide(ctx, gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest})
	if err != nil || d.VerdictSource != gate.VerdictInline {
		t.Fatalf("inline Decide = %+v, %v; want verdict source %q", d, err, gate.VerdictInline)
	}
	d, _ = inline.Decide(ctx, gate.Request{JobToken: gate.NewToken("bad"), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest})
	if d.VerdictSource != "" {
		t.Fatalf("unauthenticated request has verdict source %q, want none", d.VerdictSource)
	}
}
