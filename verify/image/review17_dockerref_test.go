package image_test

import (
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// TestReview17LegacyDockerReference: a cosign ".sig" binds the image by
// critical.image.docker-manifest-digest, always checked, and names the
// repository it was signed for in critical.identity.docker-reference,
// which cosign does not check: the same signature counts for the same
// digest in any repository (the default, kept). WithLegacyDockerReference
// makes it count only in the repository it names — there was no way to
// ask for that — and a payload without one, or naming another, fails with
// a *LegacyPayloadError naming the check.
func TestReview17LegacyDockerReference(t *testing.T) {
	t.Parallel()
	w := newLegacyWorld(t)
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	mirror := ocitest.PushImage(t, reg.Ref(t, "mirror/app:v1"), 1)
	if img.DigestStr() != mirror.DigestStr() {
		t.Fatal("the copy has another digest")
	}
	s := keyed(t)
	withRef := func(ref string) []byte {
		return []byte(`{"critical":{"identity":{"docker-reference":"` + ref + `"},"image":{"docker-manifest-digest":"` +
			img.DigestStr() + `"},"type":"cosign container image signature"},"optional":null}`)
	}
	// Signed for app; the same layer copied next to the mirror's image.
	pushLegacy(t, img, "sig", w.sigLayer(t, s, withRef(img.Context().Name()+":v1"), legacyOpts{}))
	pushLegacy(t, mirror, "sig", w.sigLayer(t, s, withRef(img.Context().Name()), legacyOpts{}))
	noRef := ocitest.PushImage(t, reg.Ref(t, "noref:v1"), 1)
	pushLegacy(t, noRef, "sig", w.sigLayer(t, s,
		[]byte(`{"critical":{"identity":{},"image":{"docker-manifest-digest":"`+img.DigestStr()+`"},"type":"cosign container image signature"},"optional":null}`),
		legacyOpts{}))

	expect := verify.Expectation{Signer: s.public()}
	def := w.gate(t, expect)
	strict := review17Gate(t, w, expect, image.WithLegacyDockerReference())
	for _, tc := range []struct {
		ref         name.Digest
		def, strict bool
	}{
		{img, true, true},
		{mirror, true, false},
		{noRef, true, false},
	} {
		res, err := def.VerifyImage(t.Context(), tc.ref)
		if err != nil || res.Verified != tc.def {
			t.Errorf("default, %s: err=%v verified=%v, want %v", tc.ref.Context(), err, res.Verified, tc.def)
		}
		res, err = strict.VerifyImage(t.Context(), tc.ref)
		if err != nil || res.Verified != tc.strict {
			t.Fatalf("WithLegacyDockerReference, %s: err=%v verified=%v, want %v", tc.ref.Context(), err, res.Verified, tc.strict)
		}
		if !tc.strict {
			var pe *image.LegacyPayloadError
			if a := res.Targets[0].Attestations[0]; !errors.As(a.Err, &pe) || pe.Check != "critical.identity.docker-reference" {
				t.Errorf("%s: %v, want a docker-reference LegacyPayloadError", tc.ref.Context(), a.Err)
			}
		}
	}

	// The digest is checked whatever the option: a payload for another
	// image, with the right docker-reference, does not count.
	other := ocitest.PushImage(t, reg.Ref(t, "other:v1"), 2)
	pushLegacy(t, other, "sig", w.sigLayer(t, s, withRef(other.Context().Name()), legacyOpts{}))
	for _, v := range []*image.Verifier{def, strict} {
		res, err := v.VerifyImage(t.Context(), other)
		if err != nil || res.Verified {
			t.Errorf("payload naming another digest: err=%v verified=%v", err, res.Verified)
		}
	}

	// Without WithLegacyTags the option would check nothing: refused.
	bv, _ := image.VerifyBundles()
	if _, err := image.NewVerifier(bv, image.WithLegacyDockerReference()); !errors.Is(err, image.ErrConfig) {
		t.Errorf("WithLegacyDockerReference without WithLegacyTags: %v, want ErrConfig", err)
	}
}

// review17Gate is legacyWorld.gate with further image options.
func review17Gate(t *testing.T, w *legacyWorld, expect verify.Expectation, extra ...image.Option) *image.Verifier {
	t.Helper()
	trust, err := verify.ParseTrustedRoot(w.trustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	vv, err := verify.New(trust, expect, verify.WithSCTThreshold(0))
	if err != nil {
		t.Fatal(err)
	}
	bv, err := image.VerifyBundles(vv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := image.NewVerifier(bv, opts(nil, append([]image.Option{image.WithLegacyTags()}, extra...)...)...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
