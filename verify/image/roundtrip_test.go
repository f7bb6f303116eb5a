package image_test

import (
	"testing"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify/image"
)

// TestRoundTrips counts the HTTP requests that reach the network when
// verifying one attested image.
func TestRoundTrips(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	tests := []struct {
		name       string
		kind       ocitest.Kind
		byTag      bool
		cold, warm int
	}{
		// cold: /v2/ ping (ggcr's auth handshake, once per Verifier and
		// repository), manifest by tag, referrers listing, artifact manifest,
		// bundle blob. By digest the image manifest is not fetched. The tag
		// schema adds the 404 from the referrers API. warm by tag: the tag is
		// re-resolved (it may have moved), the verdict comes from the cache.
		{name: "referrers API, by tag", kind: ocitest.GGCRReferrers, byTag: true, cold: 5, warm: 1},
		{name: "referrers API, by digest", kind: ocitest.GGCRReferrers, cold: 4, warm: 0},
		{name: "tag schema, by tag", kind: ocitest.GGCRNoReferrers, byTag: true, cold: 6, warm: 1},
		{name: "tag schema, by digest", kind: ocitest.GGCRNoReferrers, cold: 5, warm: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, tt.kind, nil)
			tag := reg.Ref(t, "app:v1")
			img := ocitest.PushImage(t, tag, 1)
			if _, err := attach.Bundle(t.Context(), img, alice.Bundle(t, img.DigestStr()), attachOpts(nil)...); err != nil {
				t.Fatal(err)
			}
			c := ocitest.NewCounter()
			v, err := image.NewVerifier(newTestVerifier(alice), opts(c)...)
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
			if reqs := c.Reset(); len(reqs) != tt.cold {
				t.Errorf("cold: %d round trips %v, want %d", len(reqs), reqs, tt.cold)
			} else {
				t.Logf("cold: %d round trips %v", len(reqs), reqs)
			}
			res, err = v.VerifyImage(t.Context(), target)
			if err != nil || !res.Verified || !res.Cached {
				t.Fatalf("warm verify: %v %+v", err, res)
			}
			if reqs := c.Reset(); len(reqs) != tt.warm {
				t.Errorf("warm: %d round trips %v, want %d", len(reqs), reqs, tt.warm)
			}
		})
	}
}
