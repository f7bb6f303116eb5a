package image_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/verify/image"
)

// TestReview37EnvelopeSignaturesBounded: an ".att" layer's DSSE envelope
// (up to MaxBundleSize, the registry's) was decoded whole before its one
// signature was counted: `"signatures":[{},{},…]` made encoding/json
// allocate about fifty times the layer (400 MiB for 8 MiB), for each of
// up to 128 layers an image's legacy tags list. The arrays of every
// strictly decoded legacy document are now weighed before decoding
// (strictjson's element budget): such an envelope is refused as
// malformed, and what the refusal allocates is a small multiple of the
// layer.
//
// Not parallel: it measures the process's allocations.
func TestReview37EnvelopeSignaturesBounded(t *testing.T) {
	img, err := v1.NewHash("sha256:" + strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	const size = 4 << 20
	for _, tc := range []struct {
		name string
		elem string
	}{
		{"empty signatures", "{},"},
		{"empty sig members", `{"sig":""},`},
		{"null signatures", "null,"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			content := []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"","signatures":[` +
				strings.Repeat(tc.elem, size/len(tc.elem)) + `{"sig":"MEUC"}]}`)
			layer := v1.Descriptor{MediaType: image.MediaTypeDSSE}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			lb, err := image.ConvertLegacy(layer, content, img)
			runtime.ReadMemStats(&after)
			var pe *image.LegacyPayloadError
			if !errors.As(err, &pe) || pe.Check != "json" || !errors.Is(err, image.ErrLegacyPayload) || lb != nil {
				t.Fatalf("err = %v, want a *LegacyPayloadError", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*uint64(len(content)) {
				t.Fatalf("%d MiB allocated for a %d MiB layer", alloc>>20, len(content)>>20)
			}
		})
	}
}
