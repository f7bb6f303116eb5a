package gate_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/attest/vsa"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/verify"
)

// Gate A verifies an image's attestations, allows it and attaches a signed
// verification summary; gate B trusts gate A's key for A's verifier id and
// policy revision, and decides from the summary without verifying the
// attestations again.
func ExampleWithTrustedVSAs() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lab, err := gatetest.Start(ctx)
	if err != nil {
		panic(err)
	}
	defer lab.Close()
	sink := audit.SinkFunc(func(context.Context, audit.Event) error { return nil })

	// Gate A signs its summaries with its own key, timestamped by its TSA.
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
	const staging = "https://gates.example/staging"
	a, err := lab.Gate(ctx, sink, gate.WithVSA(gate.VSAIssuer{VerifierID: staging, Signer: signer,
		Attacher: gate.RegistryAttacher(), PolicyURI: "https://gates.example/policy/deploy",
		VerifiedLevels: []string{"SLSA_BUILD_LEVEL_3"}}))
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
	req := gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: img.Image}
	dA, err := a.Decide(ctx, req)
	if err != nil {
		panic(err)
	}
	fmt.Println("gate A:", dA.Outcome, "issued a VSA:", dA.IssuedVSA != nil)

	// Gate B: gate A's key is the only signer accepted for its verifier id.
	trJSON, err := attest.NewTrustedRoot().AddEmbeddedTSA("https://tsa.gates.example", ts).MarshalJSON()
	if err != nil {
		panic(err)
	}
	trust, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		panic(err)
	}
	v, err := verify.New(trust, verify.Expectation{Signer: verify.PublicKey{Key: key.Public()}, PredicateType: vsa.PredicateType},
		verify.WithTlogThreshold(0), verify.WithSignedTimestampThreshold(1)) // the gate's key logs nowhere: its TSA proves the time
	if err != nil {
		panic(err)
	}
	b, err := lab.Gate(ctx, sink, gate.WithTrustedVSAs(gate.VSATrust{VerifierID: staging, Verifier: v,
		Revisions: []string{dA.PolicyRevision}, MaxAge: time.Hour}))
	if err != nil {
		panic(err)
	}
	// The deploy to B presents a token of its own: a gate that accepts each
	// token once (oidc.WithSingleUse, as examples/gate does) refuses A's.
	tokB, err := lab.Token(ctx, job)
	if err != nil {
		panic(err)
	}
	dB, err := b.Decide(ctx, gate.Request{JobToken: gate.NewToken(tokB.Reveal()), Image: img.Image})
	if err != nil {
		panic(err)
	}
	fmt.Println("gate B:", dB.Outcome, "from", dB.TrustedVSA.Verifier, "same VSA:", dB.TrustedVSA.Bundle == dA.IssuedVSA.Bundle,
		"same digest:", dB.Digest == img.Digest)
	// Output:
	// gate A: allow issued a VSA: true
	// gate B: allow from https://gates.example/staging same VSA: true same digest: true
}
