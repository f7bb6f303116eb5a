package image_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand"
	"net/http/httptest"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// exampleRegistry starts go-containerregistry's in-process registry and
// pushes an image to it; it returns the image's tag.
func exampleRegistry(referrers bool) (name.Reference, func()) {
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)),
		ggcrregistry.WithReferrersSupport(referrers)))
	tag, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://")+"/app:v1", name.Insecure)
	if err != nil {
		panic(err)
	}
	img, err := random.Image(64, 1, random.WithSource(rand.NewSource(1)))
	if err != nil {
		panic(err)
	}
	if err := remote.Write(tag, img); err != nil {
		panic(err)
	}
	return tag, srv.Close
}

// A deploy gate built from ztci's parts: CI signs a statement about the
// pushed image with the embedded CA and TSA (attest), attaches the bundle
// (attest/attach), and the gate lets through only images the release workflow
// attested, checked offline against the exported trusted root (verify).
func Example() {
	ctx := context.Background()
	tag, stop := exampleRegistry(true)
	defer stop()
	anonymous := image.WithKeychain(authn.NewMultiKeychain())
	anonymousPush := attach.WithKeychain(authn.NewMultiKeychain())

	// CI: the private Sigstore (CA + TSA) and the workload's identity.
	authority, err := ca.New(ca.WithSubjectDomain("https://ci.example", "https://ci.example"))
	if err != nil {
		panic(err)
	}
	timestamps, err := tsa.New()
	if err != nil {
		panic(err)
	}
	releaseJob := identity.Identity{Issuer: "https://ci.example", Subject: "https://ci.example/org/app/release.yml@refs/heads/main"}
	signer, err := attest.NewCASigner(authority.IssuerFor(releaseJob), attest.WithEmbeddedTimestampAuthority(timestamps.Handler()))
	if err != nil {
		panic(err)
	}

	// CI: resolve the tag once, state what was built, sign, attach.
	d, err := remote.Head(tag)
	if err != nil {
		panic(err)
	}
	subject, _ := attest.SubjectFromOCI(tag.Context().Name(), attest.OCIDescriptor{MediaType: string(d.MediaType), Digest: d.Digest.String(), Size: d.Size})
	statement, _ := attest.NewStatement([]attest.ResourceDescriptor{subject}, attest.Custom("https://example.com/tests/v1", []byte(`{"passed":true}`)))
	bundle, err := attest.Sign(ctx, signer, statement)
	if err != nil {
		panic(err)
	}
	att, err := attach.Bundle(ctx, tag, bundle, anonymousPush)
	if err != nil {
		panic(err)
	}
	fmt.Println("attached via", att.Path)

	// Gate: trust this CA and TSA; require the release job's signature.
	rootJSON, err := json.Marshal(attest.NewTrustedRoot().AddEmbeddedCA("https://ca.ci.example", authority).AddEmbeddedTSA("https://tsa.ci.example", timestamps))
	if err != nil {
		panic(err)
	}
	trust, err := verify.ParseTrustedRoot(rootJSON)
	if err != nil {
		panic(err)
	}
	release, err := verify.New(trust, verify.Expectation{
		Signer:        verify.Identity{SAN: releaseJob.Subject, Issuer: releaseJob.Issuer},
		PredicateType: "https://example.com/tests/v1",
	}, verify.WithTlogThreshold(0), verify.WithSCTThreshold(0)) // private CA: no Rekor, no CT log; keep the defaults for Fulcio or public-good
	if err != nil {
		panic(err)
	}
	bundles, err := image.VerifyBundles(release)
	if err != nil {
		panic(err)
	}
	gate, err := image.NewVerifier(bundles, anonymous)
	if err != nil {
		panic(err)
	}
	res, err := gate.VerifyImage(ctx, tag)
	if err != nil {
		panic(err) // could not decide: deny
	}
	fmt.Println("verified:", res.Verified, "via", res.Targets[0].Path)
	fmt.Println("signer:", res.Targets[0].Signers[0])
	fmt.Println("deploy by digest:", res.Digest.DigestStr() == d.Digest.String())
	// Output:
	// attached via referrers-api
	// verified: true via referrers-api
	// signer: https://ci.example https://ci.example/org/app/release.yml@refs/heads/main
	// deploy by digest: true
}

// privateSigstore is an embedded CA and TSA with their trusted root.
type privateSigstore struct {
	ca    *ca.CA
	tsa   *tsa.TSA
	trust root.TrustedMaterial
}

func newPrivateSigstore() privateSigstore {
	c, _ := ca.New(ca.WithSubjectDomain("https://ci.example", "https://ci.example"))
	a, _ := tsa.New()
	rootJSON, _ := json.Marshal(attest.NewTrustedRoot().AddEmbeddedCA("https://ca.ci.example", c).AddEmbeddedTSA("https://tsa.ci.example", a))
	trust, err := verify.ParseTrustedRoot(rootJSON)
	if err != nil {
		panic(err)
	}
	return privateSigstore{c, a, trust}
}

