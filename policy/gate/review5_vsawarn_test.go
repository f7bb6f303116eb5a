package gate_test

import (
	"slices"
	"testing"

	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify/image"
)

// TestReview5WarnModePolicyDenyOnVSANotRelied: gate B runs its policy in
// Warn mode, which admits what the policy denies and reports why. Its
// policy denies on what gate A's summary carries (the builder is not one
// B allows). The summary is a summary "on which policy denies": it must
// be ignored, so B decides by full verification and reports the
// violation, in the Decision and in its audit event, as it would without
// the summary. Relying on it allowed the image with no violation at all.
func TestReview5WarnModePolicyDenyOnVSANotRelied(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img, dA, _ := w.summarisedMain(t)

	cfg := w.lab.PolicyConfig()
	cfg.Deploy.Builders = []string{"https://builder.example/not-this-one"}
	eng, err := policy.New(ctx, policy.BuiltinWith(cfg), policy.WithMode(policy.Warn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	vs, err := w.lab.Verifiers(false)
	if err != nil {
		t.Fatal(err)
	}
	rec := audittest.NewRecorder()
	b, err := gate.New(w.tokens, vs, eng, rec, gate.WithRegistries(w.lab.Registry()),
		gate.WithImageOptions(image.WithCache(0, 0)), gate.WithTrustedVSAs(w.trustA(t, dA.PolicyRevision)))
	if err != nil {
		t.Fatal(err)
	}
	d, err := b.Decide(ctx, w.request(t, img.Image))
	if err != nil || !d.Allowed || d.TrustedVSA != nil || !slices.Contains(d.Rules(), "deploy.builder_not_allowed") {
		t.Fatalf("warn-mode decision: %s (trusted %+v), %v; want an allow by full verification reporting the builder violation",
			d, d.TrustedVSA, err)
	}
	evs := rec.Events()
	if len(evs) != 1 || !slices.Contains(evs[0].Violations, "deploy.builder_not_allowed") {
		t.Fatalf("audit %+v; want the violation recorded", evs)
	}
}
