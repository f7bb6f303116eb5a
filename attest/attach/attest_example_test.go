package attach_test

import (
	"context"
	"fmt"
	"math/rand"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/verify/image"
)

// A job attests the image it built and pushed: Attest signs one statement
// per predicate about that image's manifest and attaches each bundle to it,
// without reading the tag back.
func ExampleAttest() {
	ctx := context.Background()
	tag, stop := exampleRegistry(true)
	defer stop()
	ps := newPrivateSigstore()

	built, err := random.Image(64, 1, random.WithSource(rand.NewSource(2)))
	if err != nil {
		panic(err)
	}
	if err := remote.Write(tag, built, remote.WithContext(ctx)); err != nil {
		panic(err)
	}
	signer, err := attest.NewCASigner(ps.ca.IssuerFor(identity.Identity{Issuer: "https://ci.example", Subject: "https://ci.example/release"}),
		attest.WithEmbeddedTimestampAuthority(ps.tsa.Handler()))
	if err != nil {
		panic(err)
	}
	atts, err := attach.Attest(ctx, tag.Context(), built, signer,
		[]attest.Predicate{attest.Custom(examplePredicate, []byte(`{"passed":true}`))},
		attach.WithKeychain(authn.NewMultiKeychain()))
	if err != nil {
		panic(err)
	}
	d, err := built.Digest()
	if err != nil {
		panic(err)
	}
	fmt.Println("attached to the built digest:", atts[0].Subject.DigestStr() == d.String())

	bundles, err := image.VerifyBundles(ps.expect("https://ci.example/release"))
	if err != nil {
		panic(err)
	}
	gate, err := image.NewVerifier(bundles, image.WithKeychain(authn.NewMultiKeychain()))
	if err != nil {
		panic(err)
	}
	res, err := gate.VerifyImage(ctx, tag)
	if err != nil {
		panic(err)
	}
	fmt.Println("verified by tag:", res.Verified)
	// Output:
	// attached to the built digest: true
	// verified by tag: true
}
