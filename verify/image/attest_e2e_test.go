package image_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// TestAttestAttachVerify is the whole pipeline with ztci's own parts: the
// embedded CA and TSA sign an in-toto statement about a pushed image
// (attest), the bundle is attached (registry), and the gate verifies it
// offline against the exported trusted root (verify) on every registry.
func TestAttestAttachVerify(t *testing.T) {
	t.Parallel()
	sigstore := newEmbeddedSigstore(t)
	trust, err := verify.ParseTrustedRoot(sigstore.trustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	release := identity.Identity{Issuer: "https://ci.example", Subject: "https://ci.example/org/app/release.yml@refs/heads/main"}
	intruder := identity.Identity{Issuer: "https://ci.example", Subject: "https://ci.example/org/other/build.yml@refs/heads/main"}
	const predicateType = "https://ztci.dev/attestation/test/v1"
	sign := func(t *testing.T, id identity.Identity, img name.Digest) []byte {
		return sigstore.sign(t, id, img, predicateType, `{"passed":true}`)
	}
	gate := func(t *testing.T) *image.Verifier {
		t.Helper()
		vv, err := verify.New(trust, verify.Expectation{
			Signer:        verify.Identity{SAN: release.Subject, Issuer: release.Issuer},
			PredicateType: predicateType,
		}, verify.WithTlogThreshold(0), verify.WithSCTThreshold(0))
		if err != nil {
			t.Fatal(err)
		}
		bv, err := image.VerifyBundles(vv)
		if err != nil {
			t.Fatal(err)
		}
		v, err := image.NewVerifier(bv, opts(nil)...)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	for _, kind := range ocitest.AllKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, kind, nil)
			tag := reg.Ref(t, "app:v1")
			img := ocitest.PushImage(t, tag, 1)

			// The intruder's attestation alone does not pass.
			if _, err := attach.Bundle(t.Context(), tag, sign(t, intruder, img), attachOpts(nil)...); err != nil {
				t.Fatal(err)
			}
			res, err := gate(t).VerifyImage(t.Context(), tag)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified {
				t.Fatal("verified with only the intruder's attestation")
			}
			var idErr *verify.IdentityMismatchError
			if !errors.As(res.Targets[0].Attestations[0].Err, &idErr) {
				t.Errorf("intruder rejection = %v, want *verify.IdentityMismatchError", res.Targets[0].Attestations[0].Err)
			}

			// The release workflow's attestation passes.
			if _, err := attach.Bundle(t.Context(), tag, sign(t, release, img), attachOpts(nil)...); err != nil {
				t.Fatal(err)
			}
			res, err = gate(t).VerifyImage(t.Context(), tag)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Verified || res.Digest != img || res.Targets[0].Path != kind.WantPath() {
				t.Fatalf("verified=%v digest=%s path=%s: %v", res.Verified, res.Digest, res.Targets[0].Path, res.Err())
			}
			if want := release.Issuer + " " + release.Subject; res.Targets[0].Signers[0] != want {
				t.Errorf("signer = %q, want %q", res.Targets[0].Signers[0], want)
			}
			// The verified statement comes through for policy; the
			// intruder's rejected attestation carries none.
			for _, a := range res.Targets[0].Attestations {
				switch {
				case a.Err != nil && a.Result != nil:
					t.Errorf("rejected attestation carries a result: %+v", a)
				case a.Err == nil && (a.Result == nil || a.Result.Statement == nil || a.Result.Statement.PredicateType != predicateType ||
					a.Result.Signer.SAN != release.Subject):
					t.Errorf("verified attestation's result = %+v, want the release statement", a.Result)
				}
			}

			// The release bundle re-attached to another image is refused.
			other := ocitest.PushImage(t, reg.Ref(t, "app:v2"), 2)
			if _, err := attach.Bundle(t.Context(), other, sign(t, release, img), attachOpts(nil)...); err != nil {
				t.Fatal(err)
			}
			res, err = gate(t).VerifyImage(t.Context(), other)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || !errors.Is(res.Targets[0].Attestations[0].Err, verify.ErrArtifactMismatch) {
				t.Fatalf("replayed bundle: verified=%v err=%v", res.Verified, res.Targets[0].Attestations[0].Err)
			}
		})
	}
}

// embeddedSigstore is attest's embedded CA and TSA, and the trusted root
// that trusts them.
type embeddedSigstore struct {
	ca          *ca.CA
	tsa         *tsa.TSA
	trustedRoot []byte
}

func newEmbeddedSigstore(t testing.TB) embeddedSigstore {
	t.Helper()
	c, err := ca.New(ca.WithSubjectDomain("https://ci.example", "https://ci.example"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := json.Marshal(attest.NewTrustedRoot().AddEmbeddedCA("https://ca.ci.example", c).AddEmbeddedTSA("https://tsa.ci.example", a))
	if err != nil {
		t.Fatal(err)
	}
	return embeddedSigstore{ca: c, tsa: a, trustedRoot: tr}
}

// sign signs, as id, an in-toto statement with the given predicate about the
// image img, with a short-lived certificate and a timestamp.
func (e embeddedSigstore) sign(t testing.TB, id identity.Identity, img name.Digest, predicateType, predicate string) []byte {
	t.Helper()
	d, err := remote.Head(img)
	if err != nil {
		t.Fatal(err)
	}
	subj, err := attest.SubjectFromOCI(img.Context().Name(), attest.OCIDescriptor{MediaType: string(d.MediaType), Digest: d.Digest.String(), Size: d.Size})
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{subj}, attest.Custom(predicateType, []byte(predicate)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := attest.NewCASigner(e.ca.IssuerFor(id), attest.WithEmbeddedTimestampAuthority(e.tsa.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(t.Context(), s, st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
