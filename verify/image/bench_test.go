package image_test

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify/image"
)

// benchSetup pushes an image with one attestation to a referrers-capable
// in-process registry served over TLS (as real registries are; a plain-http
// name.Insecure registry costs ggcr an extra https probe per ping).
func benchSetup(b *testing.B) (tag name.Reference, img name.Digest, s ocitest.Signer, c *ocitest.Counter) {
	srv := httptest.NewTLSServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)),
		ggcrregistry.WithReferrersSupport(true)))
	b.Cleanup(srv.Close)
	// Like remote.DefaultTransport, keep enough idle connections for
	// parallel requests (net/http's default of 2 per host would make each
	// parallel request beyond 2 pay a new TLS handshake).
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 50
	c = &ocitest.Counter{Base: tr}
	tag, err := name.ParseReference(strings.TrimPrefix(srv.URL, "https://") + "/app:v1")
	if err != nil {
		b.Fatal(err)
	}
	im, err := random.Image(64, 1, random.WithSource(rngSource(1)))
	if err != nil {
		b.Fatal(err)
	}
	if err := remote.Write(tag, im, remote.WithTransport(c)); err != nil {
		b.Fatal(err)
	}
	d, _ := im.Digest()
	img = tag.Context().Digest(d.String())
	s = ocitest.NewSigner("alice")
	if _, err := attach.Bundle(b.Context(), img, s.Bundle(b, img.DigestStr()), attachOpts(c)...); err != nil {
		b.Fatal(err)
	}
	return tag, img, s, c
}

// BenchmarkVerifyImage: cold (a new Verifier per image, so the /v2/ ping,
// discovery and fetches all happen) and warm (a cached verdict; by tag the
// tag is still re-resolved).
func BenchmarkVerifyImage(b *testing.B) {
	tag, img, s, c := benchSetup(b)
	tv := newTestVerifier(s)
	b.Run("cold/by-tag", func(b *testing.B) {
		b.ReportAllocs()
		c.Reset()
		for b.Loop() {
			v, _ := image.NewVerifier(tv, opts(c)...)
			if res, err := v.VerifyImage(b.Context(), tag); err != nil || !res.Verified {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(c.N.Load())/float64(b.N), "reqs/op")
	})
	for _, warm := range []struct {
		name string
		ref  name.Reference
	}{{"warm/by-tag", tag}, {"warm/by-digest", img}} {
		b.Run(warm.name, func(b *testing.B) {
			b.ReportAllocs()
			v, _ := image.NewVerifier(tv, opts(c)...)
			if _, err := v.VerifyImage(b.Context(), warm.ref); err != nil {
				b.Fatal(err)
			}
			c.Reset()
			for b.Loop() {
				if res, err := v.VerifyImage(b.Context(), warm.ref); err != nil || !res.Verified {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c.N.Load())/float64(b.N), "reqs/op")
		})
	}
	// Peer: go-containerregistry's own calls for the same work minus the
	// checks (resolve, remote.Referrers with its silent tag fallback, the
	// artifact manifest, the bundle blob), with verification by the same
	// test verifier.
	b.Run("peer-ggcr-remote/by-tag", func(b *testing.B) {
		b.ReportAllocs()
		c.Reset()
		for b.Loop() {
			o := []remote.Option{remote.WithTransport(c), remote.WithContext(b.Context())}
			d, err := remote.Head(tag, o...)
			if err != nil {
				b.Fatal(err)
			}
			dg := tag.Context().Digest(d.Digest.String())
			idx, err := remote.Referrers(dg, o...)
			if err != nil {
				b.Fatal(err)
			}
			im, _ := idx.IndexManifest()
			for _, m := range im.Manifests {
				art, err := remote.Image(tag.Context().Digest(m.Digest.String()), o...)
				if err != nil {
					b.Fatal(err)
				}
				ls, _ := art.Layers()
				rc, err := ls[0].Compressed()
				if err != nil {
					b.Fatal(err)
				}
				bun, _ := io.ReadAll(rc)
				rc.Close()
				if _, err := tv.VerifyBundle(b.Context(), bun, d.Digest); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(c.N.Load())/float64(b.N), "reqs/op")
	})
}

// BenchmarkVerifyImages: 8 attested images cold, one at a time against
// VerifyImages with 4 in flight (same run, same registry).
func BenchmarkVerifyImages(b *testing.B) {
	tag, _, s, c := benchSetup(b)
	var refs []name.Reference
	for i := range 8 {
		im, err := random.Image(64, 1, random.WithSource(rngSource(int64(10+i))))
		if err != nil {
			b.Fatal(err)
		}
		ref := tag.Context().Tag("v" + string(rune('a'+i)))
		if err := remote.Write(ref, im, remote.WithTransport(c)); err != nil {
			b.Fatal(err)
		}
		d, _ := im.Digest()
		dg := ref.Context().Digest(d.String())
		if _, err := attach.Bundle(b.Context(), dg, s.Bundle(b, dg.DigestStr()), attachOpts(c)...); err != nil {
			b.Fatal(err)
		}
		refs = append(refs, ref)
	}
	tv := newTestVerifier(s)
	b.Run("sequential", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v, _ := image.NewVerifier(tv, opts(c)...)
			for _, r := range refs {
				if res, err := v.VerifyImage(b.Context(), r); err != nil || !res.Verified {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("parallel-4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v, _ := image.NewVerifier(tv, opts(c, image.WithParallelism(4))...)
			if _, err := v.VerifyImages(b.Context(), refs); err != nil {
				b.Fatal(err)
			}
		}
	})
}
