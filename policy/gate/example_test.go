package gate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify"
)

// A gate with one trusted provenance signer decides on a real public-good
// bundle given inline: allowed for the digest the bundle is about, denied
// for any other, and refused for a job whose token does not verify.
func ExampleGate_Decide() {
	ctx := context.Background()
	trust, err := verify.PublicGood()
	if err != nil {
		panic(err)
	}
	provenance, err := verify.New(trust, verify.Expectation{
		Signer: verify.Identity{
			SAN:    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
			Issuer: "https://token.actions.githubusercontent.com",
		},
		PredicateType: attest.PredicateSLSAProvenanceV1,
	})
	if err != nil {
		panic(err)
	}
	jobs := identity.TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
		// Production: an *oidc.Verifier with oidc.WithSingleUse, so a
		// token copied from a log or a proxy cannot be presented again.
		if raw != "job-token" {
			return identity.Identity{}, errors.New("bad token")
		}
		return identity.Identity{Issuer: "https://ci.example", Subject: "deployer"}, nil
	})
	// A policy that allows a request whose artifacts are all verified (not
	// only the first: a request may name several, and none at all is no
	// reason to allow); production uses policy.New with the built-in
	// library, which also checks the job.
	pol := policy.EvaluatorFunc(func(_ context.Context, in policy.Input) (policy.Decision, error) {
		verified := len(in.Artifacts) > 0
		for _, a := range in.Artifacts {
			verified = verified && a.Verified
		}
		if verified {
			return policy.Decision{Allowed: true, Revision: "r1"}, nil
		}
		return policy.Decision{Revision: "r1", Violations: []policy.Violation{{Rule: "deploy.not_verified"}}}, nil
	})
	events := 0
	sink := audit.SinkFunc(func(context.Context, audit.Event) error { events++; return nil })

	g, err := gate.New(jobs, gate.Verifiers{attest.PredicateSLSAProvenanceV1: provenance}, pol, sink)
	if err != nil {
		panic(err)
	}
	b, err := os.ReadFile("testdata/provenance-conformance.sigstore.json")
	if err != nil {
		panic(err)
	}
	for _, req := range []gate.Request{
		{JobToken: gate.NewToken("job-token"), Bundles: []json.RawMessage{b}, Name: "a.txt",
			Digest: "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"},
		{JobToken: gate.NewToken("job-token"), Bundles: []json.RawMessage{b}, Name: "a.txt",
			Digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000"},
		{JobToken: gate.NewToken("stolen"), Image: "registry.example/app:v1"},
	} {
		d, err := g.Decide(ctx, req) // any error is a deny: d.Allowed is false
		fmt.Println(d.Allowed, d, errors.Is(err, gate.ErrUnauthenticated))
	}
	fmt.Println("audit events:", events)
	// Output:
	// true allow sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf rev=r1 false
	// false deny sha256:0000000000000000000000000000000000000000000000000000000000000000 [deploy.not_verified] rev=r1 false
	// false error: gate: job token not verified true
	// audit events: 3
}

// A Request's job token prints, logs and marshals as [REDACTED];
// EncodeRequest is the one place that writes it, for a client's body.
func ExampleEncodeRequest() {
	req := gate.Request{JobToken: gate.NewToken("eyJhbGciOi.secret.token"), Image: "registry.example/acme/app:v1"}
	fmt.Printf("%v %+v %#v\n", req.JobToken, req.JobToken, req.JobToken)
	redacted, _ := json.Marshal(req)
	fmt.Println(string(redacted))
	body, _ := gate.EncodeRequest(req)
	fmt.Println(string(body))
	// Output:
	// [REDACTED] [REDACTED] [REDACTED]
	// {"job_token":"[REDACTED]","image":"registry.example/acme/app:v1"}
	// {"job_token":"eyJhbGciOi.secret.token","image":"registry.example/acme/app:v1"}
}

// A gate that admits container images takes them by reference only: an
// inline bundle names a digest the gate does not fetch, so it could be an
// image index decided on the index's own attestations rather than each
// platform manifest's. WithImagesOnly refuses such a request, audited.
func ExampleWithImagesOnly() {
	trust, err := verify.PublicGood()
	if err != nil {
		panic(err)
	}
	provenance, err := verify.New(trust, verify.Expectation{
		Signer:        verify.Identity{SAN: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", Issuer: "https://token.actions.githubusercontent.com"},
		PredicateType: attest.PredicateSLSAProvenanceV1,
	})
	if err != nil {
		panic(err)
	}
	// EXAMPLE ONLY: this verifier accepts any token and this policy allows
	// anything, to show the refusal alone. In production: an *oidc.Verifier
	// (single-use, oidc.WithSingleUse) and policy.New with the built-in library.
	jobs := identity.TokenVerifierFunc(func(context.Context, string) (identity.Identity, error) {
		return identity.Identity{Issuer: "https://ci.example", Subject: "deployer"}, nil
	})
	pol := policy.EvaluatorFunc(func(context.Context, policy.Input) (policy.Decision, error) {
		return policy.Decision{Allowed: true, Revision: "r1"}, nil
	})
	events := 0
	sink := audit.SinkFunc(func(context.Context, audit.Event) error { events++; return nil })
	g, err := gate.New(jobs, gate.Verifiers{attest.PredicateSLSAProvenanceV1: provenance}, pol, sink, gate.WithImagesOnly())
	if err != nil {
		panic(err)
	}
	b, err := os.ReadFile("testdata/provenance-conformance.sigstore.json")
	if err != nil {
		panic(err)
	}
	d, err := g.Decide(context.Background(), gate.Request{JobToken: gate.NewToken("job-token"), Bundles: []json.RawMessage{b},
		Name: "registry.example/app", Digest: "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"})
	fmt.Println(d.Allowed, errors.Is(err, gate.ErrBadRequest), "audit events:", events)
	// Output:
	// false true audit events: 1
}
