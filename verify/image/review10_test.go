package image_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// TestReview10OneKeyOneSigner: WithThreshold counts distinct signers. A
// certificate identity counted once however many verify.Verifiers accepted
// its bundles, but a key counted as the index of the verify.Verifier that
// accepted it: with one Verifier pinning the key for provenance and
// another pinning the same key for a VSA, that key's holder alone made two
// signers and met a 2-of-n threshold. The signer is now the key's
// fingerprint; a second key is still a second signer.
func TestReview10OneKeyOneSigner(t *testing.T) {
	t.Parallel()
	sigstore := newEmbeddedSigstore(t)
	trust, err := verify.ParseTrustedRoot(sigstore.trustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	const provenanceType, vsaType = "https://ztci.dev/attestation/review10-provenance/v1", "https://ztci.dev/attestation/review10-vsa/v1"
	newKey := func() crypto.Signer {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	signAs := func(t *testing.T, key crypto.Signer, img name.Digest, predicateType string) []byte {
		t.Helper()
		d, err := remote.Head(img)
		if err != nil {
			t.Fatal(err)
		}
		subj, err := attest.SubjectFromOCI(img.Context().Name(), attest.OCIDescriptor{MediaType: string(d.MediaType), Digest: d.Digest.String(), Size: d.Size})
		if err != nil {
			t.Fatal(err)
		}
		st, err := attest.NewStatement([]attest.ResourceDescriptor{subj}, attest.Custom(predicateType, []byte(`{"passed":true}`)))
		if err != nil {
			t.Fatal(err)
		}
		s, err := attest.NewKeySigner(key, attest.WithEmbeddedTimestampAuthority(sigstore.tsa.Handler()))
		if err != nil {
			t.Fatal(err)
		}
		b, err := attest.Sign(t.Context(), s, st)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	gate := func(t *testing.T, provenanceKey, vsaKey crypto.Signer) *image.Verifier {
		t.Helper()
		var vs []*verify.Verifier
		for _, p := range []struct {
			key crypto.Signer
			pt  string
		}{{provenanceKey, provenanceType}, {vsaKey, vsaType}} {
			vv, err := verify.New(trust, verify.Expectation{Signer: verify.PublicKey{Key: p.key.Public()}, PredicateType: p.pt}, verify.WithTlogThreshold(0))
			if err != nil {
				t.Fatal(err)
			}
			vs = append(vs, vv)
		}
		bv, err := image.VerifyBundles(vs...)
		if err != nil {
			t.Fatal(err)
		}
		v, err := image.NewVerifier(bv, opts(nil, image.WithThreshold(2))...)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	builder, reviewer := newKey(), newKey()

	// One key, both attestations: one signer, below the threshold.
	img := ocitest.PushImage(t, reg.Ref(t, "one:v1"), 1)
	for _, pt := range []string{provenanceType, vsaType} {
		if _, err := attach.Bundle(t.Context(), img, signAs(t, builder, img, pt), attachOpts(nil)...); err != nil {
			t.Fatal(err)
		}
	}
	res, err := gate(t, builder, builder).VerifyImage(t.Context(), img)
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := verify.KeyFingerprint(builder.Public())
	tg := res.Targets[0]
	for _, a := range tg.Attestations {
		if a.Err != nil {
			t.Fatalf("attestation %s: %v", a.PredicateType, a.Err)
		}
	}
	if res.Verified || len(tg.Attestations) != 2 || len(tg.Signers) != 1 || tg.Signers[0] != "key "+fp {
		t.Errorf("one key pinned by two verifiers: verified=%v signers=%q (%d attestations), want not verified, one signer %q",
			res.Verified, tg.Signers, len(tg.Attestations), "key "+fp)
	}

	// Two keys: two signers, verified.
	img2 := ocitest.PushImage(t, reg.Ref(t, "two:v1"), 2)
	for _, s := range []struct {
		key crypto.Signer
		pt  string
	}{{builder, provenanceType}, {reviewer, vsaType}} {
		if _, err := attach.Bundle(t.Context(), img2, signAs(t, s.key, img2, s.pt), attachOpts(nil)...); err != nil {
			t.Fatal(err)
		}
	}
	res, err = gate(t, builder, reviewer).VerifyImage(t.Context(), img2)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified || len(res.Targets[0].Signers) != 2 {
		t.Errorf("two keys: verified=%v signers=%q: %v", res.Verified, res.Targets[0].Signers, res.Err())
	}
}
