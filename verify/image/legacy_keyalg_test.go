package image_test

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// Key signers made as cosign makes them for `cosign sign --key` and
// `cosign attest --key` with an imported key (cosign import-key-pair; KMS
// and PKCS #11 keys sign the same way): cosign pkg/cosign/keys.go
// LoadPrivateKey, which up to v2.5 loaded RSA as PKCS #1 v1.5 over SHA-256
// and Ed25519 as pure Ed25519 (sigstore/sigstore pkg/signature
// LoadRSAPKCS1v15SignerVerifier, LoadED25519SignerVerifier), and since
// v2.6 loads the algorithm registry's default (RSA PKCS #1 v1.5 SHA-256
// for 2048/3072/4096-bit keys; Ed25519ph for Ed25519 keys,
// GetDefaultLoadOptions: cosign v3.1.3 signs both the ".sig" payload and the
// ".att" envelope with it, see TestLegacyCosignEd25519Vector). `cosign
// verify --key` checks an Ed25519 ".sig" with pure Ed25519 in every version
// (pkg/signature/keys.go LoadPublicKeyRaw → signature.LoadVerifier, which
// loads Ed25519ph only when asked), and so does this package by default: an
// Ed25519ph ".sig" is refused against a key pinned as pure Ed25519, and
// verifies only against one pinned with verify.PublicKey.Ed25519ph, which
// in turn refuses pure Ed25519.

func rsaSigner(t testing.TB, bits int) legacySigner {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return legacySigner{key: k, opts: crypto.SHA256}
}

func ed25519Signer(t testing.TB, prehash bool) legacySigner {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := legacySigner{key: k, opts: crypto.Hash(0)}
	if prehash {
		s.opts = &ed25519.Options{Hash: crypto.SHA512}
	}
	return s
}

