package attach_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci"
	"github.com/ztci/ztci/internal/oci/ocitest"
)

// review23Squatter is someone who can push the referrers tag: as soon as
// the artifact manifest is pushed, it lists that digest in the tag index
// itself, as something a verifier skips (another artifactType, no
// annotations), before the attacher reads the tag.
func review23Squatter(squatted *atomic.Int32) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, id, _ := strings.Cut(r.URL.Path, "/manifests/")
			if r.Method != http.MethodPut || !strings.HasPrefix(id, "sha256:") {
				h.ServeHTTP(w, r)
				return
			}
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			h.ServeHTTP(w, r)
			var m struct {
				Subject *struct {
					Digest string `json:"digest"`
				} `json:"subject"`
			}
			if json.Unmarshal(body, &m) != nil || m.Subject == nil {
				return
			}
			ix := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[{"mediaType":%q,"digest":%q,"size":%d,"artifactType":"application/vnd.example.not-a-bundle"}]}`,
				oci.MediaTypeOCIIndex, oci.MediaTypeOCIManifest, id, len(body))
			tag := strings.Replace(m.Subject.Digest, ":", "-", 1)
			put := httptest.NewRequest(http.MethodPut, strings.Replace(r.URL.Path, id, tag, 1), strings.NewReader(ix))
			put.Header.Set("Content-Type", oci.MediaTypeOCIIndex)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, put)
			if rec.Code == http.StatusCreated {
				squatted.Add(1)
			}
		})
	}
}

// TestReview23SquattedTagEntryIsReplaced: an entry in the referrers tag
// that names our artifact's digest but lists it as something else is not
// taken as ours ("listed already"): Bundle replaces it with its own entry,
// so a verifier filtering on artifactType or predicateType finds it.
func TestReview23SquattedTagEntryIsReplaced(t *testing.T) {
	t.Parallel()
	var squatted atomic.Int32
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, review23Squatter(&squatted))
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	att, err := attach.Bundle(t.Context(), img, ocitest.NewSigner("alice").Bundle(t, img.DigestStr()), opts(nil)...)
	if err != nil {
		t.Fatal(err)
	}
	if squatted.Load() == 0 {
		t.Fatal("the squatter did not write the tag; the test proves nothing")
	}
	if att.Path != attach.PathReferrersTag {
		t.Fatalf("path = %s, want %s", att.Path, attach.PathReferrersTag)
	}
	raw, err := remote.Get(img.Context().Tag("sha256-" + ocitest.HexOf(img)))
	if err != nil {
		t.Fatal(err)
	}
	var ix struct {
		Manifests []oci.Descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(raw.Manifest, &ix); err != nil {
		t.Fatal(err)
	}
	var ours []oci.Descriptor
	for _, d := range ix.Manifests {
		if d.Digest == att.Artifact.DigestStr() {
			ours = append(ours, d)
		}
	}
	if len(ours) != 1 {
		t.Fatalf("%d entries for the artifact, want 1: %+v", len(ours), ix.Manifests)
	}
	if !oci.IsBundleType(ours[0].ArtifactType) || ours[0].Annotations[attach.AnnotationPredicateType] != ocitest.ProvenanceType {
		t.Errorf("the squatter's entry was kept: %+v", ours[0])
	}
}
