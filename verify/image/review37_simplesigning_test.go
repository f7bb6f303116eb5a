package image_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// TestReview37SimpleSigningOptional: a simple-signing payload's "optional"
// is an object of annotations (containers/image's format; cosign reads it
// into a map[string]interface{} and refuses any other JSON value, and
// `cosign verify -a` and admission controllers read claims from it). A
// payload whose optional is a string, array, number or boolean is one
// cosign itself refuses; it was counted as a valid signature here.
func TestReview37SimpleSigningOptional(t *testing.T) {
	t.Parallel()
	w := newLegacyWorld(t)
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, nil)
	s := keyed(t)
	v := w.gate(t, verify.Expectation{Signer: s.public()})
	for i, tc := range []struct {
		name     string
		optional string
		ok       bool
	}{
		{"null", `null`, true},
		{"object", `{"release":"v1","n":1}`, true},
		{"empty object", ` {}`, true},
		{"string", `"release=v1"`, false},
		{"array", `[{"release":"v1"}]`, false},
		{"number", `1`, false},
		{"boolean", `true`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			img := ocitest.PushImage(t, reg.Ref(t, "opt"+itoa(i)+":v1"), int64(i))
			payload := []byte(`{"critical":{"identity":{"docker-reference":"` + img.Context().Name() + `"},"image":{"docker-manifest-digest":"` +
				img.DigestStr() + `"},"type":"cosign container image signature"},"optional":` + tc.optional + `}`)
			pushLegacy(t, img, "sig", w.sigLayer(t, s, payload, legacyOpts{}))
			res, err := v.VerifyImage(t.Context(), img)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified != tc.ok {
				t.Fatalf("verified=%v, want %v (%+v)", res.Verified, tc.ok, res.Targets[0].Attestations)
			}
			if tc.ok {
				return
			}
			var pe *image.LegacyPayloadError
			a := res.Targets[0].Attestations[0]
			if !errors.As(a.Err, &pe) || pe.Check != "optional" || !errors.Is(a.Err, image.ErrLegacyPayload) {
				t.Fatalf("err = %v, want a *LegacyPayloadError for optional", a.Err)
			}
			if strings.Contains(a.Err.Error(), "release") {
				t.Fatalf("the error repeats the payload: %v", a.Err)
			}
		})
	}
}

// TestReview37DockerReferenceDigest: with WithLegacyDockerReference, a
// docker-reference that pins a digest ("repo@sha256:…", which cosign's
// --sign-container-identity can write) must pin the image the payload
// signs: a payload whose critical.image.docker-manifest-digest names this
// image while its identity names another image of the same repository
// contradicts itself (containers/image's matchRepoDigestOrExact reads the
// identity's digest) and does not count. A tag is still not compared.
func TestReview37DockerReferenceDigest(t *testing.T) {
	t.Parallel()
	w := newLegacyWorld(t)
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, nil)
	s := keyed(t)
	expect := verify.Expectation{Signer: s.public()}
	strict := review17Gate(t, w, expect, image.WithLegacyDockerReference())
	def := w.gate(t, expect)
	other := ocitest.PushImage(t, reg.Ref(t, "app:other"), 99)
	for i, tc := range []struct {
		name   string
		ref    func(repo, digest string) string
		strict bool
	}{
		{"bare repository", func(repo, _ string) string { return repo }, true},
		{"tag", func(repo, _ string) string { return repo + ":v0" }, true},
		{"this digest", func(repo, d string) string { return repo + "@" + d }, true},
		{"tag and this digest", func(repo, d string) string { return repo + ":v1@" + d }, true},
		{"another digest", func(repo, _ string) string { return repo + "@" + other.DigestStr() }, false},
		{"tag and another digest", func(repo, _ string) string { return repo + ":v1@" + other.DigestStr() }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			img := ocitest.PushImage(t, reg.Ref(t, "app:d"+itoa(i)), int64(i))
			payload := []byte(`{"critical":{"identity":{"docker-reference":"` + tc.ref(img.Context().Name(), img.DigestStr()) + `"},"image":{"docker-manifest-digest":"` +
				img.DigestStr() + `"},"type":"cosign container image signature"},"optional":null}`)
			pushLegacy(t, img, "sig", w.sigLayer(t, s, payload, legacyOpts{}))
			// Without the option the reference is not read, as cosign does not read it.
			if res, err := def.VerifyImage(t.Context(), img); err != nil || !res.Verified {
				t.Fatalf("default: err=%v verified=%v", err, res.Verified)
			}
			res, err := strict.VerifyImage(t.Context(), img)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified != tc.strict {
				t.Fatalf("WithLegacyDockerReference: verified=%v, want %v (%+v)", res.Verified, tc.strict, res.Targets[0].Attestations)
			}
			if tc.strict {
				return
			}
			var pe *image.LegacyPayloadError
			if a := res.Targets[0].Attestations[0]; !errors.As(a.Err, &pe) || pe.Check != "critical.identity.docker-reference" {
				t.Fatalf("err = %v, want a docker-reference *LegacyPayloadError", a.Err)
			}
		})
	}
}