// TestLegacyKeyAlgorithms: a cosign ".sig" and ".att" signed by an
// ECDSA (P-256, P-384, P-521), RSA (2048, 3072, 4096) or Ed25519 key verify
// against that key (pinned as verify.PublicKey), each in the mode cosign
// signs it; an ECDSA key verifies only with its curve's hash (SHA-256,
// SHA-384, SHA-512), so a P-384 or P-521 signature over SHA-256 (cosign up
// to v2.5) is refused; an Ed25519 key verifies exactly the scheme it is
// pinned to: Ed25519ph only with PublicKey.Ed25519ph (cosign verify --key
// refuses it), pure Ed25519 only without; and no signature verifies
// against a key of another algorithm or curve, or another key of the same
// one.
func TestLegacyKeyAlgorithms(t *testing.T) {
	t.Parallel()
	w := newLegacyWorld(t)
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, nil)
	signers := []struct {
		name string
		s    legacySigner
		ph   bool // pin the key as Ed25519ph
		ok   bool
	}{
		{"ecdsa-p256", keyed(t), false, true},
		{"ecdsa-p384", ecdsaSigner(t, elliptic.P384(), crypto.SHA384), false, true},
		{"ecdsa-p521", ecdsaSigner(t, elliptic.P521(), crypto.SHA512), false, true},
		{"ecdsa-p384-sha256", ecdsaSigner(t, elliptic.P384(), crypto.SHA256), false, false},
		{"ecdsa-p521-sha256", ecdsaSigner(t, elliptic.P521(), crypto.SHA256), false, false},
		{"rsa-2048", rsaSigner(t, 2048), false, true},
		{"rsa-3072", rsaSigner(t, 3072), false, true},
		{"rsa-4096", rsaSigner(t, 4096), false, true},
		{"ed25519", ed25519Signer(t, false), false, true},
		{"ed25519ph-pinned-pure", ed25519Signer(t, true), false, false},
		{"ed25519ph-pinned-ph", ed25519Signer(t, true), true, true},
		{"ed25519-pinned-ph", ed25519Signer(t, false), true, false},
	}
	otherEd := ed25519Signer(t, true)
	others := []verify.PublicKey{keyed(t).public(), ecdsaSigner(t, elliptic.P384(), crypto.SHA384).public(), ecdsaSigner(t, elliptic.P521(), crypto.SHA512).public(), rsaSigner(t, 2048).public(), ed25519Signer(t, false).public(), otherEd.pinned()}
	for _, sg := range signers {
		t.Run(sg.name, func(t *testing.T) {
			t.Parallel()
			img := ocitest.PushImage(t, reg.Ref(t, sg.name+":v1"), 1)
			o := legacyOpts{noTlog: true, timestamp: true}
			pushLegacy(t, img, "sig", w.sigLayer(t, sg.s, simpleSigningPayload(img, "cosign container image signature"), o))
			pushLegacy(t, img, "att", w.attLayer(t, sg.s, statementAbout(t, img, legacyPredicate), o))
			for _, tc := range []struct {
				predicateType string
				format        image.Format
			}{
				{"", image.FormatCosignLegacySig},
				{legacyPredicate, image.FormatCosignLegacyAtt},
			} {
				pin := verify.PublicKey{Key: sg.s.key.Public(), Ed25519ph: sg.ph}
				expect := verify.Expectation{Signer: pin, PredicateType: tc.predicateType}
				res, err := w.gate(t, expect, verify.WithTlogThreshold(0)).VerifyImage(t.Context(), img)
				if err != nil {
					t.Fatal(err)
				}
				a := attestationOf(t, res, tc.format)
				if !sg.ok {
					if res.Verified || !errors.Is(a.Err, image.ErrBundleRejected) || !errors.Is(a.Err, verify.ErrSignature) {
						t.Errorf("%s: verified=%v err=%v, want a rejected signature", tc.format, res.Verified, a.Err)
					}
					continue
				}
				if fp, _ := verify.KeyFingerprint(pin.Key); !res.Verified || a.Err != nil || a.Signer != "key "+fp || len(a.Result.Times) != 1 || a.Result.Times[0].By != verify.TimeByTSA {
					t.Errorf("%s: verified=%v err=%v signer=%q", tc.format, res.Verified, a.Err, a.Signer)
				}
				for i, other := range others {
					expect.Signer = other
					res, err := w.gate(t, expect, verify.WithTlogThreshold(0)).VerifyImage(t.Context(), img)
					if err != nil {
						t.Fatal(err)
					}
					if a := attestationOf(t, res, tc.format); res.Verified || !errors.Is(a.Err, image.ErrBundleRejected) {
						t.Errorf("%s against other key %d (%T): verified=%v err=%v", tc.format, i, other.Key, res.Verified, a.Err)
					}
				}
			}
		})
	}
}

