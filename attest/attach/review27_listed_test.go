package attach_test

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci"
	"github.com/ztci/ztci/internal/oci/ocitest"
)

// TestReview27ListedByReferrersAPI: on the referrers-API path, Bundle
// succeeds only once the API lists the artifact it pushed. Before, a
// registry that accepted the manifest but never listed it (or dropped
// it from the listing) made Bundle report success for an attestation no
// verifier would find. A registry that lists it after a few reads
// (eventually consistent indexing) still succeeds.
func TestReview27ListedByReferrersAPI(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	tests := []struct {
		name  string
		empty int32 // referrers reads answered with an empty index first
		err   error
	}{
		{name: "listed at once", empty: 0},
		{name: "listed after two reads", empty: 2},
		{name: "never listed", empty: 1 << 30, err: attach.ErrNotListed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var reads atomic.Int32
			reg := ocitest.Start(t, ocitest.GGCRReferrers, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/referrers/") && reads.Add(1) <= tt.empty {
						w.Header().Set("Content-Type", oci.MediaTypeOCIIndex)
						_, _ = w.Write([]byte(`{"schemaVersion":2,"mediaType":"` + oci.MediaTypeOCIIndex + `","manifests":[]}`))
						return
					}
					h.ServeHTTP(w, r)
				})
			})
			img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
			att, err := attach.Bundle(t.Context(), img, alice.Bundle(t, img.DigestStr()), opts(nil)...)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !errors.Is(err, attach.ErrRegistry) {
					t.Fatalf("Bundle = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Bundle: %v", err)
			}
			if att.Path != attach.PathReferrersAPI {
				t.Fatalf("path %s, want the referrers API", att.Path)
			}
		})
	}
}