const examplePredicate = "https://example.com/tests/v1"

// sign returns a bundle in which job states that img passed its tests.
func (p privateSigstore) sign(ctx context.Context, job string, img name.Digest) []byte {
	d, err := remote.Head(img)
	if err != nil {
		panic(err)
	}
	subject, _ := attest.SubjectFromOCI(img.Context().Name(), attest.OCIDescriptor{MediaType: string(d.MediaType), Digest: d.Digest.String(), Size: d.Size})
	st, _ := attest.NewStatement([]attest.ResourceDescriptor{subject}, attest.Custom(examplePredicate, []byte(`{"passed":true}`)))
	s, _ := attest.NewCASigner(p.ca.IssuerFor(identity.Identity{Issuer: "https://ci.example", Subject: job}), attest.WithEmbeddedTimestampAuthority(p.tsa.Handler()))
	b, err := attest.Sign(ctx, s, st)
	if err != nil {
		panic(err)
	}
	return b
}

// expect returns a verify.Verifier that requires job's signature.
func (p privateSigstore) expect(job string) *verify.Verifier {
	v, err := verify.New(p.trust, verify.Expectation{
		Signer:        verify.Identity{SAN: job, Issuer: "https://ci.example"},
		PredicateType: examplePredicate,
	}, verify.WithTlogThreshold(0), verify.WithSCTThreshold(0)) // the example's private CA + TSA log nowhere; keep the defaults for Fulcio or public-good
	if err != nil {
		panic(err)
	}
	return v
}

// k-of-n: two distinct trusted signers required (Verifier.Threshold says
// how many a verifier requires).
func ExampleWithThreshold() {
	ctx := context.Background()
	tag, stop := exampleRegistry(true)
	defer stop()
	anonymous := image.WithKeychain(authn.NewMultiKeychain())
	anonymousPush := attach.WithKeychain(authn.NewMultiKeychain())
	ps := newPrivateSigstore()

	d, err := remote.Head(tag)
	if err != nil {
		panic(err)
	}
	img := tag.Context().Digest(d.Digest.String())
	var trusted []*verify.Verifier
	for _, job := range []string{"https://ci.example/build", "https://ci.example/security-review"} {
		if _, err := attach.Bundle(ctx, img, ps.sign(ctx, job, img), anonymousPush); err != nil {
			panic(err)
		}
		trusted = append(trusted, ps.expect(job))
	}
	bundles, err := image.VerifyBundles(trusted...)
	if err != nil {
		panic(err)
	}
	for _, k := range []int{2, 3} {
		gate, err := image.NewVerifier(bundles, anonymous, image.WithThreshold(k))
		if err != nil {
			panic(err) // a threshold the verifier refused must not fall back to any other
		}
		res, err := gate.VerifyImage(ctx, tag)
		if err != nil {
			panic(err)
		}
		fmt.Printf("k=%d: verified=%v (%d distinct signers)\n", gate.Threshold(), res.Verified, len(res.Targets[0].Signers))
	}
	// Output:
	// k=2: verified=true (2 distinct signers)
	// k=3: verified=false (2 distinct signers)
}

// Verify a release's images at once, at most two in flight.
func ExampleVerifier_VerifyImages() {
	ctx := context.Background()
	tag, stop := exampleRegistry(true)
	defer stop()
	anonymous := image.WithKeychain(authn.NewMultiKeychain())
	anonymousPush := attach.WithKeychain(authn.NewMultiKeychain())
	ps := newPrivateSigstore()

	// app:v1 is attested by the release job, app:v2 is not.
	v2 := tag.Context().Tag("v2")
	img, _ := random.Image(64, 1, random.WithSource(rand.NewSource(2)))
	if err := remote.Write(v2, img); err != nil {
		panic(err)
	}
	d, _ := remote.Head(tag)
	v1digest := tag.Context().Digest(d.Digest.String())
	if _, err := attach.Bundle(ctx, v1digest, ps.sign(ctx, "https://ci.example/release", v1digest), anonymousPush); err != nil {
		panic(err)
	}
	bundles, err := image.VerifyBundles(ps.expect("https://ci.example/release"))
	if err != nil {
		panic(err)
	}
	gate, err := image.NewVerifier(bundles, anonymous, image.WithParallelism(2))
	if err != nil {
		panic(err)
	}
	results, err := gate.VerifyImages(ctx, []name.Reference{tag, v2, tag.Context().Tag("missing")})
	for i, r := range results {
		if r == nil {
			fmt.Printf("image %d: no decision\n", i)
			continue
		}
		fmt.Printf("image %d: verified=%v\n", i, r.Verified)
	}
	fmt.Println("missing tag not found:", errors.Is(err, image.ErrNotFound))
	// Output:
	// image 0: verified=true
	// image 1: verified=false
	// image 2: no decision
	// missing tag not found: true
}
