package attach_test

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
	"github.com/ztci/ztci/audit/audittest"
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

// CI signs a statement about the image it pushed (attest) and attaches the
// bundle to the image by tag: the tag is resolved once, and the attestation
// names the digest it resolved to.
func Example() {
	ctx := context.Background()
	tag, stop := exampleRegistry(true)
	defer stop()
	ps := newPrivateSigstore()

	d, err := remote.Head(tag)
	if err != nil {
		panic(err)
	}
	pushed := tag.Context().Digest(d.Digest.String())
	att, err := attach.Bundle(ctx, tag, ps.sign(ctx, "https://ci.example/release", pushed),
		attach.WithKeychain(authn.NewMultiKeychain()))
	if err != nil {
		panic(err)
	}
	fmt.Println("attached via", att.Path)
	fmt.Println("subject is the pushed digest:", att.Subject == pushed)
	fmt.Println("artifact in the same repository:", att.Artifact.Context() == tag.Context())

	// A bundle that is not a Sigstore bundle is refused before any request.
	_, err = attach.Bundle(ctx, tag, []byte(`{"hello":"world"}`))
	fmt.Println("not a bundle:", errors.Is(err, attach.ErrConfig))
	// Output:
	// attached via referrers-api
	// subject is the pushed digest: true
	// artifact in the same repository: true
	// not a bundle: true
}

// On a registry without the referrers API, Bundle maintains the
// "sha256-<hex>" tag schema and the Verifier of verify/image says it read it.
func ExampleBundle_tagSchema() {
	ctx := context.Background()
	tag, stop := exampleRegistry(false)
	defer stop()
	ps := newPrivateSigstore()

	d, err := remote.Head(tag)
	if err != nil {
		panic(err)
	}
	img := tag.Context().Digest(d.Digest.String())
	att, err := attach.Bundle(ctx, img, ps.sign(ctx, "https://ci.example/nightly", img), attach.WithKeychain(authn.NewMultiKeychain()))
	if err != nil {
		panic(err)
	}
	fmt.Println("attached via", att.Path)

	// The gate trusts only the release job: the nightly's attestation is
	// rejected, and the image is denied as a decision, not an error.
	bundles, err := image.VerifyBundles(ps.expect("https://ci.example/release"))
	if err != nil {
		panic(err)
	}
	gate, err := image.NewVerifier(bundles, image.WithKeychain(authn.NewMultiKeychain()))
	if err != nil {
		panic(err)
	}
	res, err := gate.VerifyImage(ctx, img)
	if err != nil {
		panic(err)
	}
	fmt.Println("verified:", res.Verified, "via", res.Targets[0].Path)
	fmt.Println("rejected as identity mismatch:", errors.Is(res.Targets[0].Attestations[0].Err, verify.ErrIdentityMismatch))
	// Output:
	// attached via referrers-tag
	// verified: false via referrers-tag
	// rejected as identity mismatch: true
}

// Every attach is audited: what was attached, to which digest, as which
// artifact, listed how. A sink that refuses the event fails the attach.
func ExampleWithAudit() {
	ctx := context.Background()
	tag, stop := exampleRegistry(true)
	defer stop()
	ps := newPrivateSigstore()
	d, _ := remote.Head(tag)
	img := tag.Context().Digest(d.Digest.String())

	rec := audittest.NewRecorder()
	att, err := attach.Bundle(ctx, tag, ps.sign(ctx, "https://ci.example/release", img),
		attach.WithKeychain(authn.NewMultiKeychain()), attach.WithAudit(rec, "spiffe://ci.example/attacher"))
	if err != nil {
		panic(err)
	}
	ev := rec.Events()[0]
	fmt.Println(ev.Action, ev.Outcome, ev.Actor.ID)
	fmt.Println("subject:", ev.Attributes["subject"] == img.DigestStr(), "artifact:", ev.Attributes["artifact"] == att.Artifact.DigestStr(), "path:", ev.Attributes["path"])

	rec.Fail(errors.New("audit log unreachable"))
	_, err = attach.Bundle(ctx, tag, ps.sign(ctx, "https://ci.example/release", img),
		attach.WithKeychain(authn.NewMultiKeychain()), attach.WithAudit(rec, "spiffe://ci.example/attacher"))
	fmt.Println("unaudited:", errors.Is(err, attach.ErrUnaudited))
	// Output:
	// attest.attach success spiffe://ci.example/attacher
	// subject: true artifact: true path: referrers-api
	// unaudited: true
}
