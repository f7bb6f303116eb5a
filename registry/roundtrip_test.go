package registry_test

import (
	"testing"

	"github.com/ztci/ztci/registry"
)

// TestRoundTrips counts the HTTP requests that reach the network when
// verifying one attested image.
func TestRoundTrips(t *testing.T) {
	t.Parallel()
	alice := newSigner("alice")
	tests := []struct {
		name       string
		kind       registryKind
		byTag      bool
		cold, warm int
	}{
		// cold: /v2/ ping (ggcr's auth handshake, once per Verifier and
		// repository), manifest by tag, referrers listing, artifact manifest,
		// bundle blob. By digest the image manifest is not fetched. The tag
		// schema adds the 404 from the referrers API. warm by tag: the tag is
		// re-resolved (it may have moved), the verdict comes from the cache.
		{name: "referrers API, by tag", kind: ggcrReferrers, byTag: true, cold: 5, warm: 1},
		{name: "referrers API, by digest", kind: ggcrReferrers, cold: 4, warm: 0},
		{name: "tag schema, by tag", kind: ggcrNoReferrers, byTag: true, cold: 6, warm: 1},
		{name: "tag schema, by digest", kind: ggcrNoReferrers, cold: 5, warm: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := startRegistry(t, tt.kind, nil)
			tag := reg.ref(t, "app:v1")
			img := pushImage(t, tag, 1)
			if _, err := registry.Attach(t.Context(), img, alice.bundle(t, img.DigestStr()), opts(nil)...); err != nil {
				t.Fatal(err)
			}
			c := newCounter()
			v, err := registry.NewVerifier(newTestVerifier(alice), opts(c)...)
			if err != nil {
				t.Fatal(err)
			}
			target := tag
			if !tt.byTag {
				target = img
			}
			res, err := v.VerifyImage(t.Context(), target)
			if err != nil || !res.Verified {
				t.Fatalf("cold verify: %v %+v", err, res)
			}
			if reqs := c.reset(); len(reqs) != tt.cold {
				t.Errorf("cold: %d round trips %v, want %d", len(reqs), reqs, tt.cold)
			} else {
				t.Logf("cold: %d round trips %v", len(reqs), reqs)
			}
			res, err = v.VerifyImage(t.Context(), target)
			if err != nil || !res.Verified || !res.Cached {
				t.Fatalf("warm verify: %v %+v", err, res)
			}
			if reqs := c.reset(); len(reqs) != tt.warm {
				t.Errorf("warm: %d round trips %v, want %d", len(reqs), reqs, tt.warm)
			}
		})
	}
}

// TestAttachRoundTrips counts Attach's requests: ping, image manifest, two
// blob uploads by ggcr (HEAD, then POST, PATCH, PUT when absent), the
// manifest PUT, the referrers probe, and on the tag schema its read, write
// and read-back.
func TestAttachRoundTrips(t *testing.T) {
	t.Parallel()
	alice := newSigner("alice")
	tests := []struct {
		name string
		kind registryKind
		want int
	}{
		{name: "referrers API", kind: ggcrReferrers, want: 12},
		{name: "tag schema", kind: ggcrNoReferrers, want: 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := startRegistry(t, tt.kind, nil)
			img := pushImage(t, reg.ref(t, "app:v1"), 1)
			c := newCounter()
			if _, err := registry.Attach(t.Context(), img, alice.bundle(t, img.DigestStr()), opts(c)...); err != nil {
				t.Fatal(err)
			}
			reqs := c.reset()
			t.Logf("%d requests: %v", len(reqs), reqs)
			if len(reqs) != tt.want {
				t.Errorf("%d requests, want %d", len(reqs), tt.want)
			}
		})
	}
}
