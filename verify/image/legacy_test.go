package image_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

const legacyPredicate = "https://ztci.dev/attestation/test/v1"

var (
	legacyRelease  = identity.Identity{Issuer: "https://ci.example", Subject: "https://ci.example/org/app/release.yml@refs/heads/main"}
	legacyIntruder = identity.Identity{Issuer: "https://ci.example", Subject: "https://ci.example/org/other/build.yml@refs/heads/main"}
)

func releaseExpectation(predicateType string) verify.Expectation {
	return verify.Expectation{Signer: verify.Identity{SAN: legacyRelease.Subject, Issuer: legacyRelease.Issuer}, PredicateType: predicateType}
}

// TestLegacyCosignVerifies: keyless cosign legacy signatures and
// attestations (certificate, chain, Rekor SET, RFC 3161 timestamp) verify by
// tag and by digest on every registry, through the same verify.Verifier as
// bundles, and say which format proved them. Without WithLegacyTags they
// are not read.
func TestLegacyCosignVerifies(t *testing.T) {
	t.Parallel()
	w := newLegacyWorld(t)
	for _, kind := range ocitest.AllKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, kind, nil)
			tag := reg.Ref(t, "app:v1")
			img := ocitest.PushImage(t, tag, 1)
			s := w.keyless(t, legacyRelease)
			pushLegacy(t, img, "sig", w.sigLayer(t, s, simpleSigningPayload(img, "cosign container image signature"), legacyOpts{timestamp: true}))
			pushLegacy(t, img, "att", w.attLayer(t, s, statementAbout(t, img, legacyPredicate), legacyOpts{timestamp: true}))

			for _, tc := range []struct {
				name       string
				predicate  string
				wantFormat image.Format
			}{
				{"signature", "", image.FormatCosignLegacySig},
				{"attestation", legacyPredicate, image.FormatCosignLegacyAtt},
			} {
				for _, ref := range []name.Reference{tag, img} {
					res, err := w.gate(t, releaseExpectation(tc.predicate)).VerifyImage(t.Context(), ref)
					if err != nil {
						t.Fatal(err)
					}
					if !res.Verified || res.Digest != img {
						t.Fatalf("%s by %s: verified=%v: %v", tc.name, ref, res.Verified, res.Err())
					}
					var proved []image.Format
					for _, a := range res.Targets[0].Attestations {
						if a.Path != image.PathLegacyTag {
							t.Errorf("path = %s, want %s", a.Path, image.PathLegacyTag)
						}
						if a.Err == nil {
							proved = append(proved, a.Format)
							if a.Result == nil || a.Signer != legacyRelease.Issuer+" "+legacyRelease.Subject {
								t.Fatalf("verified %s: signer %q result %v", a.Format, a.Signer, a.Result)
							}
							// The SET and the RFC 3161 timestamp both proved a time.
							by := map[string]bool{}
							for _, pt := range a.Result.Times {
								by[pt.By] = true
							}
							if !by[verify.TimeByTlog] || !by[verify.TimeByTSA] {
								t.Errorf("verified %s: proven times %+v, want the log's and the TSA's", a.Format, a.Result.Times)
							}
						}
					}
					if len(proved) != 1 || proved[0] != tc.wantFormat {
						t.Errorf("%s by %s: formats that verified = %v, want [%s]", tc.name, ref, proved, tc.wantFormat)
					}
				}
			}

			// Opt-in: without WithLegacyTags nothing is read from these tags.
			trust, _ := verify.ParseTrustedRoot(w.trustedRoot)
			vv, _ := verify.New(trust, releaseExpectation(""), verify.WithSCTThreshold(0))
			bv, _ := image.VerifyBundles(vv)
			plain, _ := image.NewVerifier(bv, opts(nil)...)
			res, err := plain.VerifyImage(t.Context(), img)
			if err != nil || res.Verified || len(res.Targets[0].Attestations) != 0 {
				t.Fatalf("without WithLegacyTags: err=%v %+v", err, res)
			}
		})
	}
}

