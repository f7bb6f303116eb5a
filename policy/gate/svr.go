package gate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/svr"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/compliance"
)

// ErrSVRNotIssued: policy allowed an image but the gate could not sign or
// attach its Simple Verification Result ([WithSVR]). The decision is a
// deny: a vendor that asked for a result at every decision gets no allow
// without one.
var ErrSVRNotIssued = fmt.Errorf("%w: verification result not issued", ErrUndecided)

// SVRIssuer is how a gate issues the in-toto Simple Verification Result of
// each image decision ([WithSVR]).
type SVRIssuer struct {
	// VerifierID is the result's verifier.id, an absolute URI naming this
	// gate (e.g. "https://deploy.example/gates/staging"). Consumers pair it
	// with Signer's identity.
	VerifierID string
	// Signer signs the result with the gate's own identity (a key, an
	// embedded CA or Fulcio: attest.NewKeySigner, NewCASigner,
	// NewFulcioSigner).
	Signer attest.Signer
	// Attacher attaches the signed result to the image.
	Attacher Attacher
	// PolicyURI is the URI of the verifier's policy descriptor: where the
	// policy this gate runs is published. The revision that decided rides
	// beside it (svr.AnnotationPolicyRevision); with a revision and no URI
	// the descriptor's URI is "urn:ztci:policy".
	PolicyURI string
	// Controls, optional, is the compliance catalog by which the result
	// also lists the controls the decision passed (compliance.Assess of
	// this one decision and the attestations its policy read), e.g.
	// compliance.Builtin() for the built-in library. Nil lists none.
	Controls *compliance.Catalog
	// IssueDenies also issues a result for a decision whose result would
	// not list svr.PropertyAllowed: a policy deny, or an allow in a warn
	// or dry-run mode of what the policy denied. Off by default: such a
	// result records what one request was told, and a deny may depend on
	// the requesting job (its ref, its repository) or on what the request
	// carries, none of which the result names. With it, any job the gate
	// authenticates can have a result that is not an allow attached to
	// any image the gate reads, newer than that image's allow; set it only
	// when every caller is trusted to ask only about its own images, and
	// tell consumers a later deny does not revoke an allow.
	IssueDenies bool
}

// SVRInfo names a Simple Verification Result this gate issued: who
// verified, the digest of its Sigstore bundle, when it was made, the policy
// revision it names and the properties it lists.
type SVRInfo struct {
	Verifier       string    `json:"verifier"`
	Bundle         string    `json:"bundle"`
	TimeCreated    time.Time `json:"time_created"`
	PolicyRevision string    `json:"policy_revision,omitempty"`
	Properties     []string  `json:"properties"`
}

