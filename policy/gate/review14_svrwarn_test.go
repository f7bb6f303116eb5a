package gate_test

import (
	"testing"
	"testing/fstest"

	"github.com/ztci/ztci/attest/svr"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify/image"
)

// A vendor's policy may deny without giving a violation ({"allow": false,
// "violations": []}); an evaluator in Warn (or DryRun) mode admits the
// image anyway. The result the gate signed named the effective verdict as
// the policy's: it listed ZTCI_POLICY_ALLOWED and, assessed as an allow
// without violations, every deploy control of the catalog, so a consumer
// of the result read a pass of a policy that had denied.
func TestReview14WarnModeDenyWithoutViolationsIsNoPass(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img := w.publishMain(t)
	eng, err := policy.New(ctx, policy.FS(fstest.MapFS{"vendor/main.rego": {Data: []byte(
		"package ztci.main\n\ndecision := {\"allow\": false, \"violations\": []}\n")}}), policy.WithMode(policy.Warn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	vs, err := w.lab.Verifiers(false)
	if err != nil {
		t.Fatal(err)
	}
	var attached attachments
	g, err := gate.New(w.tokens, vs, eng, &memSink{}, gate.WithRegistries(w.lab.Registry()),
		gate.WithImageOptions(image.WithCache(0, 0)), gate.WithSVR(denyingIssuer(w.svrIssuer(t, &attached))))
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.Decide(ctx, w.request(t, img.Image))
	if err != nil || !d.Allowed || len(d.Violations) != 0 || d.IssuedSVR == nil {
		t.Fatalf("Decide = %+v, %v; want a warn-mode allow without violations that issued an SVR", d, err)
	}
	found := w.discoverSVRs(t, img.Image)[img.Digest]
	if len(found) != 1 {
		t.Fatalf("found %d results, want 1", len(found))
	}
	if p := found[0].result.Properties; len(p) != 0 || len(d.IssuedSVR.Properties) != 0 {
		t.Fatalf("result of a policy deny lists %v (decision %v), want no property: neither %s nor a control",
			p, d.IssuedSVR.Properties, svr.PropertyAllowed)
	}
}

// denyingIssuer is iss with IssueDenies: a result for an allow of a warn
// mode that the policy denied is issued only then (review 33).
func denyingIssuer(iss gate.SVRIssuer) gate.SVRIssuer {
	iss.IssueDenies = true
	return iss
}
