package gate_test

import (
	"testing"

	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
)

// A result without ZTCI_POLICY_ALLOWED records a deny of one request, and
// what the policy denies may depend on the requesting job (its ref, its
// repository) or on what the request carries, which the result does not
// name. Were every deny signed and attached, any authenticated job could
// pin a "newest result" that is not an allow on any image the gate reads,
// over its owner's allow. By default WithSVR issues results for policy
// allows only; SVRIssuer.IssueDenies opts in to the rest.
func TestReview33SVRDenyNotIssuedByDefault(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	good, err := w.lab.Publish(ctx, gatetest.Job{Ref: "refs/heads/main", Protected: true}, "victim")
	if err != nil {
		t.Fatal(err)
	}
	bad, err := w.lab.Publish(ctx, gatetest.Job{Ref: "refs/heads/feature/x", Protected: false}, "feature")
	if err != nil {
		t.Fatal(err)
	}
	var attached attachments
	sink := &memSink{}
	g, _ := w.gate(t, sink, gate.WithSVR(w.svrIssuer(t, &attached)))
	d, err := g.Decide(ctx, w.request(t, good.Image))
	if err != nil || !d.Allowed || d.IssuedSVR == nil {
		t.Fatalf("allow: Decide = %+v, %v; want an allow with an SVR", d, err)
	}
	d, err = g.Decide(ctx, w.request(t, bad.Image))
	if err != nil || d.Allowed || len(d.Violations) == 0 {
		t.Fatalf("deny: Decide = %+v, %v; want a policy deny", d, err)
	}
	if d.IssuedSVR != nil || len(attached.all()) != 1 {
		t.Fatalf("a deny issued an SVR (%+v; %d attached) without IssueDenies", d.IssuedSVR, len(attached.all()))
	}
	if found := w.discoverSVRs(t, bad.Image)[bad.Digest]; len(found) != 0 {
		t.Fatalf("found %d results on the denied image", len(found))
	}
}
