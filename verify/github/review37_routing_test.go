package github_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/github"
)

// TestReview37RoutingReadIsBounded: Verify reads the bundle's signing
// certificate to choose the instance before verify's own (bounded) parse.
// That read decoded the whole x509CertificateChain.certificates list into
// a slice, so a bundle of `[{},{},…]` (up to the 32 MiB Verify accepts)
// made encoding/json allocate about fifty times its size (1.5 GiB) before
// the refusal. The routing read now weighs the bundle's arrays first, as
// verify does: such a bundle is refused as malformed for a small multiple
// of its size.
//
// Not parallel: it measures the process's allocations.
func TestReview37RoutingReadIsBounded(t *testing.T) {
	v, err := github.New(github.Policy{Repo: "sigstore/sigstore-js"})
	if err != nil {
		t.Fatal(err)
	}
	const size = 4 << 20
	for _, tc := range []struct {
		name string
		path [2]string // the bundle around the list
		elem string
	}{
		{"empty certificates", [2]string{`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"x509CertificateChain":{"certificates":[`, `]}}}`}, "{},"},
		{"null certificates", [2]string{`{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.2","verificationMaterial":{"x509CertificateChain":{"certificates":[`, `]}}}`}, "null,"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.path[0] + strings.Repeat(tc.elem, size/len(tc.elem)) + `{}` + tc.path[1])
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			res, err := v.Verify(t.Context(), in, verify.ArtifactBytes([]byte("artifact")))
			runtime.ReadMemStats(&after)
			if !errors.Is(err, verify.ErrMalformedBundle) || res != nil {
				t.Fatalf("%v, want ErrMalformedBundle", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*uint64(len(in)) {
				t.Fatalf("%d MiB allocated for a %d MiB bundle", alloc>>20, len(in)>>20)
			}
		})
	}
}
