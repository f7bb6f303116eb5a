package image_test

import (
	"errors"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// review38Verifier is a verify.Verifier for san from vs, audited to rec.
func review38Verifier(t *testing.T, vs *ca.VirtualSigstore, san string, rec *audittest.Recorder) *verify.Verifier {
	t.Helper()
	v, err := verify.New(vs, verify.Expectation{
		Signer:        verify.Identity{SAN: san, Issuer: testIssuer},
		PredicateType: testPredicate,
	}, verify.WithTlogThreshold(0), verify.WithSCTThreshold(0), verify.WithAudit(rec, "gate-1"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestReview38AuditTwoKinds: with image.WithAudit and audited
// verify.Verifiers, one VerifyImage writes one verify.bundle event per
// bundle verify was asked about (a success for the trusted signer's, a
// failure for a bundle about another image) and one verify.image verdict.
// A listed artifact whose subject is another image is refused by image
// before verify, and leaves no per-bundle event, success or failure. A
// cached verdict writes no per-bundle event.
func TestReview38AuditTwoKinds(t *testing.T) {
	t.Parallel()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	const builder = "builder@ci.example"
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	other := ocitest.PushImage(t, reg.Ref(t, "app:other"), 2)
	// The builder's bundle, and a valid bundle about another image
	// attached to this one (verify refuses it: artifact mismatch).
	for _, b := range [][]byte{sigstoreBundle(t, vs, builder, img), sigstoreBundle(t, vs, builder, other)} {
		if _, err := attach.Bundle(t.Context(), img, b, attachOpts(nil)...); err != nil {
			t.Fatal(err)
		}
	}
	// A bundle attached to the other image: listed for it only.
	if _, err := attach.Bundle(t.Context(), other, sigstoreBundle(t, vs, builder, other), attachOpts(nil)...); err != nil {
		t.Fatal(err)
	}
	bundles, verdicts := audittest.NewRecorder(), audittest.NewRecorder()
	bv, err := image.VerifyBundles(review38Verifier(t, vs, builder, bundles))
	if err != nil {
		t.Fatal(err)
	}
	v, err := image.NewVerifier(bv, opts(nil, image.WithAudit(verdicts, "gate-1"))...)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		res, err := v.VerifyImage(t.Context(), img)
		if err != nil || !res.Verified {
			t.Fatalf("VerifyImage: %v, %v", res, err)
		}
	}
	var ok, failed int
	for _, ev := range bundles.Events() {
		if ev.Action != "verify.bundle" {
			t.Errorf("per-bundle event action %q", ev.Action)
		}
		switch ev.Outcome {
		case audit.OutcomeSuccess:
			ok++
		case audit.OutcomeFailure:
			failed++
			if ev.Attributes["category"] != "artifact_mismatch" {
				t.Errorf("failure category %q, want artifact_mismatch", ev.Attributes["category"])
			}
		}
	}
	if ok != 1 || failed != 1 {
		t.Errorf("per-bundle events: %d successes, %d failures; want 1 and 1 (the cached verdict writes none)", ok, failed)
	}
	evs := verdicts.Events()
	if len(evs) != 2 || evs[0].Action != "verify.image" || evs[0].Outcome != audit.OutcomeSuccess || evs[1].Attributes["cached"] != "true" {
		t.Errorf("verdict events %+v; want two verify.image successes, the second cached", evs)
	}
}

// TestReview38AuditAdapterStopsOnUnaudited: VerifyBundles asks its
// verifiers in order. A verifier that refused the bundle but could not
// audit that refusal (verify.ErrAudit) ends the bundle's verification with
// that error: before, the next verifier's success was returned and the
// lost audit event went unnoticed. Through an image.Verifier, it makes the
// image undecidable.
func TestReview38AuditAdapterStopsOnUnaudited(t *testing.T) {
	t.Parallel()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	const builder, reviewer = "builder@ci.example", "reviewer@ci.example"
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	bundle := sigstoreBundle(t, vs, reviewer, img)
	if _, err := attach.Bundle(t.Context(), img, bundle, attachOpts(nil)...); err != nil {
		t.Fatal(err)
	}
	h, err := v1.NewHash(img.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		firstDown bool // the sink of the verifier that refuses the bundle
		lastDown  bool // the sink of the verifier that accepts it
		wantAudit bool
	}{
		{name: "both sinks up"},
		{name: "refusing verifier's sink down", firstDown: true, wantAudit: true},
		{name: "accepting verifier's sink down", lastDown: true, wantAudit: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			first, last := audittest.NewRecorder(), audittest.NewRecorder()
			if tc.firstDown {
				first.Fail(errors.New("sink down"))
			}
			if tc.lastDown {
				last.Fail(errors.New("sink down"))
			}
			bv, err := image.VerifyBundles(review38Verifier(t, vs, builder, first), review38Verifier(t, vs, reviewer, last))
			if err != nil {
				t.Fatal(err)
			}
			br, err := bv.VerifyBundle(t.Context(), bundle, h)
			if !tc.wantAudit {
				if err != nil || br.Signer == "" {
					t.Fatalf("got %+v, %v; want accepted", br, err)
				}
				if len(first.Events()) != 1 || first.Events()[0].Outcome != audit.OutcomeFailure ||
					len(last.Events()) != 1 || last.Events()[0].Outcome != audit.OutcomeSuccess {
					t.Errorf("events %+v / %+v; want one failure, then one success", first.Events(), last.Events())
				}
				return
			}
			if !errors.Is(err, verify.ErrAudit) || br.Signer != "" {
				t.Fatalf("got %+v, %v; want verify.ErrAudit", br, err)
			}
			if tc.firstDown && len(last.Events()) != 0 {
				t.Errorf("the next verifier was asked after an unaudited refusal: %+v", last.Events())
			}
			v, err := image.NewVerifier(bv, opts(nil)...)
			if err != nil {
				t.Fatal(err)
			}
			if res, err := v.VerifyImage(t.Context(), img); !errors.Is(err, verify.ErrAudit) || res != nil {
				t.Errorf("VerifyImage: %+v, %v; want undecidable with verify.ErrAudit", res, err)
			}
		})
	}
}
