package gate_test

import (
	"strings"
	"testing"

	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
)

// TestReview5BuilderRevokedAtEveryRef: a builder revoked by the id a
// verify.Provenance expectation names it by ("…/runner", which matches
// "…/runner@<ref>", slsa-github-generator style) revokes every ref of it:
// a provenance naming "…/runner@v1" is refused, on full verification and
// among the inputs of a trusted summary. Compared byte for byte, the mark
// on the builder the operator configured denied nothing.
func TestReview5BuilderRevokedAtEveryRef(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	base, _, ok := strings.Cut(gatetest.BuilderID, "@")
	if !ok {
		t.Fatalf("the Lab's builder id %q has no @ref", gatetest.BuilderID)
	}
	w := newVSAWorld(t)
	img := w.publishMain(t)
	m := &marks{}
	m.mark(base)

	t.Run("full verification", func(t *testing.T) {
		t.Parallel()
		g, _ := w.gate(t, discard(), gate.WithRevocations(gate.Revocations{Builders: m}))
		d, err := g.Decide(ctx, w.request(t, img.Image))
		if err != nil || d.Allowed {
			t.Fatalf("Decide = %s, %v; want a deny (the builder is revoked)", d, err)
		}
		revoked := 0
		for _, a := range d.Attestations {
			if !a.Verified && strings.Contains(a.Error, gate.ErrRevoked.Error()) {
				revoked++
			}
		}
		if revoked != 1 {
			t.Fatalf("attestations %+v: want the provenance refused as revoked", d.Attestations)
		}
	})

	t.Run("trusted summary", func(t *testing.T) {
		t.Parallel()
		var attached attachments
		a, _ := w.gate(t, discard(), gate.WithVSA(w.issuer(&attached)))
		dA, err := a.Decide(ctx, w.request(t, img.Image))
		if err != nil || !dA.Allowed || dA.IssuedVSA == nil {
			t.Fatalf("gate A: %s, %v", dA, err)
		}
		b, _ := w.gate(t, discard(), gate.WithTrustedVSAs(w.trustA(t, dA.PolicyRevision)),
			gate.WithRevocations(gate.Revocations{Builders: m}))
		dB, err := b.Decide(ctx, w.request(t, img.Image))
		if err != nil || dB.Allowed || dB.TrustedVSA != nil {
			t.Fatalf("gate B: %s (trusted %+v), %v; want the summary ignored and a deny", dB, dB.TrustedVSA, err)
		}
	})
}
