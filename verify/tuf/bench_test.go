package tuf_test

import (
	"testing"
	"time"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/tuf"
)

// BenchmarkVerify compares, in one run, verifying the conformance bundle
// happy-path-intoto-in-dsse-v3 with a Verifier built from the public-good
// root served through a TUF repository (taken from a Live on every call, as
// a gate would) and with one built from the same root loaded statically.
// The TUF path must add no request: the benchmark fails if the repository
// sees one during the loop.
func BenchmarkVerify(b *testing.B) {
	bundle, art := conformanceInputs(b)

	b.Run("static", func(b *testing.B) {
		tm, err := verify.PublicGood()
		if err != nil {
			b.Fatal(err)
		}
		trust, err := verify.NewTrust(tm)
		if err != nil {
			b.Fatal(err)
		}
		v, err := newConformanceVerifier(&tuf.Root{Material: trust})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(b.Context(), bundle, art); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("tuf-live", func(b *testing.B) {
		repo := newTestRepo(b, time.Now(), verify.PublicGoodJSON())
		srv := repo.serve(b)
		c, err := tuf.Open(b.Context(), srv.URL, repo.anchor, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		live, err := tuf.NewLive(c, newConformanceVerifier)
		if err != nil {
			b.Fatal(err)
		}
		n := repo.requestCount()
		b.ReportAllocs()
		for b.Loop() {
			v, err := live.Get()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := v.Verify(b.Context(), bundle, art); err != nil {
				b.Fatal(err)
			}
		}
		if got := repo.requestCount(); got != n {
			b.Fatalf("the verify path made %d requests", got-n)
		}
	})
}

// BenchmarkLiveGet is the cost the TUF path adds per verification.
func BenchmarkLiveGet(b *testing.B) {
	repo := newTestRepo(b, time.Now(), verify.PublicGoodJSON())
	srv := repo.serve(b)
	c, err := tuf.Open(b.Context(), srv.URL, repo.anchor, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	live, err := tuf.NewLive(c, newConformanceVerifier)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := live.Get(); err != nil {
			b.Fatal(err)
		}
	}
}
