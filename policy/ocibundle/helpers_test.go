package ocibundle_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/ocibundle"
	"github.com/ztci/ztci/verify"
)

const (
	issuer    = "https://ci.example"
	publisher = "https://ci.example/acme/policies/publish.yml@refs/heads/main"
	stranger  = "https://ci.example/acme/other/build.yml@refs/heads/main"
	// predicate is the type of the publisher's statement about a bundle
	// manifest; the vendor chooses it.
	predicate = "https://example.com/policy-bundle/v1"

	allowAll = "package test\n\ndecision := {\"allow\": true, \"violations\": []}\n"
	denyAll  = "package test\n\ndecision := {\"allow\": false, \"violations\": [{\"rule\": \"test.deny\", \"message\": \"denied\"}]}\n"
)

// sigstore is a private Sigstore (ztci's embedded CA and TSA) and the
// trusted root that certifies it.
type sigstore struct {
	ca    *ca.CA
	tsa   *tsa.TSA
	trust root.TrustedMaterial
}

func newSigstore(t testing.TB, tsaOpts ...tsa.Option) *sigstore {
	t.Helper()
	c, err := ca.New(ca.WithSubjectDomain(issuer, issuer))
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New(tsaOpts...)
	if err != nil {
		t.Fatal(err)
	}
	rootJSON, err := json.Marshal(attest.NewTrustedRoot().AddEmbeddedCA("https://ca.ci.example", c).AddEmbeddedTSA("https://tsa.ci.example", a))
	if err != nil {
		t.Fatal(err)
	}
	trust, err := verify.ParseTrustedRoot(rootJSON)
	if err != nil {
		t.Fatal(err)
	}
	return &sigstore{c, a, trust}
}

// certSigner signs as the CI job whose certificate names san.
func (s *sigstore) certSigner(t testing.TB, san string) attest.Signer {
	t.Helper()
	sg, err := attest.NewCASigner(s.ca.IssuerFor(identity.Identity{Issuer: issuer, Subject: san}),
		attest.WithEmbeddedTimestampAuthority(s.tsa.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

// keySigner signs with key (a managed key), timestamped by the TSA.
func (s *sigstore) keySigner(t testing.TB, key crypto.Signer) attest.Signer {
	t.Helper()
	sg, err := attest.NewKeySigner(key, attest.WithEmbeddedTimestampAuthority(s.tsa.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

// source returns a Source for ref that expects signer, with test options
// (anonymous, fast retries, no transparency log) and extra.
func (s *sigstore) source(t testing.TB, ref name.Reference, signer verify.Signer, extra ...ocibundle.Option) *ocibundle.Source {
	t.Helper()
	src, err := ocibundle.New(ref, s.trust, verify.Expectation{Signer: signer, PredicateType: predicate}, testOpts(extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func testOpts(extra ...ocibundle.Option) []ocibundle.Option {
	return append([]ocibundle.Option{
		ocibundle.WithKeychain(authn.NewMultiKeychain()),
		ocibundle.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 2}),
		ocibundle.WithVerifyOptions(verify.WithTlogThreshold(0), verify.WithSCTThreshold(0)),
	}, extra...)
}

var publisherID = verify.Identity{SAN: publisher, Issuer: issuer}

// tarball builds an OPA bundle (.tar.gz) holding rego as policy.rego, a
// .manifest with revision rev when rev is set, and the extra files.
func tarball(t testing.TB, rego, rev string, extra map[string][]byte) []byte {
	t.Helper()
	files := map[string][]byte{"/policy.rego": []byte(rego)}
	if rev != "" {
		files["/.manifest"] = []byte(`{"revision":"` + rev + `"}`)
	}
	for p, b := range extra {
		files[p] = b
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for p, b := range files {
		if err := tw.WriteHeader(&tar.Header{Name: p, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// artifact is a bundle tarball in OPA's OCI layout: an OCI image manifest
// with an image config and the tarball as its one tar+gzip layer.
func artifact(t testing.TB, tgz []byte) v1.Image {
	t.Helper()
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(img, mutate.Addendum{Layer: static.NewLayer(tgz, types.OCILayer)})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// push writes img to ref and returns its digest and the digest of its one
// layer.
func push(t testing.TB, ref name.Reference, img v1.Image) (name.Digest, v1.Hash) {
	t.Helper()
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var ld v1.Hash
	if len(ls) > 0 {
		if ld, err = ls[0].Digest(); err != nil {
			t.Fatal(err)
		}
	}
	return ref.Context().Digest(d.String()), ld
}

// pushBundle pushes an OPA bundle of rego (revision rev) to ref.
func pushBundle(t testing.TB, ref name.Reference, rego, rev string) name.Digest {
	t.Helper()
	d, _ := push(t, ref, artifact(t, tarball(t, rego, rev, nil)))
	return d
}

// sign attaches to target a bundle in which s states something about
// about (usually target itself).
func sign(t testing.TB, s attest.Signer, target, about name.Digest) {
	t.Helper()
	ctx := context.Background()
	d, err := remote.Head(about)
	if err != nil {
		t.Fatal(err)
	}
	subject, err := attest.SubjectFromOCI(about.Context().Name(), attest.OCIDescriptor{MediaType: string(d.MediaType), Digest: d.Digest.String(), Size: d.Size})
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{subject}, attest.Custom(predicate, []byte(`{"purpose":"policy"}`)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(ctx, s, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := attach.Bundle(ctx, target, b, attach.WithKeychain(authn.NewMultiKeychain()),
		attach.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 2})); err != nil {
		t.Fatal(err)
	}
}

func newEngine(t testing.TB, src policy.Source, opts ...policy.Option) *policy.Engine {
	t.Helper()
	e, err := policy.New(t.Context(), src, append([]policy.Option{policy.WithQuery("data.test.decision")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}