// TestLegacyCosignKeyed: a signature made with a cosign key pair and logged
// verifies against that key, and against no other.
func TestLegacyCosignKeyed(t *testing.T) {
	t.Parallel()
	w := newLegacyWorld(t)
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	s := keyed(t)
	pushLegacy(t, img, "sig", w.sigLayer(t, s, simpleSigningPayload(img, "cosign container image signature"), legacyOpts{}))

	res, err := w.gate(t, verify.Expectation{Signer: s.public()}).VerifyImage(t.Context(), img)
	if err != nil || !res.Verified || res.Targets[0].Attestations[0].Format != image.FormatCosignLegacySig {
		t.Fatalf("keyed: err=%v %+v", err, res)
	}
	other := keyed(t)
	res, err = w.gate(t, verify.Expectation{Signer: other.public()}).VerifyImage(t.Context(), img)
	if err != nil || res.Verified {
		t.Fatalf("unexpected key: err=%v %+v", err, res)
	}
	if a := res.Targets[0].Attestations[0]; !errors.Is(a.Err, image.ErrBundleRejected) || !errors.Is(a.Err, verify.ErrVerification) {
		t.Errorf("unexpected key: %v", a.Err)
	}
}

// TestLegacyCosignTamper: each way of altering a legacy layer is rejected
// with an error naming the failed check, and the image does not verify.
func TestLegacyCosignTamper(t *testing.T) {
	t.Parallel()
	w := newLegacyWorld(t)
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	const sigType = "cosign container image signature"

	// edit returns the layer with one annotation changed (or removed when v is "").
	edit := func(l mutate.Addendum, k, v string) mutate.Addendum {
		ann := map[string]string{}
		for key, val := range l.Annotations {
			ann[key] = val
		}
		if v == "" {
			delete(ann, k)
		} else {
			ann[k] = v
		}
		l.Annotations = ann
		return l
	}
	editSET := func(t *testing.T, l mutate.Addendum, f func(m map[string]any)) mutate.Addendum {
		var rb map[string]any
		if err := json.Unmarshal([]byte(l.Annotations["dev.sigstore.cosign/bundle"]), &rb); err != nil {
			t.Fatal(err)
		}
		f(rb)
		b, _ := json.Marshal(rb)
		return edit(l, "dev.sigstore.cosign/bundle", string(b))
	}
	payloadErr := func(check string) func(*testing.T, error) {
		return func(t *testing.T, err error) {
			var pe *image.LegacyPayloadError
			if !errors.As(err, &pe) || pe.Check != check || !errors.Is(err, image.ErrLegacyPayload) {
				t.Errorf("err = %v, want a *LegacyPayloadError for %s", err, check)
			}
		}
	}
	annotationErr := func(key string) func(*testing.T, error) {
		return func(t *testing.T, err error) {
			var ae *image.LegacyAnnotationError
			if !errors.As(err, &ae) || ae.Annotation != key || !errors.Is(err, image.ErrLegacyAnnotation) {
				t.Errorf("err = %v, want a *LegacyAnnotationError for %s", err, key)
			}
		}
	}
	rejected := func(sentinel error) func(*testing.T, error) {
		return func(t *testing.T, err error) {
			if !errors.Is(err, image.ErrBundleRejected) || !errors.Is(err, sentinel) {
				t.Errorf("err = %v, want ErrBundleRejected and %v", err, sentinel)
			}
		}
	}

	for i, tc := range []struct {
		name      string
		suffix    string
		predicate string
		layer     func(t *testing.T, img, other name.Digest) mutate.Addendum
		check     func(*testing.T, error)
	}{
		{"payload names another image", "sig", "", func(t *testing.T, img, other name.Digest) mutate.Addendum {
			return w.sigLayer(t, w.keyless(t, legacyRelease), simpleSigningPayload(other, sigType), legacyOpts{})
		}, payloadErr("critical.image.docker-manifest-digest")},
		{"wrong critical.type", "sig", "", func(t *testing.T, img, other name.Digest) mutate.Addendum {
			return w.sigLayer(t, w.keyless(t, legacyRelease), simpleSigningPayload(img, "atomic container signature"), legacyOpts{})
		}, payloadErr("critical.type")},
		{"swapped certificate", "sig", "", func(t *testing.T, img, other name.Digest) mutate.Addendum {
			l := w.sigLayer(t, w.keyless(t, legacyRelease), simpleSigningPayload(img, sigType), legacyOpts{})
			return edit(l, "dev.sigstore.cosign/certificate", string(pemCerts(w.keyless(t, legacyRelease).chain[:1])))
		}, rejected(verify.ErrTlog)},
		{"edited SET payload", "sig", "", func(t *testing.T, img, other name.Digest) mutate.Addendum {
			l := w.sigLayer(t, w.keyless(t, legacyRelease), simpleSigningPayload(img, sigType), legacyOpts{})
			return editSET(t, l, func(m map[string]any) { m["Payload"].(map[string]any)["logIndex"] = 4243 })
		}, rejected(verify.ErrTlog)},
		{"SET by another log", "sig", "", func(t *testing.T, img, other name.Digest) mutate.Addendum {
			k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			rogue := &legacyWorld{ca: w.ca, tsa: w.tsa, rekor: k, logID: w.logID}
			return rogue.sigLayer(t, w.keyless(t, legacyRelease), simpleSigningPayload(img, sigType), legacyOpts{})
		}, rejected(verify.ErrTlog)},
		{"signature annotation removed", "sig", "", func(t *testing.T, img, other name.Digest) mutate.Addendum {
			l := w.sigLayer(t, w.keyless(t, legacyRelease), simpleSigningPayload(img, sigType), legacyOpts{})
			return edit(l, "dev.cosignproject.cosign/signature", "")
		}, annotationErr("dev.cosignproject.cosign/signature")},
		{"bundle annotation removed", "sig", "", func(t *testing.T, img, other name.Digest) mutate.Addendum {
			l := w.sigLayer(t, w.keyless(t, legacyRelease), simpleSigningPayload(img, sigType), legacyOpts{})
			return edit(l, "dev.sigstore.cosign/bundle", "")
		}, rejected(verify.ErrTlog)},
		{"certificate annotation removed", "sig", "", func(t *testing.T, img, other name.Digest) mutate.Addendum {
			l := w.sigLayer(t, w.keyless(t, legacyRelease), simpleSigningPayload(img, sigType), legacyOpts{})
			return edit(l, "dev.sigstore.cosign/certificate", "")
		}, annotationErr("dev.sigstore.cosign/chain")},
		{"certificate and chain removed", "sig", "", func(t *testing.T, img, other name.Digest) mutate.Addendum {
			l := w.sigLayer(t, w.keyless(t, legacyRelease), simpleSigningPayload(img, sigType), legacyOpts{})
			return edit(edit(l, "dev.sigstore.cosign/certificate", ""), "dev.sigstore.cosign/chain", "")
		}, rejected(verify.ErrIdentityMismatch)},
		{"unexpected identity", "sig", "", func(t *testing.T, img, other name.Digest) mutate.Addendum {
			return w.sigLayer(t, w.keyless(t, legacyIntruder), simpleSigningPayload(img, sigType), legacyOpts{timestamp: true})
		}, rejected(verify.ErrIdentityMismatch)},
		{"payload edited after signing", "sig", "", func(t *testing.T, img, other name.Digest) mutate.Addendum {
			l := w.sigLayer(t, w.keyless(t, legacyRelease), simpleSigningPayload(img, sigType), legacyOpts{})
			edited := mutate.Addendum{Annotations: l.Annotations}
			p := simpleSigningPayload(img, sigType)
			edited.Layer = staticLayer(append(p[:len(p)-len("null}")], []byte(`{"by":"mallory"}}`)...), image.MediaTypeSimpleSigning)
			return edited
		}, rejected(verify.ErrVerification)},
		{"statement about another image", "att", legacyPredicate, func(t *testing.T, img, other name.Digest) mutate.Addendum {
			return w.attLayer(t, w.keyless(t, legacyRelease), statementAbout(t, other, legacyPredicate), legacyOpts{})
		}, payloadErr("subject")},
		{"attestation by an unexpected identity", "att", legacyPredicate, func(t *testing.T, img, other name.Digest) mutate.Addendum {
			return w.attLayer(t, w.keyless(t, legacyIntruder), statementAbout(t, img, legacyPredicate), legacyOpts{})
		}, rejected(verify.ErrIdentityMismatch)},
		{"attestation with an edited SET", "att", legacyPredicate, func(t *testing.T, img, other name.Digest) mutate.Addendum {
			l := w.attLayer(t, w.keyless(t, legacyRelease), statementAbout(t, img, legacyPredicate), legacyOpts{})
			return editSET(t, l, func(m map[string]any) { m["Payload"].(map[string]any)["integratedTime"] = 1 })
		}, rejected(verify.ErrTlog)},
		{"signature where an attestation is expected", "sig", legacyPredicate, func(t *testing.T, img, other name.Digest) mutate.Addendum {
			return w.sigLayer(t, w.keyless(t, legacyRelease), simpleSigningPayload(img, sigType), legacyOpts{})
		}, rejected(verify.ErrPredicateTypeMismatch)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			repo := "tamper" + itoa(i)
			img := ocitest.PushImage(t, reg.Ref(t, repo+":v1"), int64(i))
			other := ocitest.PushImage(t, reg.Ref(t, repo+":other"), int64(100+i))
			pushLegacy(t, img, tc.suffix, tc.layer(t, img, other))
			res, err := w.gate(t, releaseExpectation(tc.predicate)).VerifyImage(t.Context(), img)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || len(res.Targets[0].Attestations) != 1 {
				t.Fatalf("verified=%v attestations=%+v", res.Verified, res.Targets[0].Attestations)
			}
			a := res.Targets[0].Attestations[0]
			if !errors.Is(a.Err, image.ErrAttestation) || a.Result != nil {
				t.Fatalf("err = %v, result %v", a.Err, a.Result)
			}
			tc.check(t, a.Err)
		})
	}
}

