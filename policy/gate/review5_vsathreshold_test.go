package gate_test

import (
	"testing"

	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify/image"
)

// TestReview5VSADoesNotLowerTheSignerThreshold: gate B requires two
// distinct signers per manifest (image.WithThreshold(2)); the Lab's image
// has one, so full verification finds it unverified and denies. Gate A,
// with the default threshold of one, allowed it and issued a summary whose
// inputs name that one signer. B must not decide on that summary: a
// summary saves work, it does not lower the threshold B is configured
// with. With B at A's threshold, the summary is relied on as before.
func TestReview5VSADoesNotLowerTheSignerThreshold(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img, dA, _ := w.summarisedMain(t)

	b, _ := w.gate(t, discard(), gate.WithTrustedVSAs(w.trustA(t, dA.PolicyRevision)), gate.WithImageOptions(image.WithThreshold(2)))
	d, err := b.Decide(ctx, w.request(t, img.Image))
	if err != nil || d.Allowed || d.TrustedVSA != nil || d.Verified {
		t.Fatalf("gate B (threshold 2): %s (trusted %+v, verified %v), %v; want the summary ignored and full verification's deny",
			d, d.TrustedVSA, d.Verified, err)
	}

	same, _ := w.gate(t, discard(), gate.WithTrustedVSAs(w.trustA(t, dA.PolicyRevision)), gate.WithImageOptions(image.WithThreshold(1)))
	if d, err := same.Decide(ctx, w.request(t, img.Image)); err != nil || !d.Allowed || d.TrustedVSA == nil {
		t.Fatalf("gate B (threshold 1): %s, %v; want an allow on the summary", d, err)
	}
}
