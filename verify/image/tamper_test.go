package image_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify/image"
)

// TestTamperedAttestationOnDisk edits the bundle blob inside the real
// docker-registry's storage; the registry serves the edited bytes.
func TestTamperedAttestationOnDisk(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	reg := ocitest.Start(t, ocitest.DockerRegistry, nil)
	tag := reg.Ref(t, "app:v1")
	img := ocitest.PushImage(t, tag, 1)
	att, err := attach.Bundle(t.Context(), tag, alice.Bundle(t, img.DigestStr()), attachOpts(nil)...)
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(reg.Storage, "docker/registry/v2/blobs/sha256", att.Bundle.Hex[:2], att.Bundle.Hex, "data")
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`"hint":"alice"`), []byte(`"hint":"bob!!"`), 1)
	if err := os.WriteFile(data, b, 0o600); err != nil {
		t.Fatal(err)
	}
	v, _ := image.NewVerifier(newTestVerifier(alice), opts(nil)...)
	res, err := v.VerifyImage(t.Context(), tag)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified {
		t.Fatal("verified with a tampered bundle")
	}
	if a := res.Targets[0].Attestations; len(a) != 1 || !errors.Is(a[0].Err, image.ErrDigestMismatch) {
		t.Fatalf("attestations = %+v, want one failing with ErrDigestMismatch", a)
	}
}

// TestTamperedImageManifestOnDisk edits the image manifest in storage: the
// registry's Docker-Content-Digest no longer matches the body.
func TestTamperedImageManifestOnDisk(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	reg := ocitest.Start(t, ocitest.DockerRegistry, nil)
	tag := reg.Ref(t, "app:v1")
	img := ocitest.PushImage(t, tag, 1)
	if _, err := attach.Bundle(t.Context(), tag, alice.Bundle(t, img.DigestStr()), attachOpts(nil)...); err != nil {
		t.Fatal(err)
	}
	h, _ := v1.NewHash(img.DigestStr())
	data := filepath.Join(reg.Storage, "docker/registry/v2/blobs/sha256", h.Hex[:2], h.Hex, "data")
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, bytes.Replace(b, []byte(`"schemaVersion":2`), []byte(`"schemaVersion":2 `), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	v, _ := image.NewVerifier(newTestVerifier(alice), opts(nil)...)
	if res, err := v.VerifyImage(t.Context(), tag); !errors.Is(err, image.ErrDigestMismatch) {
		t.Fatalf("VerifyImage = %+v, %v; want ErrDigestMismatch", res, err)
	}
}

// TestRetaggedImageIsNotVerified replaces the image behind the tag with an
// unattested one.
func TestRetaggedImageIsNotVerified(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	for _, kind := range ocitest.AllKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, kind, nil)
			tag := reg.Ref(t, "app:v1")
			img := ocitest.PushImage(t, tag, 1)
			if _, err := attach.Bundle(t.Context(), tag, alice.Bundle(t, img.DigestStr()), attachOpts(nil)...); err != nil {
				t.Fatal(err)
			}
			evil := ocitest.PushImage(t, tag, 666)
			v, _ := image.NewVerifier(newTestVerifier(alice), opts(nil)...)
			res, err := v.VerifyImage(t.Context(), tag)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || res.Digest != evil {
				t.Fatalf("retagged image: verified=%v digest=%s", res.Verified, res.Digest)
			}
		})
	}
}

// moveTagOnce re-points a tag at another image right after the Verifier's
// first read of it.
type moveTagOnce struct {
	base   http.RoundTripper
	path   string
	move   func()
	once   sync.Once
	tagGet atomic.Int64
}

func (m *moveTagOnce) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := m.base.RoundTrip(r)
	if err == nil && r.Method == http.MethodGet && r.URL.Path == m.path {
		m.tagGet.Add(1)
		m.once.Do(m.move)
	}
	return resp, err
}

// TestTagMovedAfterPinning moves the tag while verification runs: the
// verdict is about the digest pinned first, the tag is read once, and the
// next verification sees the new, unattested image.
func TestTagMovedAfterPinning(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	for _, kind := range ocitest.AllKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, kind, nil)
			tag := reg.Ref(t, "app:v1")
			img := ocitest.PushImage(t, tag, 1)
			if _, err := attach.Bundle(t.Context(), tag, alice.Bundle(t, img.DigestStr()), attachOpts(nil)...); err != nil {
				t.Fatal(err)
			}
			var evil name.Digest
			mv := &moveTagOnce{base: http.DefaultTransport, path: "/v2/app/manifests/v1", move: func() { evil = ocitest.PushImage(t, tag, 666) }}
			v, _ := image.NewVerifier(newTestVerifier(alice), opts(nil, image.WithTransport(mv))...)
			res, err := v.VerifyImage(t.Context(), tag)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Verified || res.Digest != img {
				t.Fatalf("verified=%v digest=%s, want the pinned %s", res.Verified, res.Digest, img)
			}
			if n := mv.tagGet.Load(); n != 1 {
				t.Errorf("tag read %d times, want 1", n)
			}
			res, err = v.VerifyImage(t.Context(), tag)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || res.Digest != evil {
				t.Fatalf("after the move: verified=%v digest=%s, want unverified %s", res.Verified, res.Digest, evil)
			}
		})
	}
}