// TestLegacyCosignV2Attestations: what cosign v2 wrote for an attestation
// that sigstore-go cannot check fails closed (an "intoto" 0.0.1 log entry),
// and a timestamp over the whole envelope proves no time.
func TestLegacyCosignV2Attestations(t *testing.T) {
	t.Parallel()
	w := newLegacyWorld(t)
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, nil)
	for i, tc := range []struct {
		name  string
		o     legacyOpts
		vopts []verify.Option
		want  error // nil: verifies
	}{
		{"intoto 0.0.1 entry", legacyOpts{intotoV001: true}, nil, verify.ErrTlog},
		{"timestamp over the envelope, with a SET", legacyOpts{timestamp: true, tsOverEnvelope: true}, nil, nil},
		{"timestamp over the envelope, no SET", legacyOpts{noTlog: true, timestamp: true, tsOverEnvelope: true},
			[]verify.Option{verify.WithTlogThreshold(0)}, verify.ErrTimestamp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			img := ocitest.PushImage(t, reg.Ref(t, "v2-"+itoa(i)+":v1"), int64(i))
			pushLegacy(t, img, "att", w.attLayer(t, w.keyless(t, legacyRelease), statementAbout(t, img, legacyPredicate), tc.o))
			res, err := w.gate(t, releaseExpectation(legacyPredicate), tc.vopts...).VerifyImage(t.Context(), img)
			if err != nil {
				t.Fatal(err)
			}
			a := res.Targets[0].Attestations[0]
			if tc.want == nil {
				if !res.Verified {
					t.Fatalf("not verified: %v", a.Err)
				}
				for _, pt := range a.Result.Times {
					if pt.By == verify.TimeByTSA {
						t.Errorf("a timestamp over the envelope proved %v", pt)
					}
				}
				return
			}
			if res.Verified || !errors.Is(a.Err, image.ErrBundleRejected) || !errors.Is(a.Err, tc.want) {
				t.Fatalf("verified=%v err=%v, want %v", res.Verified, a.Err, tc.want)
			}
		})
	}
}
