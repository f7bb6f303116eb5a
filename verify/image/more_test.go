package image_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify/image"
)

// TestLegacyCosignTags reads cosign's "sha256-<hex>.att" tag: a Sigstore
// bundle layer is verified, a malformed legacy DSSE layer is reported, never
// counted (legacy_test.go verifies well-formed ones).
func TestLegacyCosignTags(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	for _, kind := range ocitest.AllKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, kind, nil)
			tag := reg.Ref(t, "app:v1")
			img := ocitest.PushImage(t, tag, 1)
			att, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1),
				mutate.Addendum{Layer: static.NewLayer(alice.Bundle(t, img.DigestStr()), attest.BundleMediaType)},
				mutate.Addendum{Layer: static.NewLayer([]byte(`{"payloadType":"application/vnd.in-toto+json"}`), "application/vnd.dsse.envelope.v1+json"),
					Annotations: map[string]string{"dev.sigstore.cosign/certificate": "-----BEGIN CERTIFICATE-----"}})
			if err != nil {
				t.Fatal(err)
			}
			if err := remote.Write(img.Context().Tag("sha256-"+ocitest.HexOf(img)+".att"), att); err != nil {
				t.Fatal(err)
			}
			v, _ := image.NewVerifier(newTestVerifier(alice), opts(nil)...)
			res, err := v.VerifyImage(t.Context(), tag)
			if err != nil || res.Verified {
				t.Fatalf("without WithLegacyTags: %v %+v", err, res)
			}
			v, _ = image.NewVerifier(newTestVerifier(alice), opts(nil, image.WithLegacyTags())...)
			res, err = v.VerifyImage(t.Context(), tag)
			if err != nil || !res.Verified {
				t.Fatalf("with WithLegacyTags: %v %+v", err, res)
			}
			atts := res.Targets[0].Attestations
			if len(atts) != 2 || atts[0].Path != image.PathLegacyTag || atts[0].Err != nil || !errors.Is(atts[1].Err, image.ErrLegacyPayload) {
				t.Fatalf("attestations = %+v", atts)
			}
		})
	}
}

// inflight records the most requests in flight at once.
type inflight struct {
	base     http.RoundTripper
	now, max atomic.Int64
}

func (f *inflight) RoundTrip(r *http.Request) (*http.Response, error) {
	n := f.now.Add(1)
	defer f.now.Add(-1)
	for {
		m := f.max.Load()
		if n <= m || f.max.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(2 * time.Millisecond) // widen the window so overlap is visible
	return f.base.RoundTrip(r)
}

func TestVerifyImagesIsBounded(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	var refs []name.Reference
	for i := range 8 {
		tag := reg.Ref(t, "app:v"+string(rune('0'+i)))
		img := ocitest.PushImage(t, tag, int64(i))
		if _, err := attach.Bundle(t.Context(), img, alice.Bundle(t, img.DigestStr()), attachOpts(nil)...); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, tag)
	}
	refs = append(refs, reg.Ref(t, "app:missing"))
	tr := &inflight{base: http.DefaultTransport}
	v, _ := image.NewVerifier(newTestVerifier(alice), opts(nil, image.WithTransport(tr), image.WithParallelism(3))...)
	results, err := v.VerifyImages(t.Context(), refs)
	var ie *image.ImageError
	if !errors.As(err, &ie) || !errors.Is(err, image.ErrNotFound) || !strings.Contains(ie.Ref.String(), "missing") {
		t.Fatalf("err = %v, want an ImageError for app:missing wrapping ErrNotFound", err)
	}
	for i, r := range results[:8] {
		if r == nil || !r.Verified || r.Ref != refs[i] {
			t.Errorf("result %d = %+v", i, r)
		}
	}
	if results[8] != nil {
		t.Errorf("result for the missing tag = %+v, want nil", results[8])
	}
	if m := tr.max.Load(); m > 3 {
		t.Errorf("%d requests in flight, want at most 3", m)
	} else {
		t.Logf("at most %d requests in flight", m)
	}
}

// TestCacheExpiryRefetchesNoContent: after the verdict expires, discovery
// runs again but artifacts and bundles (content-addressed) are not refetched.
func TestCacheExpiryRefetchesNoContent(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	if _, err := attach.Bundle(t.Context(), img, alice.Bundle(t, img.DigestStr()), attachOpts(nil)...); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := ocitest.NewCounter()
	tv := newTestVerifier(alice)
	v, _ := image.NewVerifier(tv, opts(c, image.WithCache(16, time.Minute), image.WithClock(clock))...)
	for _, step := range []struct {
		advance time.Duration
		reqs    int
		cached  bool
	}{
		{0, 4, false},                // ping, referrers, artifact manifest, blob
		{30 * time.Second, 0, true},  // within the TTL
		{31 * time.Second, 1, false}, // expired: referrers only
	} {
		mu.Lock()
		now = now.Add(step.advance)
		mu.Unlock()
		res, err := v.VerifyImage(t.Context(), img)
		if err != nil || !res.Verified || res.Cached != step.cached {
			t.Fatalf("after %v: %v %+v", step.advance, err, res)
		}
		if got := c.Reset(); len(got) != step.reqs {
			t.Errorf("after %v: requests %v, want %d", step.advance, got, step.reqs)
		}
	}
	if n := tv.calls.Load(); n != 2 {
		t.Errorf("bundle verified %d times, want 2 (cold and after expiry)", n)
	}
}

