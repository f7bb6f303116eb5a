package attach_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/crane"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci"
	"github.com/ztci/ztci/internal/oci/ocitest"
)

// review38Bundle is a bundle of mediaType whose in-toto statement claims
// predicateType: enough for Bundle, which does not verify bundles.
func review38Bundle(t *testing.T, mediaType, predicateType string) []byte {
	t.Helper()
	st, err := json.Marshal(map[string]any{"_type": "https://in-toto.io/Statement/v1", "predicateType": predicateType})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{
		"mediaType": mediaType,
		"dsseEnvelope": map[string]any{
			"payloadType": "application/vnd.in-toto+json",
			"payload":     base64.StdEncoding.EncodeToString(st),
			"signatures":  []any{},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReview38BundleTextBounded: the bundle's mediaType and predicateType
// are copied into the artifact manifest and the referrers tag entry every
// verifier of the image reads. A bundle whose types are megabytes long
// (filling the referrers tag index past what any reader accepts, so every
// other attestation of the image is hidden) or carry control, format or
// space characters is refused with ErrConfig before any request; ordinary
// types still attach.
func TestReview38BundleTextBounded(t *testing.T) {
	t.Parallel()
	const mt = "application/vnd.dev.sigstore.bundle.v0.3+json"
	const slsa = "https://slsa.dev/provenance/v1"
	tests := []struct {
		name          string
		mediaType     string
		predicateType string
		wantErr       bool
	}{
		{name: "ordinary", mediaType: mt, predicateType: slsa},
		{name: "v0.1 with parameter", mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1", predicateType: slsa},
		{name: "no predicate type", mediaType: mt},
		{name: "huge predicate type", mediaType: mt, predicateType: "https://x/" + strings.Repeat("a", 3<<20), wantErr: true},
		{name: "predicate type over the limit", mediaType: mt, predicateType: "https://x/" + strings.Repeat("a", attach.MaxPredicateTypeLen), wantErr: true},
		{name: "predicate type with escape", mediaType: mt, predicateType: slsa + "\x1b[2J", wantErr: true},
		{name: "predicate type with newline", mediaType: mt, predicateType: slsa + "\nforged: yes", wantErr: true},
		{name: "predicate type with bidi override", mediaType: mt, predicateType: slsa + "\u202e", wantErr: true},
		{name: "predicate type with space", mediaType: mt, predicateType: slsa + " x", wantErr: true},
		{name: "predicate type with JSON-escaped characters", mediaType: mt, predicateType: "https://x/" + strings.Repeat("<", 200), wantErr: true},
		{name: "media type with JSON-escaped characters", mediaType: mt + `;x="` + strings.Repeat("&", 100) + `"`, predicateType: slsa, wantErr: true},
		{name: "huge media type parameter", mediaType: mt + ";x=" + strings.Repeat("a", 3<<20), predicateType: slsa, wantErr: true},
		{name: "media type with escape", mediaType: mt + "\x1b[2J", predicateType: slsa, wantErr: true},
		{name: "media type not well formed", mediaType: mt + "; =", predicateType: slsa, wantErr: true},
		{name: "media type not ASCII", mediaType: mt + ";x=\u00e9", predicateType: slsa, wantErr: true},
	}
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, nil)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			img := ocitest.PushImage(t, reg.Ref(t, fmt.Sprintf("app:v%d", i)), int64(i+1))
			c := ocitest.NewCounter()
			_, err := attach.Bundle(t.Context(), img, review38Bundle(t, tt.mediaType, tt.predicateType), opts(c)...)
			if !tt.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, attach.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
			if n := c.N.Load(); n != 0 {
				t.Errorf("%d requests before refusing the bundle", n)
			}
			if len(err.Error()) > 1024 {
				t.Errorf("error is %d bytes", len(err.Error()))
			}
		})
	}
}

// TestReview38HugeTypeCannotHideOthers: a job whose bundle claims a
// predicateType of megabytes, attached twice to an image on a registry
// without the referrers API, is refused, and the next job's attestation of
// that image is still attached and listed in the referrers tag (before,
// the two entries pushed the tag index past the manifest limit, and every
// later attach, and every verifier's read, failed).
func TestReview38HugeTypeCannotHideOthers(t *testing.T) {
	t.Parallel()
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	for i := range 2 {
		huge := review38Bundle(t, "application/vnd.dev.sigstore.bundle.v0.3+json", fmt.Sprintf("https://x/%d/%s", i, strings.Repeat("a", 2<<20+512<<10)))
		if _, err := attach.Bundle(t.Context(), img, huge, opts(nil)...); !errors.Is(err, attach.ErrConfig) {
			t.Errorf("huge bundle %d: err = %v, want ErrConfig", i, err)
		}
	}
	att, err := attach.Bundle(t.Context(), img, ocitest.NewSigner("alice").Bundle(t, img.DigestStr()), opts(nil)...)
	if err != nil {
		t.Fatalf("the next job's attestation: %v", err)
	}
	if att.Path != attach.PathReferrersTag {
		t.Fatalf("path %v, want the referrers tag", att.Path)
	}
}

// TestReview38LargestEntryFitsIndex: the largest referrers tag entry Bundle
// writes (a bundle whose mediaType and predicateType are at their limits)
// is under MaxManifestSize / MaxReferrerEntries bytes, so an index full by
// count is still under the manifest size limit every reader takes.
func TestReview38LargestEntryFitsIndex(t *testing.T) {
	t.Parallel()
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	mt := "application/vnd.dev.sigstore.bundle.v0.3+json;x="
	mt += strings.Repeat("a", attach.MaxMediaTypeLen-len(mt))
	pt := "https://x/"
	pt += strings.Repeat("\u00e9", (attach.MaxPredicateTypeLen-len(pt))/2)
	if _, err := attach.Bundle(t.Context(), img, review38Bundle(t, mt, pt), opts(nil)...); err != nil {
		t.Fatal(err)
	}
	raw, err := crane.Manifest(img.Context().Tag("sha256-" + ocitest.HexOf(img)).String())
	if err != nil {
		t.Fatal(err)
	}
	var ix struct {
		Manifests []json.RawMessage `json:"manifests"`
	}
	if err := json.Unmarshal(raw, &ix); err != nil || len(ix.Manifests) != 1 {
		t.Fatalf("index %s: %v", raw, err)
	}
	if limit := oci.MaxManifestSize/oci.MaxReferrerEntries - 24; len(ix.Manifests[0]) > limit {
		t.Fatalf("entry is %d bytes, over %d: %s", len(ix.Manifests[0]), limit, ix.Manifests[0])
	}
}
