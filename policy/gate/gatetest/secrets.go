package gatetest

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify"
)

// Attach signs one more statement about p's image as a job on j would —
// pred builds the predicate from the job's verified identity — and
// attaches it to the image.
func (l *Lab) Attach(ctx context.Context, j Job, p *Published, pred func(identity.Identity) (attest.Predicate, error)) error {
	tok, err := l.Token(ctx, j)
	if err != nil {
		return err
	}
	id, err := l.tokens.Verify(ctx, tok.Reveal())
	if err != nil {
		return fmt.Errorf("gatetest: verify the job token: %w", err)
	}
	pr, err := pred(id)
	if err != nil {
		return err
	}
	ref, err := name.NewTag(p.Image)
	if err != nil {
		return err
	}
	h, err := attest.ParseDigest(p.Digest)
	if err != nil {
		return err
	}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{{Name: p.Name, Digest: h.Set()}}, pr)
	if err != nil {
		return err
	}
	signer, err := attest.NewCASigner(l.ca.IssuerFor(id), attest.WithEmbeddedTimestampAuthority(l.tsa.Handler()), attest.WithLogger(l.log))
	if err != nil {
		return err
	}
	b, err := attest.Sign(ctx, signer, st)
	if err != nil {
		return err
	}
	if _, err := attach.Bundle(ctx, ref, b, attach.WithLogger(l.log)); err != nil {
		return err
	}
	p.Bundles = append(p.Bundles, b)
	return nil
}

// SecretsGate is [Lab.Gate] (result cache on) that also verifies secrets
// provenance signed by the release workflow, and decides with cfg (start
// from [Lab.PolicyConfig]).
func (l *Lab) SecretsGate(ctx context.Context, cfg policy.LibraryConfig, sink audit.Sink, opts ...gate.Option) (*gate.Gate, error) {
	vs, err := l.Verifiers(true)
	if err != nil {
		return nil, err
	}
	trJSON, err := l.TrustedRootJSON()
	if err != nil {
		return nil, err
	}
	trust, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		return nil, err
	}
	sv, err := verify.New(trust, verify.Expectation{Signer: verify.Identity{SAN: SignerSAN, Issuer: l.issuer.URL()}, PredicateType: secretsprov.PredicateType},
		verify.WithTlogThreshold(0), verify.WithSCTThreshold(0), verify.WithSignedTimestampThreshold(1), verify.WithLogger(l.log))
	if err != nil {
		return nil, err
	}
	vs[secretsprov.PredicateType] = sv
	eng, err := policy.New(ctx, policy.BuiltinWith(cfg), policy.WithLogger(l.log))
	if err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, func() { _ = eng.Close() })
	opts = append([]gate.Option{gate.WithRegistries(l.regHost), gate.WithLogger(l.log)}, opts...)
	return gate.New(l.tokens, vs, eng, sink, opts...)
}