// attestationOf returns the one attestation of res in format f.
func attestationOf(t *testing.T, res *image.Result, f image.Format) image.Attestation {
	t.Helper()
	var found []image.Attestation
	for _, a := range res.Targets[0].Attestations {
		if a.Format == f {
			found = append(found, a)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d attestations in format %s: %+v", len(found), f, res.Targets[0].Attestations)
	}
	return found[0]
}

// TestLegacyEd25519Tamper: an Ed25519 ".sig", pure or Ed25519ph against
// a key pinned so, verifies only as signed: a payload edited after
// signing, a flipped signature bit, a signature over the payload's digest
// instead of the payload, or a payload naming another image are each
// refused.
func TestLegacyEd25519Tamper(t *testing.T) {
	t.Parallel()
	for _, ph := range []bool{false, true} {
		t.Run(map[bool]string{false: "pure", true: "ph"}[ph], func(t *testing.T) {
			t.Parallel()
			testLegacyEd25519Tamper(t, ed25519Signer(t, ph))
		})
	}
}

func testLegacyEd25519Tamper(t *testing.T, s legacySigner) {
	w := newLegacyWorld(t)
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, nil)
	const sigType = "cosign container image signature"
	o := legacyOpts{noTlog: true, timestamp: true}
	badSignature := func(t *testing.T, a image.Attestation) {
		if !errors.Is(a.Err, image.ErrBundleRejected) || !errors.Is(a.Err, verify.ErrSignature) {
			t.Errorf("err = %v, want a rejected signature", a.Err)
		}
	}
	for i, tc := range []struct {
		name  string
		layer func(t *testing.T, img, other name.Digest) mutate.Addendum
		check func(t *testing.T, a image.Attestation)
	}{
		{"as signed", func(t *testing.T, img, _ name.Digest) mutate.Addendum {
			return w.sigLayer(t, s, simpleSigningPayload(img, sigType), o)
		}, func(t *testing.T, a image.Attestation) {
			if a.Err != nil {
				t.Errorf("err = %v", a.Err)
			}
		}},
		{"payload edited after signing", func(t *testing.T, img, _ name.Digest) mutate.Addendum {
			l := w.sigLayer(t, s, simpleSigningPayload(img, sigType), o)
			edited := bytes.Replace(simpleSigningPayload(img, sigType), []byte(`"docker-reference":"`), []byte(`"docker-reference":"x`), 1)
			l.Layer = staticLayer(edited, image.MediaTypeSimpleSigning)
			return l
		}, badSignature},
		{"signature bit flipped", func(t *testing.T, img, _ name.Digest) mutate.Addendum {
			l := w.sigLayer(t, s, simpleSigningPayload(img, sigType), legacyOpts{noTlog: true})
			sig, _ := base64.StdEncoding.DecodeString(l.Annotations[image.AnnotationSignature])
			sig[len(sig)-1] ^= 1
			l.Annotations[image.AnnotationSignature] = base64.StdEncoding.EncodeToString(sig)
			// Timestamp the flipped signature, so that only the signature
			// check can refuse it.
			w.addCommon(t, l.Annotations, s, o, sig, nil)
			return l
		}, badSignature},
		{"signature over the payload's sha256", func(t *testing.T, img, _ name.Digest) mutate.Addendum {
			payload := simpleSigningPayload(img, sigType)
			sum := sha256.Sum256(payload)
			sig := s.sign(t, sum[:])
			l := w.sigLayer(t, s, payload, legacyOpts{noTlog: true})
			l.Annotations[image.AnnotationSignature] = base64.StdEncoding.EncodeToString(sig)
			w.addCommon(t, l.Annotations, s, o, sig, nil)
			return l
		}, badSignature},
		{"payload names another image", func(t *testing.T, _, other name.Digest) mutate.Addendum {
			return w.sigLayer(t, s, simpleSigningPayload(other, sigType), o)
		}, func(t *testing.T, a image.Attestation) {
			var pe *image.LegacyPayloadError
			if !errors.As(a.Err, &pe) || pe.Check != "critical.image.docker-manifest-digest" {
				t.Errorf("err = %v, want a *LegacyPayloadError", a.Err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			img := ocitest.PushImage(t, reg.Ref(t, "tamper"+itoa(i)+":v1"), int64(i+1))
			other := ocitest.PushImage(t, reg.Ref(t, "other"+itoa(i)+":v1"), int64(i+100))
			pushLegacy(t, img, "sig", tc.layer(t, img, other))
			res, err := w.gate(t, verify.Expectation{Signer: s.pinned()}, verify.WithTlogThreshold(0)).VerifyImage(t.Context(), img)
			if err != nil {
				t.Fatal(err)
			}
			a := attestationOf(t, res, image.FormatCosignLegacySig)
			if res.Verified != (a.Err == nil) {
				t.Errorf("verified=%v with attestation error %v", res.Verified, a.Err)
			}
			tc.check(t, a)
		})
	}
}

// TestLegacyPayloadFallback: a BundleVerifier that is not a
// LegacyPayloadVerifier gets the payload's sha256 (for a ".sig" without a
// log entry), which verifies an ECDSA P-256 ".sig" and refuses a P-384 or
// P-521 one (they sign the payload's SHA-384 or SHA-512) and an Ed25519
// one, pure or Ed25519ph (no digest can verify pure Ed25519, and Ed25519ph
// signs the payload's SHA-512, not its SHA-256): the fallback fails closed.
func TestLegacyPayloadFallback(t *testing.T) {
	t.Parallel()
	w := newLegacyWorld(t)
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, nil)
	trust, err := verify.ParseTrustedRoot(w.trustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		s    legacySigner
		ok   bool
	}{
		{"ecdsa-p256", keyed(t), true},
		{"ecdsa-p384", ecdsaSigner(t, elliptic.P384(), crypto.SHA384), false},
		{"ecdsa-p521", ecdsaSigner(t, elliptic.P521(), crypto.SHA512), false},
		{"ed25519", ed25519Signer(t, false), false},
		{"ed25519ph", ed25519Signer(t, true), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			img := ocitest.PushImage(t, reg.Ref(t, "fallback-"+tc.name+":v1"), 1)
			pushLegacy(t, img, "sig", w.sigLayer(t, tc.s, simpleSigningPayload(img, "cosign container image signature"), legacyOpts{noTlog: true, timestamp: true}))
			vv, err := verify.New(trust, verify.Expectation{Signer: tc.s.pinned()}, verify.WithTlogThreshold(0), verify.WithSCTThreshold(0))
			if err != nil {
				t.Fatal(err)
			}
			bv, err := image.VerifyBundles(vv)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := bv.(image.LegacyPayloadVerifier); !ok {
				t.Fatal("VerifyBundles is not a LegacyPayloadVerifier")
			}
			digestOnly := image.BundleVerifierFunc(bv.VerifyBundle)
			v, err := image.NewVerifier(digestOnly, opts(nil, image.WithLegacyTags())...)
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.VerifyImage(t.Context(), img)
			if err != nil {
				t.Fatal(err)
			}
			a := attestationOf(t, res, image.FormatCosignLegacySig)
			if res.Verified != tc.ok || (tc.ok != (a.Err == nil)) {
				t.Errorf("verified=%v err=%v, want verified=%v", res.Verified, a.Err, tc.ok)
			}
			if !tc.ok && !errors.Is(a.Err, image.ErrBundleRejected) {
				t.Errorf("err = %v, want ErrBundleRejected", a.Err)
			}
		})
	}
}

