package registry_test

import (
	"context"
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
	"github.com/sigstore/sigstore-go/pkg/testing/ca"

	"github.com/ztci/ztci/registry"
	"github.com/ztci/ztci/verify"
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

// A deploy gate: sign the image in CI, attach the bundle, and let only
// images signed by the release workflow through.
func Example() {
	ctx := context.Background()
	tag, stop := exampleRegistry(true)
	defer stop()
	anonymous := registry.WithKeychain(authn.NewMultiKeychain())

	// CI: resolve, sign (here with sigstore-go's in-memory CA and TSA), attach.
	d, err := remote.Head(tag)
	if err != nil {
		panic(err)
	}
	image := tag.Context().Digest(d.Digest.String())
	vs, _ := ca.NewVirtualSigstore()
	bundle, err := signBundle(vs, "release@ci.example", image)
	if err != nil {
		panic(err)
	}
	att, err := registry.Attach(ctx, tag, bundle, anonymous)
	if err != nil {
		panic(err)
	}
	fmt.Println("attached via", att.Path)

	// Gate: who must have signed what.
	release, err := verify.New(vs, verify.Expectation{
		Signer:        verify.Identity{SAN: "release@ci.example", Issuer: testIssuer},
		PredicateType: testPredicate,
	}, verify.WithTlogThreshold(0), verify.WithSCTThreshold(0))
	if err != nil {
		panic(err)
	}
	bundles, _ := registry.VerifyBundles(release)
	gate, err := registry.NewVerifier(bundles, anonymous)
	if err != nil {
		panic(err)
	}
	res, err := gate.VerifyImage(ctx, tag)
	if err != nil {
		panic(err) // could not decide: deny
	}
	fmt.Println("verified:", res.Verified, "via", res.Targets[0].Path)
	fmt.Println("signer:", res.Targets[0].Signers[0])
	fmt.Println("deploy by digest:", res.Digest == image)
	// Output:
	// attached via referrers-api
	// verified: true via referrers-api
	// signer: https://ci.example/oidc release@ci.example
	// deploy by digest: true
}

// On a registry without the referrers API, Attach maintains the
// "sha256-<hex>" tag schema and the Verifier says it read it.
func ExampleAttach_tagSchema() {
	ctx := context.Background()
	tag, stop := exampleRegistry(false)
	defer stop()
	anonymous := registry.WithKeychain(authn.NewMultiKeychain())

	d, _ := remote.Head(tag)
	image := tag.Context().Digest(d.Digest.String())
	vs, _ := ca.NewVirtualSigstore()
	bundle, _ := signBundle(vs, "release@ci.example", image)
	att, err := registry.Attach(ctx, image, bundle, anonymous)
	if err != nil {
		panic(err)
	}
	fmt.Println("attached via", att.Path)

	// Who can attest without a trusted identity? Nobody: this gate trusts
	// another signer, so the image is denied, as a decision.
	other, _ := verify.New(vs, verify.Expectation{
		Signer:        verify.Identity{SAN: "someone-else@ci.example", Issuer: testIssuer},
		PredicateType: testPredicate,
	}, verify.WithTlogThreshold(0), verify.WithSCTThreshold(0))
	bundles, _ := registry.VerifyBundles(other)
	gate, _ := registry.NewVerifier(bundles, anonymous)
	res, err := gate.VerifyImage(ctx, image)
	if err != nil {
		panic(err)
	}
	fmt.Println("verified:", res.Verified, "via", res.Targets[0].Path)
	fmt.Println(len(res.Targets[0].Attestations), "attestation rejected:", res.Targets[0].Attestations[0].Err != nil)
	// Output:
	// attached via referrers-tag
	// verified: false via referrers-tag
	// 1 attestation rejected: true
}

// k-of-n: two distinct trusted signers required.
func ExampleWithThreshold() {
	ctx := context.Background()
	tag, stop := exampleRegistry(true)
	defer stop()
	anonymous := registry.WithKeychain(authn.NewMultiKeychain())

	d, _ := remote.Head(tag)
	image := tag.Context().Digest(d.Digest.String())
	vs, _ := ca.NewVirtualSigstore()
	var trusted []*verify.Verifier
	for _, who := range []string{"builder@ci.example", "reviewer@ci.example"} {
		b, _ := signBundle(vs, who, image)
		if _, err := registry.Attach(ctx, image, b, anonymous); err != nil {
			panic(err)
		}
		v, _ := verify.New(vs, verify.Expectation{
			Signer:        verify.Identity{SAN: who, Issuer: testIssuer},
			PredicateType: testPredicate,
		}, verify.WithTlogThreshold(0), verify.WithSCTThreshold(0))
		trusted = append(trusted, v)
	}
	bundles, _ := registry.VerifyBundles(trusted...)
	for _, k := range []int{2, 3} {
		gate, _ := registry.NewVerifier(bundles, anonymous, registry.WithThreshold(k))
		res, err := gate.VerifyImage(ctx, tag)
		if err != nil {
			panic(err)
		}
		fmt.Printf("k=%d: verified=%v (%d distinct signers)\n", k, res.Verified, len(res.Targets[0].Signers))
	}
	// Output:
	// k=2: verified=true (2 distinct signers)
	// k=3: verified=false (2 distinct signers)
}
