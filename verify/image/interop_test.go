package image_test

import (
	"encoding/json"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify/image"
)

type rawManifest struct {
	b  []byte
	mt types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.b, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// TestReadsGGCRWrittenArtifacts: cosign v3 pushes its bundle artifact with
// go-containerregistry's remote.Put, which maintains the referrers tag
// itself where the registry has no referrers API. The Verifier reads what
// that writer produced on every registry.
func TestReadsGGCRWrittenArtifacts(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	for _, kind := range ocitest.AllKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, kind, nil)
			img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
			sub, err := remote.Head(img)
			if err != nil {
				t.Fatal(err)
			}
			bundle := alice.Bundle(t, img.DigestStr())
			empty := static.NewLayer([]byte("{}"), attach.EmptyMediaType)
			layer := static.NewLayer(bundle, attest.BundleMediaType)
			for _, l := range []v1.Layer{empty, layer} {
				if err := remote.WriteLayer(img.Context(), l); err != nil {
					t.Fatal(err)
				}
			}
			ed, _ := empty.Digest()
			ld, _ := layer.Digest()
			m, _ := json.Marshal(map[string]any{
				"schemaVersion": 2,
				"mediaType":     "application/vnd.oci.image.manifest.v1+json",
				"artifactType":  attest.BundleMediaType,
				"config":        map[string]any{"mediaType": attach.EmptyMediaType, "digest": ed.String(), "size": 2},
				"layers":        []any{map[string]any{"mediaType": attest.BundleMediaType, "digest": ld.String(), "size": len(bundle)}},
				"subject":       map[string]any{"mediaType": sub.MediaType, "digest": sub.Digest.String(), "size": sub.Size},
				"annotations":   map[string]string{attach.AnnotationContent: "dsse-envelope"},
			})
			h, _, _ := v1.SHA256(bytesReader(m))
			if err := remote.Put(img.Context().Digest(h.String()), rawManifest{m, types.OCIManifestSchema1}); err != nil {
				t.Fatal(err)
			}
			v, _ := image.NewVerifier(newTestVerifier(alice), opts(nil)...)
			res, err := v.VerifyImage(t.Context(), img)
			if err != nil || !res.Verified || res.Targets[0].Path != kind.WantPath() {
				t.Fatalf("VerifyImage = %+v, %v", res, err)
			}
		})
	}
}