// TestLegacyCosignEd25519Vector: what cosign v3.1.3 writes with an
// imported Ed25519 key (testdata/cosign-legacy/cosign-v3.1.3-ed25519-tsa):
// both the ".sig" payload and the ".att" envelope are signed with
// Ed25519ph, which `cosign verify --key` refuses for the ".sig" (it checks
// pure Ed25519). This package refuses both, with a signature error, against
// the key pinned as pure Ed25519 (the default), and verifies both against
// the key pinned with PublicKey.Ed25519ph; an edited ".sig" payload is
// refused even so.
func TestLegacyCosignEd25519Vector(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "cosign-legacy", "cosign-v3.1.3-ed25519-tsa")
	read := func(f string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	key, err := verify.ParsePublicKeyPEM(read("cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := key.Key.(ed25519.PublicKey)
	if !ok {
		t.Fatalf("cosign.pub is a %T", key.Key)
	}
	trust, err := verify.ParseTrustedRoot(read("trusted_root.json"))
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
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, nil)
	repo := reg.Ref(t, "app").Context()
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		tag := d.Annotations["org.opencontainers.image.ref.name"]
		if strings.HasSuffix(tag, ".sig") {
			// The vector is what it claims: Ed25519ph over the payload, not
			// pure Ed25519.
			m, _ := img.Manifest()
			layers, _ := img.Layers()
			payload := layerBytes(t, layers[0])
			sig, _ := base64.StdEncoding.DecodeString(m.Layers[0].Annotations[image.AnnotationSignature])
			h := sha512.Sum512(payload)
			if ed25519.Verify(pub, payload, sig) || ed25519.VerifyWithOptions(pub, h[:], sig, &ed25519.Options{Hash: crypto.SHA512}) != nil {
				t.Fatal("the .sig of the vector is not an Ed25519ph signature")
			}
		}
		if err := remote.Write(repo.Tag(tag), img); err != nil {
			t.Fatal(err)
		}
	}
	pinned := repo.Digest(strings.TrimSpace(string(read("image-digest"))))
	gate := func(t *testing.T, key verify.PublicKey, predicateType string) *image.Verifier {
		vv, err := verify.New(trust, verify.Expectation{Signer: key, PredicateType: predicateType}, verify.WithTlogThreshold(0))
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
	ph := verify.PublicKey{Key: key.Key, Ed25519ph: true}
	for _, tc := range []struct {
		predicateType string
		format        image.Format
	}{
		{"", image.FormatCosignLegacySig},
		{legacyPredicate, image.FormatCosignLegacyAtt},
	} {
		res, err := gate(t, key, tc.predicateType).VerifyImage(t.Context(), pinned)
		if err != nil {
			t.Fatal(err)
		}
		a := attestationOf(t, res, tc.format)
		if res.Verified || !errors.Is(a.Err, image.ErrBundleRejected) || !errors.Is(a.Err, verify.ErrSignature) {
			t.Errorf("%s, pinned pure: verified=%v err=%v, want a rejected signature", tc.format, res.Verified, a.Err)
		}
		res, err = gate(t, ph, tc.predicateType).VerifyImage(t.Context(), pinned)
		if err != nil {
			t.Fatal(err)
		}
		a = attestationOf(t, res, tc.format)
		if fp, _ := verify.KeyFingerprint(ph.Key); !res.Verified || a.Err != nil || a.Signer != "key "+fp || len(a.Result.Times) != 1 || a.Result.Times[0].By != verify.TimeByTSA {
			t.Errorf("%s, pinned Ed25519ph: verified=%v err=%v signer=%q", tc.format, res.Verified, a.Err, a.Signer)
		}
	}

	// The same signature over an edited payload (still naming the pinned
	// image, so that only the signature can refuse it), in another
	// repository: refused against the Ed25519ph pin.
	sigTag := "sha256-" + pinned.DigestStr()[len("sha256:"):] + ".sig"
	sigImg, err := remote.Image(repo.Tag(sigTag))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := sigImg.Manifest()
	layers, _ := sigImg.Layers()
	payload := layerBytes(t, layers[0])
	edited := bytes.Replace(payload, []byte(`"docker-reference":"`), []byte(`"docker-reference":"x`), 1)
	if bytes.Equal(edited, payload) {
		t.Fatal("the vector's payload has no docker-reference to edit")
	}
	other := reg.Ref(t, "edited").Context()
	src, err := remote.Image(pinned)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(other.Tag("v1"), src); err != nil {
		t.Fatal(err)
	}
	pushLegacy(t, other.Digest(pinned.DigestStr()), "sig", mutate.Addendum{Layer: staticLayer(edited, image.MediaTypeSimpleSigning), Annotations: m.Layers[0].Annotations})
	res, err := gate(t, ph, "").VerifyImage(t.Context(), other.Digest(pinned.DigestStr()))
	if err != nil {
		t.Fatal(err)
	}
	if a := attestationOf(t, res, image.FormatCosignLegacySig); res.Verified || !errors.Is(a.Err, image.ErrBundleRejected) || !errors.Is(a.Err, verify.ErrSignature) {
		t.Errorf("edited payload, pinned Ed25519ph: verified=%v err=%v, want a rejected signature", res.Verified, a.Err)
	}
}

func layerBytes(t *testing.T, l v1.Layer) []byte {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLegacyECDSACurvesLogged: a ".sig" and an ".att" made with a P-384 or
// P-521 key as cosign v2.6 and later make them with the signature logged
// (the default): the ".sig" hashedrekord entry logs the payload's SHA-384
// or SHA-512, the digest the key signs, and the ".att" a dsse entry. Both
// verify against the key through its SET, through the payload and, for
// the ".sig", through a BundleVerifier that only takes a digest (the
// converted bundle's Artifact is the digest the entry logs). The same key
// signing SHA-256, logged so, is refused.
func TestLegacyECDSACurvesLogged(t *testing.T) {
	t.Parallel()
	w := newLegacyWorld(t)
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, nil)
	trust, err := verify.ParseTrustedRoot(w.trustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		s    legacySigner
		alg  string // what the .sig entry logs
		ok   bool
	}{
		{"p384", ecdsaSigner(t, elliptic.P384(), crypto.SHA384), "sha384", true},
		{"p521", ecdsaSigner(t, elliptic.P521(), crypto.SHA512), "sha512", true},
		{"p384-sha256", ecdsaSigner(t, elliptic.P384(), crypto.SHA256), "sha256", false},
		{"p521-sha256", ecdsaSigner(t, elliptic.P521(), crypto.SHA256), "sha256", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			img := ocitest.PushImage(t, reg.Ref(t, "logged-"+tc.name+":v1"), 1)
			sig := w.sigLayer(t, tc.s, simpleSigningPayload(img, "cosign container image signature"), legacyOpts{})
			pushLegacy(t, img, "sig", sig)
			pushLegacy(t, img, "att", w.attLayer(t, tc.s, statementAbout(t, img, legacyPredicate), legacyOpts{}))

			lb, err := image.ConvertLegacy(v1.Descriptor{MediaType: image.MediaTypeSimpleSigning, Annotations: sig.Annotations}, simpleSigningPayload(img, "cosign container image signature"), v1.Hash{Algorithm: "sha256", Hex: ocitest.HexOf(img)})
			if err != nil {
				t.Fatal(err)
			}
			if lb.Artifact.Algorithm != tc.alg {
				t.Errorf("converted Artifact %s, want a %s digest", lb.Artifact, tc.alg)
			}

			for _, tc2 := range []struct {
				predicateType string
				format        image.Format
			}{
				{"", image.FormatCosignLegacySig},
				{legacyPredicate, image.FormatCosignLegacyAtt},
			} {
				expect := verify.Expectation{Signer: tc.s.public(), PredicateType: tc2.predicateType}
				res, err := w.gate(t, expect).VerifyImage(t.Context(), img)
				if err != nil {
					t.Fatal(err)
				}
				a := attestationOf(t, res, tc2.format)
				if !tc.ok {
					if res.Verified || !errors.Is(a.Err, image.ErrBundleRejected) || !errors.Is(a.Err, verify.ErrSignature) {
						t.Errorf("%s: verified=%v err=%v, want a rejected signature", tc2.format, res.Verified, a.Err)
					}
					continue
				}
				if !res.Verified || a.Err != nil || len(a.Result.Times) != 1 || a.Result.Times[0].By != verify.TimeByTlog {
					t.Errorf("%s: verified=%v err=%v", tc2.format, res.Verified, a.Err)
				}
			}

			// Through a BundleVerifier that only takes a digest.
			vv, err := verify.New(trust, verify.Expectation{Signer: tc.s.public()}, verify.WithSCTThreshold(0))
			if err != nil {
				t.Fatal(err)
			}
			bv, err := image.VerifyBundles(vv)
			if err != nil {
				t.Fatal(err)
			}
			v, err := image.NewVerifier(image.BundleVerifierFunc(bv.VerifyBundle), opts(nil, image.WithLegacyTags())...)
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.VerifyImage(t.Context(), img)
			if err != nil {
				t.Fatal(err)
			}
			if a := attestationOf(t, res, image.FormatCosignLegacySig); res.Verified != tc.ok || tc.ok != (a.Err == nil) {
				t.Errorf("digest only: verified=%v err=%v, want verified=%v", res.Verified, a.Err, tc.ok)
			}
		})
	}
}
