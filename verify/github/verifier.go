package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/internal/asciifold"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/verify"
)

// Verifier checks GitHub artifact attestations (the Sigstore bundles
// actions/attest makes) against a Policy. It holds one verify.Verifier per
// Sigstore instance, each with that instance's root and verification
// policy, and sends each bundle to the instance whose Fulcio CA issued its
// signing certificate. It is safe for concurrent use and makes no network
// calls.
type Verifier struct {
	policy    Policy
	folded    []foldCheck
	logger    *slog.Logger
	instances []instance
}

type instance struct {
	name  string
	trust root.TrustedMaterial
	v     *verify.Verifier
}

// Result is what a successful Verify proves: verify's Result (the signed
// statement, the signer's certificate claims, the proven signing times and
// the checks passed) and the instance whose root verified it. Treat it as
// read-only.
type Result struct {
	*verify.Result
	// Instance is InstancePublicGood or InstanceGitHub.
	Instance string `json:"instance"`
}

// New builds a Verifier for policy. By default bundles from both instances
// count: the public-good one (verify.PublicGood, the embedded snapshot) for
// public repositories and GitHub's (GitHubTrustedRoot) for private ones.
// For a policy on a GitHub Enterprise Cloud tenant (Policy.Host
// "<tenant>.ghe.com"), GitHub's instance is the tenant's and its root must
// be given (WithGitHubRoot), or New fails with verify.ErrConfig; the
// public-good instance is not trusted (the tenant cannot have public
// repositories, the only ones actions/attest signs there), and
// WithPublicGoodRoot is refused with verify.ErrConfig.
// An invalid policy is refused with an error matching
// verify.ErrInvalidExpectation.
//
// New verifies the static CA and TSA chains of both roots once (tens of
// milliseconds): build a Verifier per policy and keep it, and give
// Verifiers built for many policies the same roots as *verify.Trust
// (WithPublicGoodRoot, WithGitHubRoot), which they share safely.
func New(policy Policy, opts ...Option) (*Verifier, error) {
	cfg := config{logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: github: nil Option", verify.ErrConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	c, err := policy.compile()
	if err != nil {
		return nil, err
	}
	v := &Verifier{policy: policy, folded: c.folded, logger: cfg.logger}
	if c.tenant != "" && cfg.publicGood != nil {
		return nil, fmt.Errorf("%w: github: WithPublicGoodRoot with Host %q: a GitHub Enterprise Cloud tenant has no public repositories, so none of its attestations is made on the public-good instance", verify.ErrConfig, policy.Host)
	}
	// actions/attest uses public-good only for public repositories, which a
	// ghe.com tenant (Enterprise Managed Users) cannot have: its bundles all
	// come from its own Fulcio and TSA, so public-good is not trusted for it.
	if !cfg.noPublicGood && c.tenant == "" {
		tm := cfg.publicGood
		if tm == nil {
			if tm, err = verify.PublicGood(); err != nil {
				return nil, err
			}
		}
		// cli/cli verification/sigstore.go newPublicGoodVerifierWithTrustedRoot:
		// an SCT, a Rekor entry and an observer timestamp (verify's defaults).
		if err := v.add(InstancePublicGood, tm, c.expect, cfg.verifyOptions()...); err != nil {
			return nil, err
		}
	}
	tm := cfg.github
	switch {
	case tm == nil && c.tenant != "":
		// The embedded root is github.com's trust domain; a tenant's Fulcio
		// and TSA are its own, and guessing them would trust the wrong CAs.
		return nil, fmt.Errorf("%w: github: Host %q is a GitHub Enterprise Cloud tenant: give its trusted root with WithGitHubRoot (gh attestation trusted-root --hostname %s, or the %q target of %s)",
			verify.ErrConfig, policy.Host, policy.Host, "<trust domain>.trusted_root.json", GitHubTUFMirror)
	case tm == nil:
		if tm, err = GitHubTrustedRoot(); err != nil {
			return nil, err
		}
	}
	// newGitHubVerifierWithTrustedRoot: one signed timestamp from GitHub's
	// TSA; GitHub's instance has no transparency log and no CT log.
	if err := v.add(InstanceGitHub, tm, c.expect, append(cfg.verifyOptions(),
		verify.WithTlogThreshold(0), verify.WithSignedTimestampThreshold(1), verify.WithSCTThreshold(0))...); err != nil {
		return nil, err
	}
	return v, nil
}

// verifyOptions are the options both instances' verify.Verifiers get.
func (c *config) verifyOptions() []verify.Option {
	opts := []verify.Option{verify.WithLogger(c.logger)}
	if c.audit != nil {
		opts = append(opts, verify.WithAudit(c.audit, c.auditName))
	}
	return opts
}

func (v *Verifier) add(name string, tm root.TrustedMaterial, expect verify.Expectation, opts ...verify.Option) error {
	// A static root gets verify's chain memo here, so that routing (which
	// verifies the leaf's chain) and verification share it.
	if tr, ok := tm.(*root.TrustedRoot); ok {
		t, err := verify.NewTrust(tr)
		if err != nil {
			return err
		}
		tm = t
	}
	vv, err := verify.New(tm, expect, opts...)
	if err != nil {
		return fmt.Errorf("github: %s instance: %w", name, err)
	}
	v.instances = append(v.instances, instance{name: name, trust: tm, v: vv})
	return nil
}

// maxBundleBytes is verify's default bundle size limit, applied before the
// bundle is read to choose its instance.
const maxBundleBytes = 32 << 20

// Verify checks one bundle (protobuf-JSON, v0.2 or v0.3, as the
// attestations API and `gh attestation download` return them) for
// artifact. It returns a Result only when the bundle verifies against the
// instance that issued its certificate and satisfies every part of the
// Policy; otherwise an error matching verify.ErrVerification and a category
// (verify.ErrIdentityMismatch with a *verify.IdentityMismatchError naming
// the field, verify.ErrPredicateTypeMismatch, verify.ErrArtifactMismatch,
// verify.ErrSignature, ErrUnknownInstance, …). Any error means deny.
//
// With WithAudit, every call writes exactly one event: a success only
// when the Result is returned, and otherwise one failure, whether the
// bundle was refused before verify (size, certificate, instance), by
// verify, or by the Policy's case-insensitive checks after it. A call
// whose event the sink does not accept fails with verify.ErrAudit.
func (v *Verifier) Verify(ctx context.Context, bundleJSON []byte, artifact verify.Artifact) (*Result, error) {
	inst, err := v.route(ctx, bundleJSON)
	if err != nil {
		// One verification attempt, refused before verify could see it:
		// audited (WithAudit) as verify audits its own refusals. Both
		// instances' verifiers write to the same sink under one name.
		if len(v.instances) == 0 {
			return nil, err
		}
		return nil, v.instances[0].v.Refuse(ctx, "", err)
	}
	// The Policy's own checks run inside the verification, before its audit
	// event: a bundle they refuse is recorded as that failure, not as the
	// success verify alone would have recorded.
	res, err := inst.v.VerifyChecked(ctx, bundleJSON, artifact, func(res *verify.Result) error {
		if err := v.check(&res.Signer); err != nil {
			v.logger.DebugContext(ctx, "github: attestation rejected", slog.String("instance", inst.name), slog.String("error", err.Error()))
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Result{Result: res, Instance: inst.name}, nil
}

// route returns the instance whose Fulcio CA issued the bundle's signing
// certificate, or why there is none.
func (v *Verifier) route(ctx context.Context, bundleJSON []byte) (*instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: cancelled: %w", verify.ErrVerification, err)
	}
	if len(bundleJSON) > maxBundleBytes {
		return nil, fmt.Errorf("%w: github: bundle is %d bytes, limit %d", verify.ErrMalformedBundle, len(bundleJSON), maxBundleBytes)
	}
	leaf, err := signingCert(bundleJSON)
	if err != nil {
		return nil, err
	}
	var inst *instance
	for i := range v.instances {
		if issues(v.instances[i].trust, leaf) {
			if inst != nil {
				return nil, fmt.Errorf("%w: issued by CAs of both the %s and the %s roots", ErrUnknownInstance, inst.name, v.instances[i].name)
			}
			inst = &v.instances[i]
		}
	}
	if inst == nil {
		return nil, fmt.Errorf("%w: issuer %s", ErrUnknownInstance, clip.Quote(leaf.Issuer.String(), maxQuote))
	}
	return inst, nil
}

// check runs the comparisons verify's exact Claims cannot: gh's
// case-insensitive ones (ASCII only), after refusing non-ASCII values that
// a folded regexp could have matched.
func (v *Verifier) check(s *verify.SignerInfo) error {
	if !isASCII(s.SAN) {
		return &verify.IdentityMismatchError{Field: "san", Want: "an ASCII GitHub workflow URI", Got: s.SAN}
	}
	if !isASCII(s.Issuer) {
		return &verify.IdentityMismatchError{Field: "issuer", Want: "an ASCII issuer URL", Got: s.Issuer}
	}
	for _, f := range v.folded {
		if got := f.got(&s.Claims); !asciifold.Equal(f.want, got) {
			return &verify.IdentityMismatchError{Field: f.field, Want: f.want, Got: got}
		}
	}
	return nil
}

// VerifyAll checks every bundle for artifact, as `gh attestation verify`
// does with the attestations it fetched or read: it returns the results of
// those that verified, in order, and an error only when none did (a
// *NoneVerifiedError carrying each bundle's error). The artifact is used
// for every bundle: give it as verify.ArtifactBytes or
// verify.ArtifactDigest (an ArtifactReader is read by the first bundle
// only, and every later bundle fails as an artifact mismatch).
//
// With WithAudit, each bundle writes its own event, as Verify; a bundle
// whose event the sink does not accept ends the call with its
// verify.ErrAudit, whatever the other bundles.
func (v *Verifier) VerifyAll(ctx context.Context, bundles [][]byte, artifact verify.Artifact) ([]*Result, error) {
	var out []*Result
	var errs []error
	for _, b := range bundles {
		res, err := v.Verify(ctx, b, artifact)
		if err != nil {
			// A bundle whose verification could not be audited
			// (verify.ErrAudit) fails the whole call: another bundle's
			// success must not hide the lost event.
			if ctx.Err() != nil || errors.Is(err, verify.ErrAudit) {
				return nil, err
			}
			errs = append(errs, err)
			continue
		}
		out = append(out, res)
	}
	if len(out) == 0 {
		return nil, &NoneVerifiedError{Errs: errs}
	}
	return out, nil
}

// Policy returns the policy the Verifier enforces.
func (v *Verifier) Policy() Policy { return v.policy }