// WithSVR makes the gate sign an in-toto Simple Verification Result v0.1
// (attest/svr) after every policy allow of an image (and, with
// SVRIssuer.IssueDenies, after every other policy decision about one),
// and attach it to the image as [WithVSA] attaches its summary: its
// subjects are the manifests the gate verified (the pinned digest, or the
// platform manifests of an index verified with image.WithPlatform or
// image.WithAllPlatforms), and it is attached to each. It names
// iss.VerifierID, the time, the policy (iss.PolicyURI and the revision
// that decided) and the properties svr.FromDecision writes for the
// decision: svr.PropertyAllowed only when the policy itself allowed
// without violations (not for an allow in a warn or dry-run mode of what
// the policy denied, with or without violations), then the controls of
// iss.Controls the decision passed. Decision.IssuedSVR names
// it and the decision's audit event carries its bundle digest
// ("svr_issued").
//
// Denies get none by default: a result names the image, not the job that
// asked or what its request carried, and a deny may depend on either (a
// job whose ref or repository the policy refuses), so any job the gate
// authenticates could otherwise have a deny attached to any image, newer
// than the allow its owner got. A consumer therefore never reads a result
// as revoking an earlier one: it requires svr.PropertyAllowed in a result
// fresh enough for its purpose, and learns of revocations elsewhere (the
// gate's audit log, its revocation list). With SVRIssuer.IssueDenies a
// deny (and an allow of a warn or dry-run mode that the policy denied)
// gets one too, listing no svr.PropertyAllowed, so it can never be read as
// an allow; set it only when every caller is trusted. A deny's result still lists
// the controls the decision passed (those its violations fail are absent),
// as attest/svr writes it: each property is its own claim, so a consumer
// deciding whether to deploy requires svr.PropertyAllowed, never a control
// alone: svr.Expect.Check makes these checks (digest, verifier id,
// freshness both ways, svr.PropertyAllowed) on the Statement of a bundle
// verified as this gate's. Every result is one referrer per manifest written to the registry:
// a gate taking requests from a network bounds who may ask
// ([WithRegistries], the job token) and how often.
//
// Fail closed: a result that cannot be made, signed or attached turns an
// allow into a deny wrapping [ErrSVRNotIssued], audited like every
// undecidable request. A deny stays a deny whatever happens to its result:
// it is logged, Decision.IssuedSVR is nil and the audit event says
// "svr_error" instead. The result is attached before the decision is
// audited, so when the audit sink then fails a result exists for a
// decision that was not allowed; what it states (this policy passed) still
// holds, and the audit log remains the authority on what was deployed.
// With [WithVSA] the summary is issued first and the result second, and an
// allow stands only if both are. Decisions about inline bundles issue no
// result (there is no image to attach it to), nor do decisions taken on a
// trusted VSA ([WithTrustedVSAs]), nor requests that could not be decided:
// there was no verification, or no policy result, to record.
func WithSVR(iss SVRIssuer) Option {
	return func(c *config) error {
		if iss.Signer == nil || iss.Attacher == nil {
			return fmt.Errorf("%w: WithSVR needs a signer and an attacher", ErrConfig)
		}
		if _, err := svr.FromDecision(iss.VerifierID, svr.Decision{PolicyURI: iss.PolicyURI, PolicyRevision: "probe",
			Time: time.Unix(0, 0)}); err != nil {
			return fmt.Errorf("%w: WithSVR: %w", ErrConfig, err)
		}
		c.svrIssuer = &iss
		return nil
	}
}

// issueSVR signs the result of an image decision (WithSVR) and attaches it
// to every manifest the gate verified. It returns an error only for an
// allow: a deny whose result is not issued stays a deny. basis is nil for
// inline bundles and when the gate issues no attestations.
func (g *Gate) issueSVR(ctx context.Context, art policy.Artifact, arts []policy.Artifact, basis *imageBasis, pd policy.Decision, d *Decision, ev *audit.Event) error {
	iss := g.cfg.svrIssuer
	if iss == nil || basis == nil {
		return nil
	}
	// Only a result that lists svr.PropertyAllowed is issued by default:
	// any other records one request's deny, which the requesting job can
	// bring about on an image not its own (see SVRIssuer.IssueDenies).
	if !iss.IssueDenies && (!pd.PolicyAllowed || len(pd.Violations) > 0) {
		return nil
	}
	info, err := g.signSVR(ctx, iss, art, arts, basis, pd, ev.ID)
	if err == nil {
		d.IssuedSVR = info
		ev.Attributes["svr_issued"] = info.Bundle
		return nil
	}
	if !pd.Allowed {
		g.cfg.log.ErrorContext(ctx, "denied image's verification result not issued", "event", ev.ID, "digest", art.Digest, "err", err)
		ev.Attributes["svr_error"] = "not issued"
		return nil
	}
	// The signer's and the registry's errors may name a KMS key URI or a
	// registry address with credentials: withheld.
	return withhold(ErrSVRNotIssued, "allowed image's verification result not issued; denying", fmt.Errorf("%s: %w", art.Digest, err))
}