// TestCachedResultIsACopy: a caller modifying its Result does not change
// what the cache returns next.
func TestCachedResultIsACopy(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	if _, err := attach.Bundle(t.Context(), img, alice.Bundle(t, img.DigestStr()), attachOpts(nil)...); err != nil {
		t.Fatal(err)
	}
	v, _ := image.NewVerifier(newTestVerifier(alice), opts(nil)...)
	for range 2 {
		res, err := v.VerifyImage(t.Context(), img)
		if err != nil || !res.Verified || res.Targets[0].Signers[0] != "alice" {
			t.Fatalf("VerifyImage = %+v, %v", res, err)
		}
		res.Verified = false
		res.Targets[0].Signers[0] = "mallory"
		res.Targets = nil
	}
}

// TestReferrersPagination splits the registry's listing into pages linked
// with Link: rel="next", as the distribution spec allows.
func TestReferrersPagination(t *testing.T) {
	t.Parallel()
	alice, bob := ocitest.NewSigner("alice"), ocitest.NewSigner("bob")
	var on atomic.Bool
	var pages atomic.Int64
	paginate := withFault(isGet("referrers"), func(r *http.Request, rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
		pages.Add(1)
		var ix struct {
			SchemaVersion int               `json:"schemaVersion"`
			MediaType     string            `json:"mediaType"`
			Manifests     []json.RawMessage `json:"manifests"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &ix); err != nil || len(ix.Manifests) != 2 {
			return 500, nil, nil
		}
		// ggcr lists referrers in map order; sort so the pages split the same list.
		slices.SortFunc(ix.Manifests, func(a, b json.RawMessage) int { return bytes.Compare(a, b) })
		h := rec.Header().Clone()
		page := ix
		if r.URL.Query().Get("page") == "" {
			page.Manifests = ix.Manifests[:1]
			h.Set("Link", `<`+r.URL.Path+`?page=2>; rel="next"`)
		} else {
			page.Manifests = ix.Manifests[1:]
		}
		b, _ := json.Marshal(page)
		return rec.Code, h, b
	})
	reg := ocitest.Start(t, ocitest.GGCRReferrers, paginate.wrap(&on))
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	for _, s := range []ocitest.Signer{alice, bob} {
		if _, err := attach.Bundle(t.Context(), img, s.Bundle(t, img.DigestStr()), attachOpts(nil)...); err != nil {
			t.Fatal(err)
		}
	}
	on.Store(true)
	v, _ := image.NewVerifier(newTestVerifier(alice, bob), opts(nil, image.WithThreshold(2))...)
	res, err := v.VerifyImage(t.Context(), img)
	if err != nil || !res.Verified {
		t.Fatalf("VerifyImage = %+v, %v", res, err)
	}
	if n := pages.Load(); n != 2 {
		t.Errorf("%d pages read, want 2", n)
	}
}

// TestCanceledContext: a canceled verification is an error, not a verdict.
func TestCanceledContext(t *testing.T) {
	t.Parallel()
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	v, _ := image.NewVerifier(newTestVerifier(), opts(nil)...)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if res, err := v.VerifyImage(ctx, img); !errors.Is(err, context.Canceled) {
		t.Fatalf("VerifyImage = %+v, %v; want context.Canceled", res, err)
	}
}

func TestOptionValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  image.Option
	}{
		{name: "nil option", opt: nil},
		{name: "nil keychain", opt: image.WithKeychain(nil)},
		{name: "nil transport", opt: image.WithTransport(nil)},
		{name: "nil logger", opt: image.WithLogger(nil)},
		{name: "nil clock", opt: image.WithClock(nil)},
		{name: "threshold 0", opt: image.WithThreshold(0)},
		{name: "parallelism 0", opt: image.WithParallelism(0)},
		{name: "negative cache", opt: image.WithCache(-1, time.Minute)},
		{name: "zero timeout", opt: image.WithTimeout(0)},
		{name: "platform without arch", opt: image.WithPlatform(v1.Platform{OS: "linux"})},
		{name: "unbounded backoff", opt: image.WithRetryBackoff(remote.Backoff{Duration: time.Minute, Factor: 10, Steps: 10})},
		{name: "no steps", opt: image.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := image.NewVerifier(newTestVerifier(), tt.opt); !errors.Is(err, image.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
	if _, err := image.NewVerifier(nil); !errors.Is(err, image.ErrConfig) {
		t.Fatalf("nil BundleVerifier: err = %v, want ErrConfig", err)
	}
	if _, err := image.VerifyBundles(); !errors.Is(err, image.ErrConfig) {
		t.Fatalf("VerifyBundles(): err = %v, want ErrConfig", err)
	}
}

// TestVerifierWithoutSignerIsRejected: a BundleVerifier that accepts but
// names no signer does not count towards the threshold.
func TestVerifierWithoutSignerIsRejected(t *testing.T) {
	t.Parallel()
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	if _, err := attach.Bundle(t.Context(), img, ocitest.NewSigner("alice").Bundle(t, img.DigestStr()), attachOpts(nil)...); err != nil {
		t.Fatal(err)
	}
	anonymous := image.BundleVerifierFunc(func(context.Context, []byte, v1.Hash) (image.BundleResult, error) {
		return image.BundleResult{}, nil
	})
	v, _ := image.NewVerifier(anonymous, opts(nil)...)
	res, err := v.VerifyImage(t.Context(), img)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified || !errors.Is(res.Targets[0].Attestations[0].Err, image.ErrBundleRejected) {
		t.Fatalf("verified=%v err=%v", res.Verified, res.Targets[0].Attestations[0].Err)
	}
}
