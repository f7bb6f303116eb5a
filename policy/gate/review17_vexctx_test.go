package gate

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/attest/vex"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// A verdict from the cache holds a VEX statement, not its reading, so each
// decision reads the document again, for every artifact it may name: half
// a second for 7 MiB. A decision whose caller went away (or whose deadline
// passed) does not read it: nothing is lifted, and the decision is
// undecided anyway. Counted by allocations, which reading the document
// makes by the thousand.
func TestReview17VEXNotReadAfterCancel(t *testing.T) {
	st := vexAboutTwo(500)
	h := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064x", 1)}
	d, err := name.NewDigest("registry.example/app@" + h.String())
	if err != nil {
		t.Fatal(err)
	}
	res := &image.Result{Digest: d, Threshold: 1, Verified: true, Targets: []image.Target{{Digest: h,
		Attestations: []image.Attestation{{Signer: "s", PredicateType: vex.PredicateType, Result: &verify.Result{Statement: st}}}}}}

	live, _, _ := screenImage(t.Context(), res, nil, Attestation)
	if v := live.Attestations[0].VEX; v == nil || len(v.Statements) == 0 {
		t.Fatal("live decision: no VEX statement read; want those about the image")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	art := live
	allocs := testing.AllocsPerRun(3, func() { art, _, _ = screenImage(ctx, res, nil, Attestation) })
	if art.Attestations[0].VEX != nil {
		t.Errorf("cancelled decision: VEX read (%d statements)", len(art.Attestations[0].VEX.Statements))
	}
	if allocs > 100 {
		t.Errorf("cancelled decision: %.0f allocations; the document was read", allocs)
	}
}