// signSVR makes, signs and attaches the result of decision pd about art,
// which policy decided on arts; decisionID is its audit event id, which
// names it in a compliance assessment.
func (g *Gate) signSVR(ctx context.Context, iss *SVRIssuer, art policy.Artifact, arts []policy.Artifact, basis *imageBasis, pd policy.Decision, decisionID string) (*SVRInfo, error) {
	img, err := name.NewDigest(art.Name+"@"+art.Digest, name.StrictValidation)
	if err != nil {
		return nil, err
	}
	now := g.cfg.now().UTC()
	rules := make([]string, len(pd.Violations))
	for i, v := range pd.Violations {
		rules[i] = v.Rule
	}
	passed, err := passedControls(iss.Controls, art, arts, pd, decisionID, now)
	if err != nil {
		return nil, err
	}
	// What the policy decided, not the mode's verdict: an evaluator in a
	// Warn or DryRun mode allows a policy's deny, which, when the policy
	// gave no violation, read as a pass of the policy and of every control.
	r, err := svr.FromDecision(iss.VerifierID, svr.Decision{Allowed: pd.PolicyAllowed, Rules: rules, PolicyURI: iss.PolicyURI,
		PolicyRevision: pd.Revision, Time: now, Passed: passed})
	if err != nil {
		return nil, err
	}
	bundle, err := attestManifests(ctx, iss.Signer, iss.Attacher, img.Context(), basis.targets, svr.Predicate(r))
	if err != nil {
		return nil, err
	}
	return &SVRInfo{Verifier: iss.VerifierID, Bundle: bundle, TimeCreated: r.TimeCreated, PolicyRevision: pd.Revision,
		Properties: r.Properties}, nil
}

// passedControls are the controls of cat that decision pd about art passes
// (none without a catalog): compliance.Assess of this one decision, with
// the attestations its policy read as evidence. Policy decided on arts
// (art itself, or each platform manifest of an index): a control passes
// only when it passes on the evidence of each, as the result is about
// every one of them.
func passedControls(cat *compliance.Catalog, art policy.Artifact, arts []policy.Artifact, pd policy.Decision, decisionID string, at time.Time) ([]string, error) {
	if cat == nil {
		return nil, nil
	}
	var out []string
	for i, a := range arts {
		ev := make([]compliance.Evidence, 0, len(a.Attestations))
		for _, att := range a.Attestations {
			ev = append(ev, compliance.Evidence{PredicateType: att.PredicateType, Signer: att.Signer.SAN})
		}
		rep, err := compliance.Assess(cat, art.Name+"@"+art.Digest, at, compliance.Decision{ID: decisionID,
			Action: policy.ActionDeploy, Subject: art.Digest, Name: art.Name, Allowed: pd.PolicyAllowed,
			Violations: pd.Violations, PolicyRevision: pd.Revision, Time: at, Evidence: ev})
		if err != nil {
			return nil, err
		}
		var passed []string
		for _, c := range rep.Controls {
			if c.Status == compliance.Pass && (i == 0 || slices.Contains(out, c.Control.ID)) {
				passed = append(passed, c.Control.ID)
			}
		}
		out = passed
	}
	return out, nil
}

// attestManifests signs a statement of pred about the manifests targets of
// repo with signer and attaches the bundle to each of them, so that a
// verifier of any one finds it; it returns the bundle's digest. WithVSA and
// WithSVR issue through it.
func attestManifests(ctx context.Context, signer attest.Signer, a Attacher, repo name.Repository, targets []v1.Hash, pred attest.Predicate) (string, error) {
	if len(targets) == 0 {
		return "", errors.New("no manifest was verified")
	}
	subjects := make([]attest.ResourceDescriptor, len(targets))
	for i, t := range targets {
		subjects[i] = attest.ResourceDescriptor{Name: repo.Name(), Digest: attest.DigestSet{t.Algorithm: t.Hex}}
	}
	st, err := attest.NewStatement(subjects, pred)
	if err != nil {
		return "", err
	}
	bundle, err := attest.Sign(ctx, signer, st)
	if err != nil {
		return "", err
	}
	for _, t := range targets {
		if err := a.Attach(ctx, repo.Digest(t.String()), bundle); err != nil {
			return "", err
		}
	}
	sum := sha256.Sum256(bundle)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}
