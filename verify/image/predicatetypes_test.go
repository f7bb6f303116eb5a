package image_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify/image"
)

// WithPredicateTypes fetches only the artifacts annotated with a wanted
// predicate type, by either discovery path; the others cost no request.
func TestWithPredicateTypes(t *testing.T) {
	t.Parallel()
	for _, kind := range []ocitest.Kind{ocitest.GGCRReferrers, ocitest.GGCRNoReferrers} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			alice := ocitest.NewSigner("alice")
			reg := ocitest.Start(t, kind, nil)
			img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
			if _, err := attach.Bundle(t.Context(), img, alice.Bundle(t, img.DigestStr()), attachOpts(nil)...); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name     string
				types    []string
				verified int
				ignored  int
			}{
				{"wanted", []string{"https://example.com/other", ocitest.ProvenanceType}, 1, 0},
				{"not wanted", []string{"https://slsa.dev/verification_summary/v1"}, 0, 1},
			}
			for _, tt := range tests {
				c := ocitest.NewCounter()
				v, err := image.NewVerifier(newTestVerifier(alice), opts(c, image.WithPredicateTypes(tt.types...))...)
				if err != nil {
					t.Fatal(err)
				}
				res, err := v.VerifyImage(t.Context(), img)
				if err != nil && !errors.Is(err, image.ErrNotVerified) {
					t.Fatal(err)
				}
				tg := res.Targets[0]
				if len(tg.Attestations) != tt.verified || tg.Ignored != tt.ignored {
					t.Fatalf("%s: %d attestations, %d ignored; want %d, %d", tt.name, len(tg.Attestations), tg.Ignored, tt.verified, tt.ignored)
				}
				fetched := slices.ContainsFunc(c.Reset(), func(r string) bool { return strings.Contains(r, "/blobs/") })
				if fetched != (tt.verified > 0) {
					t.Fatalf("%s: bundle blob fetched = %v", tt.name, fetched)
				}
			}
		})
	}
	if _, err := image.NewVerifier(newTestVerifier(), image.WithPredicateTypes()); !errors.Is(err, image.ErrConfig) {
		t.Fatalf("no types: %v", err)
	}
}
