package attach_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
)

// spoofDigestWriter answers with Docker-Content-Digest set to digest,
// whatever the registry computed.
type spoofDigestWriter struct {
	http.ResponseWriter
	digest string
}

func (w spoofDigestWriter) WriteHeader(code int) {
	w.Header().Set("Docker-Content-Digest", w.digest)
	w.ResponseWriter.WriteHeader(code)
}

// spoofStored makes the registry claim, on the manifest PUTs match
// selects, to have stored another manifest than the one sent.
func spoofStored(match func(*http.Request) bool, digest string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") && match(r) {
				w = spoofDigestWriter{ResponseWriter: w, digest: digest}
			}
			h.ServeHTTP(w, r)
		})
	}
}

// TestReview38StoredDigestChecked: a registry answering a manifest PUT (the
// artifact's, or the referrers tag's) with a Docker-Content-Digest other
// than the digest of the bytes sent stored something else; Bundle refuses
// the answer with ErrDigestMismatch instead of reporting (or listing) a
// digest that names nothing the registry holds. An answer naming the
// right digest, or none, still succeeds.
func TestReview38StoredDigestChecked(t *testing.T) {
	t.Parallel()
	other := "sha256:" + strings.Repeat("ab", 32)
	byDigest := func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/manifests/sha256:") }
	byTag := func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/manifests/sha256-") }
	tests := []struct {
		name   string
		kind   ocitest.Kind
		match  func(*http.Request) bool
		digest string
		want   error
	}{
		{name: "artifact PUT, other digest", kind: ocitest.GGCRReferrers, match: byDigest, digest: other, want: attach.ErrDigestMismatch},
		{name: "artifact PUT, unreadable digest", kind: ocitest.GGCRReferrers, match: byDigest, digest: "sha256:zz", want: attach.ErrDigestMismatch},
		{name: "referrers tag PUT, other digest", kind: ocitest.GGCRNoReferrers, match: byTag, digest: other, want: attach.ErrDigestMismatch},
		{name: "no spoofing", kind: ocitest.GGCRNoReferrers, match: func(*http.Request) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, tt.kind, spoofStored(tt.match, tt.digest))
			img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
			_, err := attach.Bundle(t.Context(), img, ocitest.NewSigner("alice").Bundle(t, img.DigestStr()), opts(nil)...)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, attach.ErrRegistry) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var dm *attach.DigestMismatchError
			if !errors.As(err, &dm) {
				t.Fatalf("err = %v, want a *DigestMismatchError", err)
			}
		})
	}
}
