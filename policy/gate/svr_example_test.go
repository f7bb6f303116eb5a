package gate_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/svr"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/compliance"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// A gate records each image decision as a signed Simple Verification
// Result attached to the image; a consumer finds it among the image's
// referrers, verifies it as the gate's, and checks it is about the image
// it is about to run, by the gate it trusts, fresh and an allow
// (svr.Expect) before it reads which properties passed.
func ExampleWithSVR() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lab, err := gatetest.Start(ctx)
	if err != nil {
		panic(err)
	}
	defer lab.Close()
	sink := audit.SinkFunc(func(context.Context, audit.Event) error { return nil })

	// The gate signs its results with its own key, timestamped by its TSA,
	// and lists the built-in catalog's controls each decision passed.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	ts, err := tsa.New()
	if err != nil {
		panic(err)
	}
	signer, err := attest.NewKeySigner(key, attest.WithEmbeddedTimestampAuthority(ts.Handler()))
	if err != nil {
		panic(err)
	}
	controls, err := compliance.Builtin()
	if err != nil {
		panic(err)
	}
	const staging = "https://gates.example/staging"
	g, err := lab.Gate(ctx, sink, gate.WithSVR(gate.SVRIssuer{VerifierID: staging, Signer: signer,
		Attacher: gate.RegistryAttacher(), PolicyURI: "https://gates.example/policy/deploy", Controls: controls}))
	if err != nil {
		panic(err)
	}
	job := gatetest.Job{Ref: "refs/heads/main", Protected: true}
	img, err := lab.Publish(ctx, job, "v1")
	if err != nil {
		panic(err)
	}
	tok, err := lab.Token(ctx, job)
	if err != nil {
		panic(err)
	}
	d, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: img.Image})
	if err != nil {
		panic(err)
	}
	fmt.Println("gate:", d.Outcome, "issued an SVR:", d.IssuedSVR != nil)

	// A consumer accepts the gate's key, and only SVR statements.
	trJSON, err := attest.NewTrustedRoot().AddEmbeddedTSA("https://tsa.gates.example", ts).MarshalJSON()
	if err != nil {
		panic(err)
	}
	trust, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		panic(err)
	}
	v, err := verify.New(trust, verify.Expectation{Signer: verify.PublicKey{Key: key.Public()}, PredicateType: svr.PredicateType},
		verify.WithTlogThreshold(0), verify.WithSignedTimestampThreshold(1)) // the gate's key logs nowhere: its TSA proves the time
	if err != nil {
		panic(err)
	}
	iv, err := image.NewVerifier(image.BundleVerifierFunc(func(ctx context.Context, bundle []byte, artifact v1.Hash) (image.BundleResult, error) {
		a, err := verify.ArtifactDigest(artifact.Algorithm, artifact.Hex)
		if err != nil {
			return image.BundleResult{}, err
		}
		r, err := v.Verify(ctx, bundle, a)
		if err != nil {
			return image.BundleResult{}, err
		}
		return image.BundleResult{Signer: staging, PredicateType: svr.PredicateType, Result: r}, nil
	}), image.WithPredicateTypes(svr.PredicateType))
	if err != nil {
		panic(err)
	}
	pinned, err := name.NewDigest(img.Name + "@" + d.Digest)
	if err != nil {
		panic(err)
	}
	res, err := iv.VerifyImage(ctx, pinned)
	if err != nil || !res.Verified {
		panic(fmt.Sprint("no verified SVR: ", err))
	}
	// It relies on the image only when, for every manifest verified, one
	// verified result is what it expects: about that manifest, in this
	// repository, by the gate it trusts (whose key verified the bundle
	// above: one verifier, pinned to one gate, per Expect), at most 15
	// minutes old and not from the future, an allow, by the revision it
	// accepts. Any error means: verify the image itself, or refuse.
	want := svr.Expect{Repository: pinned.Context().Name(), VerifierID: staging, MaxAge: 15 * time.Minute,
		PolicyRevisions: []string{d.PolicyRevision}}
	check := func(want svr.Expect) (*svr.Result, error) {
		var r *svr.Result
		for _, t := range res.Targets {
			want.Subject = attest.Digest{Algorithm: t.Digest.Algorithm, Value: t.Digest.Hex}
			errs := []error{fmt.Errorf("%s: no verified result", t.Digest)}
			for _, a := range t.Attestations {
				if a.Err != nil || a.Result == nil {
					continue
				}
				got, err := want.Check(a.Result.Statement)
				if err == nil {
					r, errs = got, nil
					break
				}
				errs = append(errs, err)
			}
			if errs != nil {
				return nil, errors.Join(errs...)
			}
		}
		return r, nil
	}
	r, err := check(want)
	if err != nil {
		panic(err)
	}
	fmt.Println("consumer:", r.Verifier.ID, "allowed:", r.Has(svr.PropertyAllowed),
		"provenance authentic:", r.Has("SLSA-BUILD-L2.provenance-authentic"), "revision:", r.PolicyRevision() == d.PolicyRevision)

	// A consumer that expects the production gate refuses staging's result.
	prod := want
	prod.VerifierID = "https://gates.example/prod"
	_, err = check(prod)
	fmt.Println("as production's:", errors.Is(err, svr.ErrVerifierMismatch))
	// Output:
	// gate: allow issued an SVR: true
	// consumer: https://gates.example/staging allowed: true provenance authentic: true revision: true
	// as production's: true
}
