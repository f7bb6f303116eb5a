package image_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"

	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// TestLegacyCosignPublicGoodVector verifies a real cosign legacy signature
// logged in the public-good Rekor v1 (entry 357097618, see
// testdata/cosign-legacy/README.md) against the embedded public-good
// trusted root: the SET is Rekor's own. Changing the key, the SET or the
// image it is read for breaks it.
func TestLegacyCosignPublicGoodVector(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "cosign-legacy", "rekor-public-good-357097618")
	read := func(f string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	payload := read("payload.json")
	var ann map[string]string
	if err := json.Unmarshal(read("annotations.json"), &ann); err != nil {
		t.Fatal(err)
	}
	key, err := verify.ParsePublicKeyPEM(read("cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	trust, err := verify.PublicGood()
	if err != nil {
		t.Fatal(err)
	}
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, nil)
	img := reg.Ref(t, "demo").Context().Digest(strings.TrimSpace(string(read("image-digest"))))
	other := reg.Ref(t, "other").Context().Digest("sha256:e50f88df1b11f94627e35bed9f34214392363508a2b07146d0a94516da97e4c0")

	gate := func(t *testing.T, k verify.PublicKey) *image.Verifier {
		vv, err := verify.New(trust, verify.Expectation{Signer: k})
		if err != nil {
			t.Fatal(err)
		}
		bv, _ := image.VerifyBundles(vv)
		v, err := image.NewVerifier(bv, opts(nil, image.WithLegacyTags())...)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	layer := func(a map[string]string) mutate.Addendum {
		return mutate.Addendum{Layer: static.NewLayer(payload, image.MediaTypeSimpleSigning), Annotations: a}
	}
	editedSET := map[string]string{}
	for k, v := range ann {
		editedSET[k] = v
	}
	editedSET["dev.sigstore.cosign/bundle"] = strings.Replace(ann["dev.sigstore.cosign/bundle"], `"logIndex":357097618`, `"logIndex":357097619`, 1)

	pushLegacy(t, img, "sig", layer(ann))
	res, err := gate(t, key).VerifyImage(t.Context(), img)
	if err != nil {
		t.Fatal(err)
	}
	a := res.Targets[0].Attestations[0]
	if !res.Verified || a.Format != image.FormatCosignLegacySig || a.Result == nil {
		t.Fatalf("verified=%v %+v", res.Verified, a)
	}
	want := verify.ProvenTime{Time: time.Unix(1754488662, 0).UTC(), By: verify.TimeByTlog, URI: "https://rekor.sigstore.dev"}
	if len(a.Result.Times) != 1 || a.Result.Times[0] != want {
		t.Errorf("times = %+v, want %+v", a.Result.Times, want)
	}

	for _, tc := range []struct {
		name  string
		img   string // "other": the signature is read for another image
		layer mutate.Addendum
		key   verify.PublicKey
		check func(error) bool
	}{
		{"another key", "", layer(ann), keyed(t).public(), func(err error) bool { return errors.Is(err, image.ErrBundleRejected) }},
		{"edited SET", "", layer(editedSET), key, func(err error) bool { return errors.Is(err, verify.ErrTlog) }},
		{"copied to another image", "other", layer(ann), key, func(err error) bool {
			var pe *image.LegacyPayloadError
			return errors.As(err, &pe) && pe.Check == "critical.image.docker-manifest-digest"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Each case in its own repository: the legacy tag is per image.
			target := reg.Ref(t, "demo-"+strings.ToLower(strings.ReplaceAll(tc.name, " ", "-"))).Context().Digest(img.DigestStr())
			if tc.img == "other" {
				target = other
			}
			pushLegacy(t, target, "sig", tc.layer)
			res, err := gate(t, tc.key).VerifyImage(t.Context(), target)
			if err != nil {
				t.Fatal(err)
			}
			if a := res.Targets[0].Attestations[0]; res.Verified || !tc.check(a.Err) {
				t.Fatalf("verified=%v err=%v", res.Verified, a.Err)
			}
		})
	}
}

// TestLegacyCosignRealVectors replays what cosign v3.1.3 wrote with
// --new-bundle-format=false and a key pair (testdata/cosign-legacy, made by
// .ci/make-cosign-legacy-vectors.sh) on every registry, byte for byte: once
// with an RFC 3161 timestamp from a timestamp-authority server and no log,
// once logged in a real Rekor v1 on Trillian (the layers carry Rekor's SET),
// once with an imported RSA key and a timestamp.
// The signature and the attestation verify by tag and by digest with the
// key and the proven time, each only for the gate that expects its kind;
// another key, or an edited SET, does not verify.
func TestLegacyCosignRealVectors(t *testing.T) {
	t.Parallel()
	for _, vec := range []struct {
		dir    string
		timeBy string
		vopts  []verify.Option
	}{
		{"cosign-v3.1.3-keyed-tsa", verify.TimeByTSA, []verify.Option{verify.WithTlogThreshold(0)}},
		{"cosign-v3.1.3-keyed-rekor-v1", verify.TimeByTlog, nil},
		// An imported RSA 2048 key: PKCS #1 v1.5 over SHA-256.
		{"cosign-v3.1.3-rsa2048-tsa", verify.TimeByTSA, []verify.Option{verify.WithTlogThreshold(0)}},
	} {
		t.Run(vec.dir, func(t *testing.T) {
			t.Parallel()
			testRealVector(t, filepath.Join("testdata", "cosign-legacy", vec.dir), vec.timeBy, vec.vopts)
		})
	}
}

func testRealVector(t *testing.T, dir, timeBy string, vopts []verify.Option) {
	tr, err := os.ReadFile(filepath.Join(dir, "trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	trust, err := verify.ParseTrustedRoot(tr)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(filepath.Join(dir, "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := verify.ParsePublicKeyPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	lp, err := layout.FromPath(filepath.Join(dir, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	digest, err := os.ReadFile(filepath.Join(dir, "image-digest"))
	if err != nil {
		t.Fatal(err)
	}
	gate := func(t *testing.T, k verify.PublicKey, predicateType string) *image.Verifier {
		vv, err := verify.New(trust, verify.Expectation{Signer: k, PredicateType: predicateType}, vopts...)
		if err != nil {
			t.Fatal(err)
		}
		bv, _ := image.VerifyBundles(vv)
		v, err := image.NewVerifier(bv, opts(nil, image.WithLegacyTags())...)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, kind := range ocitest.AllKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, kind, nil)
			repo := reg.Ref(t, "app").Context()
			for _, d := range im.Manifests {
				img, err := idx.Image(d.Digest)
				if err != nil {
					t.Fatal(err)
				}
				if err := remote.Write(repo.Tag(d.Annotations["org.opencontainers.image.ref.name"]), img); err != nil {
					t.Fatal(err)
				}
			}
			pinned := repo.Digest(strings.TrimSpace(string(digest)))
			for _, tc := range []struct {
				predicateType string
				format        image.Format
			}{
				{"", image.FormatCosignLegacySig},
				{"https://ztci.dev/attestation/test/v1", image.FormatCosignLegacyAtt},
			} {
				for _, ref := range []name.Reference{repo.Tag("v1"), pinned} {
					res, err := gate(t, key, tc.predicateType).VerifyImage(t.Context(), ref)
					if err != nil {
						t.Fatal(err)
					}
					if !res.Verified || res.Digest != pinned || len(res.Targets[0].Attestations) != 2 {
						t.Fatalf("%s by %s: verified=%v %v", tc.format, ref, res.Verified, res.Err())
					}
					for _, a := range res.Targets[0].Attestations {
						switch {
						case a.Format == tc.format:
							if a.Err != nil || len(a.Result.Times) != 1 || a.Result.Times[0].By != timeBy {
								t.Errorf("%s: %v %+v", a.Format, a.Err, a.Result)
							}
							if tc.format == image.FormatCosignLegacyAtt && (a.Result.Statement == nil || a.Result.Statement.PredicateType != tc.predicateType) {
								t.Errorf("attestation statement %+v", a.Result.Statement)
							}
						case !errors.Is(a.Err, verify.ErrPredicateTypeMismatch):
							t.Errorf("%s for a %s gate: %v", a.Format, tc.format, a.Err)
						}
					}
				}
			}
			res, err := gate(t, keyed(t).public(), "").VerifyImage(t.Context(), pinned)
			if err != nil || res.Verified {
				t.Fatalf("another key: err=%v verified=%v", err, res.Verified)
			}
		})
	}
}
