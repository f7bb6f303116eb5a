package image_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify/image"
)

// TestReview31InternalRedirect: a registry that redirects the image's
// manifest read to another server on 127.0.0.1 (an internal service) gets
// ErrInternalAddress and the server no request; WithInternalRedirects
// lets a vendor's internal storage through (verification then goes on to
// find no attestation), and rejects a prefix that allows everything.
func TestReview31InternalRedirect(t *testing.T) {
	t.Parallel()
	never := image.BundleVerifierFunc(func(context.Context, []byte, v1.Hash) (image.BundleResult, error) {
		return image.BundleResult{}, errors.New("not reached")
	})
	tests := []struct {
		name  string
		allow []string
	}{
		{name: "refused"},
		{name: "allowed", allow: []string{"127.0.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var inner http.Handler
			var on atomic.Bool
			var hits atomic.Int64
			storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				inner.ServeHTTP(w, r)
			}))
			t.Cleanup(storage.Close)
			reg := ocitest.Start(t, ocitest.GGCRNoReferrers, func(h http.Handler) http.Handler {
				inner = h
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if on.Load() && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/") {
						http.Redirect(w, r, storage.URL+r.URL.RequestURI(), http.StatusFound)
						return
					}
					h.ServeHTTP(w, r)
				})
			})
			d := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 31)
			on.Store(true)
			v, err := image.NewVerifier(never, opts(nil, image.WithInternalRedirects(tt.allow...))...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.VerifyImage(t.Context(), d)
			if tt.allow == nil {
				var ie *image.InternalAddressError
				if !errors.Is(err, image.ErrInternalAddress) || !errors.As(err, &ie) || hits.Load() != 0 {
					t.Fatalf("redirect to an internal server: err = %v, %d requests reached it; want ErrInternalAddress, none", err, hits.Load())
				}
				return
			}
			if errors.Is(err, image.ErrInternalAddress) || hits.Load() == 0 {
				t.Fatalf("allowed internal storage: err = %v, %d requests", err, hits.Load())
			}
		})
	}
	if _, err := image.NewVerifier(never, image.WithInternalRedirects("0.0.0.0/0")); !errors.Is(err, image.ErrConfig) {
		t.Errorf("WithInternalRedirects(\"0.0.0.0/0\"): %v, want ErrConfig", err)
	}
}
