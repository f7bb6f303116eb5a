package ocibundle_test

import (
	"testing"

	"github.com/ztci/ztci/internal/oci/ocitest"
)

// BenchmarkLoad: a reload that finds the tag unchanged (one manifest GET,
// a copy of the verified bundle) beside a first Load by a new Source (auth
// ping, manifest, referrers, signature manifest and blob, Sigstore
// verification, layer, bundle parse), on the in-process registry.
func BenchmarkLoad(b *testing.B) {
	ss := newSigstore(b)
	reg := ocitest.Start(b, ocitest.GGCRReferrers, nil)
	tag := reg.Ref(b, "policies:bench")
	d := pushBundle(b, tag, allowAll, "b1")
	sign(b, ss.certSigner(b, publisher), d, d)

	b.Run("unchanged", func(b *testing.B) {
		src := ss.source(b, tag, publisherID)
		if _, err := src.Load(b.Context()); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := src.Load(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("first", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ss.source(b, tag, publisherID).Load(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
