package oci

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// review27Referrers serves a referrers API whose listing is entries, and
// nothing else.
func review27Referrers(t *testing.T, entries []Descriptor) name.Repository {
	t.Helper()
	body, err := json.Marshal(struct {
		SchemaVersion int          `json:"schemaVersion"`
		MediaType     string       `json:"mediaType"`
		Manifests     []Descriptor `json:"manifests"`
	}{2, MediaTypeOCIIndex, entries})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		w.Header().Set("Content-Type", MediaTypeOCIIndex)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	repo, err := name.NewRepository(u.Host+"/app", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func review27Entries(n int, artifactType string) []Descriptor {
	out := make([]Descriptor, n)
	for i := range out {
		sum := sha256.Sum256(fmt.Appendf(nil, "%s %d", artifactType, i))
		out[i] = Descriptor{MediaType: MediaTypeOCIManifest, Digest: fmt.Sprintf("sha256:%x", sum), Size: 100, ArtifactType: artifactType}
	}
	return out
}

// TestReview27FloodOfOtherTypes: referrers of other artifact types (SBOMs,
// other tools' signatures), which anyone who can push to the repository
// can list in any number, do not count against MaxReferrers; before, 256
// of them failed every verification of the image. Candidates beyond the
// limit, and entries beyond MaxReferrerEntries, still fail closed.
func TestReview27FloodOfOtherTypes(t *testing.T) {
	t.Parallel()
	const bundleType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	sbom := review27Entries(MaxReferrers+100, "application/spdx+json")
	tests := []struct {
		name       string
		entries    []Descriptor
		candidates int
		err        error
	}{
		{name: "flood of other types", entries: append(review27Entries(1, bundleType), sbom...), candidates: 1},
		{name: "candidates at the limit", entries: append(review27Entries(MaxReferrers, bundleType), sbom...), candidates: MaxReferrers},
		{name: "candidates over the limit", entries: review27Entries(MaxReferrers+1, bundleType), err: ErrTooManyReferrers},
		{name: "entries over the bound", entries: review27Entries(MaxReferrerEntries+1, "application/spdx+json"), err: ErrTooManyReferrers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo := review27Referrers(t, tt.entries)
			cfg := DefaultConfig()
			cfg.Keychain = review10Anonymous{}
			c := NewClient(cfg, false)
			l, err := c.Discover(t.Context(), repo, v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064x", 1)})
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Discover = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			if len(l.Candidates) != tt.candidates || l.Path != PathReferrersAPI {
				t.Fatalf("%d candidates on %s, want %d on the referrers API", len(l.Candidates), l.Path, tt.candidates)
			}
		})
	}
}