// TestReferrersListingUnrelatedArtifacts makes the registry list, for the
// image, an SBOM-typed artifact and a bundle artifact whose subject is
// another image.
func TestReferrersListingUnrelatedArtifacts(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	var on atomic.Bool
	var extra []byte // descriptors to splice into the listing
	var mu sync.Mutex
	splice := withFault(isGet("referrers"), passThrough(func(b []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		return bytes.Replace(b, []byte(`"manifests":[`), append(append([]byte(`"manifests":[`), extra...), ','), 1)
	}))
	reg := ocitest.Start(t, ocitest.GGCRReferrers, splice.wrap(&on))
	tag := reg.Ref(t, "app:v1")
	img := ocitest.PushImage(t, tag, 1)
	other := ocitest.PushImage(t, reg.Ref(t, "app:other"), 2)
	if _, err := attach.Bundle(t.Context(), img, alice.Bundle(t, img.DigestStr()), attachOpts(nil)...); err != nil {
		t.Fatal(err)
	}
	// A valid bundle about the other image, attached to the other image.
	otherAtt, err := attach.Bundle(t.Context(), other, alice.Bundle(t, other.DigestStr()), attachOpts(nil)...)
	if err != nil {
		t.Fatal(err)
	}
	otherMF, err := remote.Get(otherAtt.Artifact)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	extra = []byte(`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + strings.Repeat("ab", 32) +
		`","size":100,"artifactType":"application/spdx+json"},` +
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + otherAtt.Artifact.DigestStr() +
		`","size":` + itoa(len(otherMF.Manifest)) + `,"artifactType":"` + attest.BundleMediaType + `"}`)
	mu.Unlock()
	on.Store(true)

	v, _ := image.NewVerifier(newTestVerifier(alice), opts(nil)...)
	res, err := v.VerifyImage(t.Context(), tag)
	if err != nil {
		t.Fatal(err)
	}
	tg := res.Targets[0]
	if tg.Ignored != 1 {
		t.Errorf("ignored = %d, want 1 (the SBOM)", tg.Ignored)
	}
	var mismatched, ok int
	for _, a := range tg.Attestations {
		var sm *image.SubjectMismatchError
		switch {
		case a.Err == nil:
			ok++
		case errors.As(a.Err, &sm):
			mismatched++
			if sm.Got.String() != other.DigestStr() {
				t.Errorf("SubjectMismatchError.Got = %s, want %s", sm.Got, other.DigestStr())
			}
		default:
			t.Errorf("unexpected attestation error %v", a.Err)
		}
	}
	if ok != 1 || mismatched != 1 || !res.Verified {
		t.Fatalf("ok=%d mismatched=%d verified=%v, want 1, 1, true", ok, mismatched, res.Verified)
	}
}

// TestTransientErrorsAreRetried: 503 twice, then the real answer.
func TestTransientErrorsAreRetried(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	var on atomic.Bool
	var n atomic.Int64
	flaky := withFault(isGet("referrers"), func(r *http.Request, rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
		if n.Add(1) <= 2 {
			return http.StatusServiceUnavailable, nil, nil
		}
		return rec.Code, rec.Header().Clone(), rec.Body.Bytes()
	})
	reg := ocitest.Start(t, ocitest.GGCRReferrers, flaky.wrap(&on))
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	if _, err := attach.Bundle(t.Context(), img, alice.Bundle(t, img.DigestStr()), attachOpts(nil)...); err != nil {
		t.Fatal(err)
	}
	on.Store(true)
	v, _ := image.NewVerifier(newTestVerifier(alice), opts(nil)...)
	res, err := v.VerifyImage(t.Context(), img)
	if err != nil || !res.Verified {
		t.Fatalf("VerifyImage = %+v, %v", res, err)
	}
	if got := n.Load(); got != 3 {
		t.Errorf("referrers requests = %d, want 3", got)
	}
}
