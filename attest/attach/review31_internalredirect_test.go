package attach_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
)

// TestReview31InternalRedirect: a registry that redirects the subject's
// manifest read to another server on 127.0.0.1 (an internal service) has
// the read refused with ErrInternalAddress and the server gets nothing;
// WithInternalRedirects lets a vendor's internal storage through.
func TestReview31InternalRedirect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		allow []string
	}{
		{name: "refused"},
		{name: "allowed", allow: []string{"127.0.0.0/8"}},
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
						http.Redirect(w, r, storage.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
						return
					}
					h.ServeHTTP(w, r)
				})
			})
			tag := reg.Ref(t, "app:v1")
			d := ocitest.PushImage(t, tag, 31)
			on.Store(true)
			_, err := attach.Bundle(t.Context(), d, ocitest.NewSigner("alice").Bundle(t, d.DigestStr()),
				opts(nil, attach.WithInternalRedirects(tt.allow...))...)
			if tt.allow == nil {
				if !errors.Is(err, attach.ErrInternalAddress) || hits.Load() != 0 {
					t.Fatalf("redirect to an internal server: err = %v, %d requests reached it; want ErrInternalAddress, none", err, hits.Load())
				}
				return
			}
			if err != nil || hits.Load() == 0 {
				t.Fatalf("allowed internal storage: err = %v, %d requests", err, hits.Load())
			}
		})
	}
	if _, err := attach.Bundle(t.Context(), nil, nil, attach.WithInternalRedirects("::/0")); !errors.Is(err, attach.ErrConfig) {
		t.Errorf("WithInternalRedirects(\"::/0\"): %v, want ErrConfig", err)
	}
}
