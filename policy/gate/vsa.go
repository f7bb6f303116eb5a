package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/attest/vex"
	"github.com/ztci/ztci/attest/vsa"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/asciifold"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/strictjson"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// ErrVSANotIssued: policy allowed an image but the gate could not sign or
// attach its verification summary ([WithVSA]). The decision is a deny:
// a vendor that asked for a VSA at every allow gets none without one.
var ErrVSANotIssued = fmt.Errorf("%w: verification summary not issued", ErrUndecided)

// Why a trusted gate ignored a verification summary ([WithTrustedVSAs]).
// They never reach the caller as the error of a decision (an ignored
// summary only means the attestations are verified); the gate logs them at
// debug level as "err".
var (
	// ErrVSAIgnored: the summary cannot be relied on; the finer reasons
	// below wrap it, and so does a verification error of its bundle.
	ErrVSAIgnored = errors.New("gate: verification summary ignored")
	// ErrVSAUntrusted: it names a verifier the gate does not trust; it is
	// not verified.
	ErrVSAUntrusted = fmt.Errorf("%w: untrusted verifier", ErrVSAIgnored)
	// ErrVSANotPassed: its result is FAILED.
	ErrVSANotPassed = fmt.Errorf("%w: result is not PASSED", ErrVSAIgnored)
	// ErrVSARevision: it names a policy revision the gate does not accept.
	ErrVSARevision = fmt.Errorf("%w: policy revision not accepted", ErrVSAIgnored)
	// ErrVSAStale: it was made before the freshness window, or after
	// MaxVSASkew ahead of the gate's clock.
	ErrVSAStale = fmt.Errorf("%w: outside the freshness window", ErrVSAIgnored)
	// ErrVSAOtherManifest: it does not cover every manifest the gate
	// verifies (the pinned digest itself, or each platform manifest its
	// platform options select).
	ErrVSAOtherManifest = fmt.Errorf("%w: not about the pinned digest", ErrVSAIgnored)
	// ErrVSAOtherRepository: its resourceUri, an OCI package URL, names
	// another repository than the image's (a summary of the same manifest
	// verified, with the attestations held, in another repository).
	ErrVSAOtherRepository = fmt.Errorf("%w: about another repository", ErrVSAIgnored)
	// ErrVSASigners: the gate requires several distinct signers per
	// manifest (image.WithThreshold) and the summary does not name as
	// many among the inputs verified for one of them.
	ErrVSASigners = fmt.Errorf("%w: fewer distinct signers than the threshold", ErrVSAIgnored)
	// ErrVSALeasesUnknown: the gate checks leases ([Revocations].Leases)
	// and the summary does not say which credentials reached the build
	// (an input without its predicate type, a secrets provenance input
	// without its leases, or no inputs at all).
	ErrVSALeasesUnknown = fmt.Errorf("%w: the build's leases are unknown", ErrVSAIgnored)
	// ErrVSAPolicyInput: the facts it carries for policy
	// (vsa.AnnotationPolicyInput) do not read.
	ErrVSAPolicyInput = fmt.Errorf("%w: policy input does not read", ErrVSAIgnored)
	// ErrVSAPolicyDenied: this gate's policy, evaluated on what the
	// summary carries, denies; the attestations are verified and decide.
	ErrVSAPolicyDenied = fmt.Errorf("%w: this gate's policy denies on it", ErrVSAIgnored)
)

// VSAAnnotationManifest is the inputAttestations annotation ([WithVSA])
// naming the manifest ("sha256:<hex>") an input attestation was verified
// for: the image itself, or one platform manifest of an index. A trusting
// gate gives the facts of an input to that manifest only, as full
// verification gives each platform manifest its own attestations
// ([ImageArtifacts]). An input whose facts do not name their manifest is
// about the one subject of a summary that has one; in a summary of several
// manifests it makes the summary one not relied on.
const VSAAnnotationManifest = "ztci.dev/manifest"

// MaxVSASkew is how far in the future a trusted VSA's timeVerified may lie
// (clock skew between gates); a VSA further ahead is ignored.
const MaxVSASkew = time.Minute

// Attacher attaches a signed Sigstore bundle to the image it is about.
// Attach must return only once the bundle is discoverable as an attestation
// of image (an OCI referrer), or an error; it must be safe for concurrent
// use. [RegistryAttacher] is the implementation for OCI registries.
type Attacher interface {
	Attach(ctx context.Context, image name.Digest, bundle []byte) error
}

// AttacherFunc adapts a function to [Attacher].
type AttacherFunc func(ctx context.Context, image name.Digest, bundle []byte) error

// Attach calls f.
func (f AttacherFunc) Attach(ctx context.Context, image name.Digest, bundle []byte) error {
	return f(ctx, image, bundle)
}

// RegistryAttacher attaches bundles with attest/attach as OCI 1.1 referrers
// of the image in its own registry (the referrers API, or the tag schema
// where the registry has none), with opts (keychain, transport, timeout).
func RegistryAttacher(opts ...attach.Option) Attacher {
	return AttacherFunc(func(ctx context.Context, img name.Digest, bundle []byte) error {
		_, err := attach.Bundle(ctx, img, bundle, opts...)
		return err
	})
}

// VSAIssuer is how a gate issues the SLSA verification summary of each
// allowed image ([WithVSA]).
type VSAIssuer struct {
	// VerifierID is the summary's verifier.id, an absolute URI naming this
	// gate (e.g. "https://deploy.example/gates/staging"). Consumers pair it
	// with Signer's identity.
	VerifierID string
	// Signer signs the summary with the gate's own identity (a key, an
	// embedded CA or Fulcio: attest.NewKeySigner, NewCASigner,
	// NewFulcioSigner).
	Signer attest.Signer
	// Attacher attaches the signed summary to the image.
	Attacher Attacher
	// PolicyURI is the summary's policy.uri: where the policy this gate
	// runs is published. The revision that decided rides beside it
	// (vsa.AnnotationPolicyRevision).
	PolicyURI string
	// VerifiedLevels are written as verifiedLevels ("SLSA_BUILD_LEVEL_3"):
	// the levels the gate's verifiers and policy establish for what they
	// allow. The gate cannot infer a level; empty writes none.
	VerifiedLevels []string
}

// WithVSA makes the gate sign a SLSA Verification Summary v1 after every
// allowed image decision and attach it to the image. Its subjects are the
// manifests the gate verified, and it is attached to each: the pinned
// digest itself, or, for a multi-platform index verified with
// image.WithPlatform or image.WithAllPlatforms, the platform manifests
// (a gate that verified amd64 vouches for nothing else). It names iss.VerifierID, the time, the policy
// (iss.PolicyURI and the revision that decided), the digests of the
// Sigstore bundles the decision relied on (verified and not revoked) and
// iss.VerifiedLevels, with result PASSED. Each input names the manifest
// it was verified for ([VSAAnnotationManifest]), its predicate type,
// signer, key hint and builder, the lease ids of a secrets provenance and
// the facts this gate's policy read from it (vsa.Annotation*), so a gate
// trusting the summary applies its own revocations and its own policy to
// them, manifest by manifest. Decision.IssuedVSA names it and
// the allow's audit event carries its bundle digest ("vsa_issued").
//
// Fail closed: a summary that cannot be signed or attached turns the allow
// into a deny wrapping [ErrVSANotIssued], audited like every undecidable
// request. The summary is attached before the allow is audited, so when the
// audit sink then fails a summary exists for a decision that was not
// allowed; what it states (these attestations passed this policy) still
// holds, and the audit log remains the authority on what was deployed.
// Decisions about inline bundles issue no summary (there is no image to
// attach it to), nor do decisions taken on a trusted VSA
// ([WithTrustedVSAs]): nothing was verified again.
func WithVSA(iss VSAIssuer) Option {
	return func(c *config) error {
		if iss.Signer == nil || iss.Attacher == nil {
			return fmt.Errorf("%w: WithVSA needs a signer and an attacher", ErrConfig)
		}
		probe := vsa.Summary{Verifier: vsa.Verifier{ID: iss.VerifierID}, TimeVerified: time.Unix(0, 0),
			ResourceURI: "pkg:oci/probe", Policy: attest.ResourceDescriptor{URI: iss.PolicyURI},
			Result: vsa.Passed, VerifiedLevels: append([]string{}, iss.VerifiedLevels...)}
		if err := probe.Validate(); err != nil {
			return fmt.Errorf("%w: WithVSA: %w", ErrConfig, err)
		}
		iss.VerifiedLevels = probe.VerifiedLevels
		c.vsaIssuer = &iss
		return nil
	}
}

// VSATrust is one verifier whose summaries a gate accepts in place of
// verifying an image's attestations ([WithTrustedVSAs]).
type VSATrust struct {
	// VerifierID is the verifier.id the summary must name.
	VerifierID string
	// Verifier verifies the summary's bundle: its expectation must name
	// the identity that signs for VerifierID (a key, or a certificate
	// identity) and require vsa.PredicateType. The specification asks
	// consumers to accept only such signer-verifier pairs.
	Verifier *verify.Verifier
	// Revisions are the policy revisions accepted (vsa.Summary
	// PolicyRevision: the revision annotation the gate writes, or
	// "sha256:<hex>" of a third party's policy digest). At least one. A
	// summary whose policy has neither (only a URI, whose content may
	// change) is never accepted.
	Revisions []string
	// MaxAge is the freshness window: a summary whose timeVerified is
	// older is ignored. Required.
	MaxAge time.Duration
}

// WithTrustedVSAs makes the gate look, before verifying an image's
// attestations, for a verification summary by one of trust attached to
// every manifest this gate verifies (the pinned digest itself, or each
// platform manifest its platform options select: one summary must cover
// them all), and decide from it instead when it finds one that:
// verifies with that verifier's [verify.Verifier] for each of those
// manifests (signature, signer identity, subject), names the verifier's VerifierID,
// says PASSED, names an accepted policy revision, was made within MaxAge
// (and at most [MaxVSASkew] ahead of the gate's clock), whose signer is not
// revoked, nor the signers, keys and builders of the attestations it names
// as inputs, and whose build received no compromised credential
// ([WithRevocations], checked on every decision); whose resourceUri, when
// it is an OCI package URL (as [WithVSA] writes it), names the image's
// repository ([ErrVSAOtherRepository]); and which, when the gate requires
// several distinct signers (image.WithThreshold), names that many among
// the inputs of each manifest ([ErrVSASigners]). A gate's own summaries
// name all of these; a third party's may not, and then only its signer is
// checked — except leases: with a Leases checker, a summary that does not
// say which leases reached the build (an input without its predicate type,
// a secrets provenance input without its lease ids, no inputs) is not
// relied on ([ErrVSALeasesUnknown]). The newest such summary is used.
//
// The gate's own deploy policy then decides, on the deploying job and the
// artifacts as the summary describes them (the image, or each platform
// manifest this gate verifies, as on full verification): Verified, the
// facts the summary carries about the inputs verified for that manifest
// as its attestations (those a gate's own summaries carry, none for a
// third party's; see [VSAAnnotationManifest]), marked with its leases as
// on full verification, and [policy.VerificationSummary] in Artifact.VSA
// (verifier, signer, policy revision, time, levels, inputs).
// Rules about the job apply as on full verification; a rule that needs a
// fact the summary does not carry sees it absent, which the built-in rules
// treat as a deny. When that policy allows, the decision is an allow with
// Decision.TrustedVSA naming the summary and Decision.PolicyRevision this
// gate's revision; the allow's audit event carries the summary's bundle
// digest ("vsa") and revision ("vsa_policy_revision").
//
// A summary that fails any check — untrusted verifier, another digest or
// repository, stale, revoked, FAILED, an unaccepted revision, too few
// signers, unreadable, or this gate's policy denies on it (its own
// verdict: an evaluator in Warn or DryRun mode that admits a deny does not
// make the summary one to rely on) — is ignored and the gate verifies the
// attestations as it would without this option, so a deny's reasons are
// always those of full verification: a summary can save work, never turn
// a deny into an allow nor an allow into a deny. So does a lookup that
// fails. A policy that cannot answer is an undecided request.
//
// What is still delegated: the trusted verifier's word that the
// attestations it names verified, and the facts it reports from them. A
// custom policy that reads more of a predicate than the facts hold (the
// raw predicate is never carried) must deny when it is absent, or test
// Artifact.VSA.
//
// Only summaries annotated with their predicate type (as attest/attach,
// cosign v3 and GitHub annotate them) are fetched. The lookup is bounded by
// Limits.Timeout, and so is the verification that follows when no summary
// is accepted: such a decision may take up to twice the timeout, and costs
// the lookup's requests (manifest, referrers list, each summary) and, when
// the policy denied on the summary, one more evaluation, on top of full
// verification. WithTrustedVSAs and [WithInventory] conflict: a summary
// carries no SBOM, so the admission could not be indexed.
func WithTrustedVSAs(trust ...VSATrust) Option {
	return func(c *config) error {
		if len(trust) == 0 {
			return fmt.Errorf("%w: WithTrustedVSAs needs at least one verifier", ErrConfig)
		}
		if c.vsaTrust == nil {
			c.vsaTrust = map[string]VSATrust{}
		}
		for _, t := range trust {
			switch {
			case t.VerifierID == "" || t.Verifier == nil:
				return fmt.Errorf("%w: a trusted VSA verifier needs a verifier id and a *verify.Verifier", ErrConfig)
			case len(t.Revisions) == 0 || slices.Contains(t.Revisions, ""):
				return fmt.Errorf("%w: trusted VSA verifier %q needs accepted policy revisions", ErrConfig, t.VerifierID)
			case t.MaxAge <= 0:
				return fmt.Errorf("%w: trusted VSA verifier %q needs a positive MaxAge", ErrConfig, t.VerifierID)
			}
			if _, dup := c.vsaTrust[t.VerifierID]; dup {
				return fmt.Errorf("%w: verifier %q is trusted twice", ErrConfig, t.VerifierID)
			}
			t.Revisions = slices.Clone(t.Revisions)
			c.vsaTrust[t.VerifierID] = t
		}
		return nil
	}
}

// VSAInfo names a verification summary: who verified, the digest of its
// Sigstore bundle, who signed it, when it was made and the policy revision
// it names.
type VSAInfo struct {
	Verifier       string    `json:"verifier"`
	Bundle         string    `json:"bundle"`
	Signer         string    `json:"signer,omitempty"`
	TimeVerified   time.Time `json:"time_verified"`
	PolicyRevision string    `json:"policy_revision,omitempty"`
}

// setupVSA checks the VSA options against the others and builds the image
// verifier that looks for trusted summaries, with the gate's image options
// and only VSA artifacts fetched.
func (g *Gate) setupVSA(iopts []image.Option) error {
	if len(g.cfg.vsaTrust) == 0 {
		return nil
	}
	if g.cfg.inventory != nil {
		return fmt.Errorf("%w: WithTrustedVSAs and WithInventory conflict (a summary carries no SBOM to index)", ErrConfig)
	}
	iv, err := image.NewVerifier(image.BundleVerifierFunc(g.verifyVSABundle),
		slices.Concat(iopts, []image.Option{image.WithPredicateTypes(vsa.PredicateType)})...)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	g.vsaImages = iv
	return nil
}

// verifyVSABundle verifies a summary bundle with the verifier trusted for
// the verifier.id it claims, and with no other, as verifyOne routes by
// predicate type: the claim only routes, and checkVSA requires the strictly
// parsed summary of the verified statement to name the same verifier.
func (g *Gate) verifyVSABundle(ctx context.Context, bundle []byte, artifact v1.Hash) (image.BundleResult, error) {
	pt, id := claimedVSA(bundle)
	if pt != vsa.PredicateType {
		return image.BundleResult{}, &UnexpectedPredicateTypeError{Got: pt}
	}
	t, ok := g.cfg.vsaTrust[id]
	if !ok {
		return image.BundleResult{}, fmt.Errorf("%w: %q", ErrVSAUntrusted, clip.String(id, 128))
	}
	a, err := verify.ArtifactDigest(artifact.Algorithm, artifact.Hex)
	if err != nil {
		return image.BundleResult{}, err
	}
	if err := chargeBundle(ctx); err != nil {
		return image.BundleResult{}, err
	}
	vr, err := t.Verifier.Verify(ctx, bundle, a)
	if err != nil {
		return image.BundleResult{}, err
	}
	return image.BundleResult{Signer: signerName(vr), PredicateType: vsa.PredicateType, Result: vr}, nil
}

// claimedVSA reads, without verifying anything, the predicate type and,
// for a VSA, the verifier.id a DSSE bundle's statement claims (see
// claimedStatement). Size is bounded by image.MaxBundleSize.
func claimedVSA(bundle []byte) (predicateType, verifierID string) {
	st := claimedStatement(bundle)
	pt, _ := claimedString(st, "predicateType")
	if pt != vsa.PredicateType {
		return pt, ""
	}
	id, _ := claimedString(st, "predicate", "verifier", "id")
	return pt, id
}

// claimedVerifier is the verifier.id of a predicate read as claimedVSA
// reads it.
func claimedVerifier(predicate []byte) string {
	id, _ := claimedString(predicate, "verifier", "id")
	return id
}

// decideByVSA looks for a trusted summary of ref (req.Image as parseImage
// read it) and, when one is
// acceptable and this gate's policy allows the job to deploy what it says,
// decides and audits the allow. Otherwise it returns the reference to
// verify in full: the pinned digest when the lookup pinned one, so both
// steps see the same artifact. A policy that cannot answer is an undecided
// request, as on full verification.
func (g *Gate) decideByVSA(ctx context.Context, id identity.Identity, req Request, ref name.Reference, d *Decision) (name.Reference, bool, error) {
	res, _, err := g.vsaFlights.verifyImage(ctx, g.vsaImages, ref, g.verification)
	if err != nil {
		g.cfg.log.DebugContext(ctx, "VSA lookup failed; verifying the attestations", "image", ref.String(), "err", err)
		return ref, false, nil
	}
	use := g.pickVSA(ctx, res)
	if use == nil {
		return res.Digest, false, nil
	}
	arts := vsaArtifacts(res, use)
	var facts int
	for i := range arts {
		g.cfg.revocations.markLeases(&arts[i])
		facts += len(arts[i].Attestations)
	}
	pd, err := g.eval.Evaluate(ctx, policy.Input{Action: policy.ActionDeploy, Job: policy.JobFromIdentity(id), Artifacts: arts})
	if err != nil {
		return nil, true, withhold(errPolicyFailed, "policy evaluation failed; the request is undecided", err)
	}
	if !pd.Allowed || !pd.PolicyAllowed || len(pd.Violations) > 0 {
		// What the summary carries does not satisfy this gate's policy
		// (a rule about the job, or one that needs facts the summary does
		// not hold): the attestations decide, and their deny says why.
		// So when an evaluator in Warn or DryRun mode admits what its
		// policy denies: the violations it reports are full
		// verification's, never those of the facts a summary happened to
		// carry, nor none at all.
		g.cfg.log.DebugContext(ctx, "verification summary ignored", "artifact", use.info.Bundle,
			"err", fmt.Errorf("%w: %s", ErrVSAPolicyDenied, pd))
		return res.Digest, false, nil
	}
	d.Digest, d.Verified, d.TrustedVSA, d.PolicyRevision = res.Digest.DigestStr(), true, &use.info, pd.Revision
	d.VerdictSource = VerdictVSA
	d.Attestations = []AttestationInfo{{PredicateType: vsa.PredicateType, Signer: use.info.Signer, Verified: true}}
	ev := g.event(id, res.Digest.Context().Name()+"@"+d.Digest, audit.OutcomeAllow, "allowed by policy on a trusted verification summary")
	ev.PolicyRevision = pd.Revision
	ev.Attributes = map[string]string{"verified": "true", "attestations": strconv.Itoa(facts),
		"vsa": use.info.Bundle, "vsa_verifier": use.info.Verifier, "vsa_policy_revision": use.info.PolicyRevision,
		"vsa_time": use.info.TimeVerified.Format(time.RFC3339Nano)}
	markDryRun(req, &ev)
	// As on full verification: no allow recorded for a caller gone.
	if ctx.Err() != nil {
		return nil, true, fmt.Errorf("%w: %w", ErrUndecided, context.Cause(ctx))
	}
	if err := g.audit(ctx, ev); err != nil {
		return nil, true, err
	}
	d.AuditID = ev.ID
	d.Allowed, d.Outcome = true, OutcomeAllow
	return res.Digest, true, nil
}

// trustedVSA is a summary that passed checkVSA, with the facts it carries
// for policy and the digests of its subjects.
type trustedVSA struct {
	info     VSAInfo
	summary  *vsa.Summary
	facts    []summaryFact
	subjects []string
}

// summaryFact is the policy input a summary carries for one input
// attestation, and the manifest it names (VSAAnnotationManifest; "" when
// it names none).
type summaryFact struct {
	manifest string
	att      policy.Attestation
}

// pickVSA returns the newest acceptable summary that covers every manifest
// this gate verifies (the pinned digest itself, or each platform manifest
// its platform options select), or nil. The image verifier verified each
// summary for the manifest it is attached to, so a summary found and
// accepted on every target vouches for all of them; one that covers only
// some (issued by a gate that verified other platforms) is ignored.
// Revocation, result, revision and freshness are checked here, per
// decision, never inside the (cached) verification.
func (g *Gate) pickVSA(ctx context.Context, res *image.Result) *trustedVSA {
	now, repo := g.cfg.now(), res.Digest.Context()
	found := map[string]*trustedVSA{} // by bundle digest
	covers := map[string]int{}        // targets each bundle was accepted for
	for _, t := range res.Targets {
		onTarget := map[string]bool{}
		for _, a := range t.Attestations {
			s, facts, why := g.checkVSA(now, repo, a)
			if why == nil {
				why = meetsThreshold(s, subjectDigests(a.Result.Statement), t.Digest.String(), res.Threshold)
			}
			if why != nil {
				g.cfg.log.DebugContext(ctx, "verification summary ignored", "artifact", a.Artifact.String(), "err", why)
				continue
			}
			k := a.Bundle.String()
			if onTarget[k] {
				continue
			}
			onTarget[k] = true
			covers[k]++
			if found[k] == nil {
				found[k] = &trustedVSA{summary: s, facts: facts, subjects: subjectDigests(a.Result.Statement), info: VSAInfo{Verifier: s.Verifier.ID,
					Bundle: k, Signer: a.Signer, TimeVerified: s.TimeVerified, PolicyRevision: s.PolicyRevision()}}
			}
		}
	}
	var best *trustedVSA
	for _, k := range slices.Sorted(maps.Keys(found)) {
		c := found[k]
		if covers[k] != len(res.Targets) {
			g.cfg.log.DebugContext(ctx, "verification summary ignored", "bundle", k,
				"err", fmt.Errorf("%w: it covers %d of %d manifests", ErrVSAOtherManifest, covers[k], len(res.Targets)))
			continue
		}
		if best == nil || c.summary.TimeVerified.After(best.summary.TimeVerified) {
			best = c
		}
	}
	return best
}

// checkVSA returns the summary of a, found in repo, and the facts it
// carries for policy, or why it cannot be relied on.
func (g *Gate) checkVSA(now time.Time, repo name.Repository, a image.Attestation) (*vsa.Summary, []summaryFact, error) {
	switch {
	case a.Err != nil:
		return nil, nil, fmt.Errorf("%w: %w", ErrVSAIgnored, a.Err)
	case a.Result == nil:
		return nil, nil, fmt.Errorf("%w: verified without a result", ErrVSAIgnored)
	}
	if err := g.cfg.revocations.check(a.Result); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrVSAIgnored, err)
	}
	s, err := vsa.FromStatement(a.Result.Statement)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrVSAIgnored, err)
	}
	if err := g.cfg.revocations.checkInputs(s); err != nil {
		return nil, nil, fmt.Errorf("%w: an input attestation: %w", ErrVSAIgnored, err)
	}
	tr, ok := g.cfg.vsaTrust[s.Verifier.ID]
	switch {
	// The bundle was verified with the verifier trusted for the id its
	// statement claims, read leniently to route it; the summary relied on
	// is the strict reading, which must name that same verifier.
	case !ok || claimedVerifier(a.Result.Statement.Predicate) != s.Verifier.ID:
		return nil, nil, fmt.Errorf("%w: %q", ErrVSAUntrusted, clip.String(s.Verifier.ID, 128))
	case s.Result != vsa.Passed:
		return nil, nil, fmt.Errorf("%w: %s", ErrVSANotPassed, s.Result)
	case !slices.Contains(tr.Revisions, s.PolicyRevision()):
		return nil, nil, fmt.Errorf("%w: %q", ErrVSARevision, clip.String(s.PolicyRevision(), 128))
	case now.Sub(s.TimeVerified) > tr.MaxAge:
		return nil, nil, fmt.Errorf("%w: made %s, older than %s", ErrVSAStale, s.TimeVerified.Format(time.RFC3339), tr.MaxAge)
	case s.TimeVerified.After(now.Add(MaxVSASkew)):
		return nil, nil, fmt.Errorf("%w: made %s, in the future", ErrVSAStale, s.TimeVerified.Format(time.RFC3339))
	}
	if err := aboutRepository(s.ResourceURI, repo); err != nil {
		return nil, nil, err
	}
	facts, err := summaryFacts(s)
	if err != nil {
		return nil, nil, err
	}
	if subjects := subjectDigests(a.Result.Statement); len(subjects) != 1 {
		for _, f := range facts {
			if f.manifest == "" {
				return nil, nil, fmt.Errorf("%w: facts of a summary of %d manifests that do not name their manifest", ErrVSAPolicyInput, len(subjects))
			}
		}
	}
	return s, facts, nil
}

// meetsThreshold refuses a summary that names fewer distinct signers
// (certificate SAN, or key hint) among the inputs verified for manifest
// than the gate's signer threshold: full verification would find the
// manifest unverified, and a summary by a verifier with a lower
// threshold must not lower this gate's. An input that names no manifest
// is about the summary's one subject. At the default threshold of one the
// trusted verifier's word stands, as it does for a third party's summary
// that names no signers.
func meetsThreshold(s *vsa.Summary, subjects []string, manifest string, threshold int) error {
	if threshold <= 1 {
		return nil
	}
	signers := map[string]bool{}
	for _, in := range s.InputAttestations {
		str := func(k string) string { v, _ := in.Annotations[k].(string); return v }
		m := str(VSAAnnotationManifest)
		if m != manifest && (m != "" || len(subjects) != 1 || subjects[0] != manifest) {
			continue
		}
		switch san, hint := str(vsa.AnnotationSigner), str(vsa.AnnotationKeyHint); {
		case san != "":
			signers["san "+san] = true
		case hint != "":
			signers["key "+hint] = true
		}
	}
	if len(signers) < threshold {
		return fmt.Errorf("%w: %d of %d for %s", ErrVSASigners, len(signers), threshold, manifest)
	}
	return nil
}

// aboutRepository refuses a summary whose resourceUri is an OCI package
// URL naming another repository than repo: by its name (the repository's
// last path segment, as [WithVSA] writes it) or its repository_url
// qualifier. Subjects name digests only, and referrers can be copied with
// a manifest: without this, a summary of acme/app@D, whose attestations
// were verified in acme/app, would stand for acme/copy@D, where none may
// be. A resourceUri of another form (a third party's convention) is not
// read; its subjects alone bind it. The scheme and type of a package URL
// are case-insensitive, so "pkg:OCI/" is an OCI package URL too, and is
// checked (or refused, if it does not parse), never passed over. The name
// compares without ASCII case only: "\u212ait" (the Kelvin sign) names no
// repository a registry holds, not kit. The prefix test folds Unicode on
// purpose: "p\u212ag:oci/" is read, and refused, rather than passed over.
func aboutRepository(uri string, repo name.Repository) error {
	if !strings.HasPrefix(strings.ToLower(uri), "pkg:oci/") {
		return nil
	}
	p, err := vex.ParsePURL(uri)
	if err != nil {
		return fmt.Errorf("%w: resourceUri: %w", ErrVSAOtherRepository, err)
	}
	if !asciifold.Equal(p.Name, path.Base(repo.RepositoryStr())) {
		return fmt.Errorf("%w: resourceUri names %q, not %s", ErrVSAOtherRepository, clip.String(p.Name, 128), repo.Name())
	}
	if u, ok := p.Qualifiers["repository_url"]; ok {
		r, err := name.NewRepository(u, name.StrictValidation)
		if err != nil || r.Name() != repo.Name() {
			return fmt.Errorf("%w: resourceUri names %q, not %s", ErrVSAOtherRepository, clip.String(u, 128), repo.Name())
		}
	}
	return nil
}

// subjectDigests are the sha256 digests ("sha256:<hex>") of st's subjects.
func subjectDigests(st *attest.Statement) []string {
	var out []string
	for _, sub := range st.Subject {
		if h := sub.Digest[attest.AlgSHA256]; h != "" {
			out = append(out, attest.AlgSHA256+":"+h)
		}
	}
	return out
}

// attestationSchema is the policy input form of one attestation, for the
// strict reading of the facts a summary carries.
var attestationSchema = sync.OnceValue(func() *strictjson.Schema {
	return strictjson.SchemaOf(reflect.TypeFor[policy.Attestation]())
})

// summaryFacts reads, strictly, the facts a summary carries for policy
// (vsa.AnnotationPolicyInput) on each input that has them, with the
// manifest the input names (VSAAnnotationManifest, a string when present).
// Each must be one attestation in the policy input form, of the predicate
// type the input names; an input without facts contributes none.
func summaryFacts(s *vsa.Summary) ([]summaryFact, error) {
	var out []summaryFact
	for i, in := range s.InputAttestations {
		v, ok := in.Annotations[vsa.AnnotationPolicyInput]
		if !ok {
			continue
		}
		b, err := json.Marshal(v)
		if err == nil && (len(b) == 0 || b[0] != '{') {
			err = errors.New("not a JSON object")
		}
		if err == nil {
			err = attestationSchema().CheckUnvalidated(b)
		}
		var att policy.Attestation
		if err == nil {
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			err = dec.Decode(&att)
		}
		if pt, _ := in.Annotations[vsa.AnnotationPredicateType].(string); err == nil && att.PredicateType != pt {
			err = fmt.Errorf("predicate type %q, the input names %q", clip.String(att.PredicateType, 128), clip.String(pt, 128))
		}
		manifest, named := in.Annotations[VSAAnnotationManifest]
		m, isString := manifest.(string)
		if err == nil && named && (!isString || m == "") {
			err = errors.New("the manifest it names is not a digest string")
		}
		if err != nil {
			return nil, fmt.Errorf("%w: inputAttestations[%d]: %w", ErrVSAPolicyInput, i, err)
		}
		out = append(out, summaryFact{manifest: m, att: att})
	}
	return out, nil
}

// vsaArtifacts are the artifacts policy decides on for the image res
// pinned, verified by the trusted summary t, as full verification would
// give them ([ImageArtifacts]): the pinned image, or each platform manifest
// this gate verifies. Each is verified, carries the summary itself and the
// facts t carries about the inputs verified for that manifest (an input
// that names no manifest is about the summary's one subject: checkVSA
// refused the others), ordered as [Artifact] orders them.
func vsaArtifacts(res *image.Result, t *trustedVSA) []policy.Artifact {
	manifests := []string{res.Digest.DigestStr()}
	if !verifiedAsItself(res) {
		manifests = manifests[:0]
		for _, h := range targetDigests(res) {
			manifests = append(manifests, h.String())
		}
	}
	arts := make([]policy.Artifact, 0, len(manifests))
	for _, m := range manifests {
		var atts []policy.Attestation
		for _, f := range t.facts {
			if f.manifest == m || (f.manifest == "" && len(t.subjects) == 1 && t.subjects[0] == m) {
				atts = append(atts, f.att)
			}
		}
		arts = append(arts, vsaArtifact(res.Digest.Context().Name(), m, t, atts))
	}
	return arts
}

// vsaArtifact is the policy's view of the manifest name@digest verified by
// the trusted summary t: verified, atts (the facts t carries about it) as
// its attestations, and the summary itself.
func vsaArtifact(name, digest string, t *trustedVSA, atts []policy.Attestation) policy.Artifact {
	s := t.summary
	art := policy.Artifact{Name: name, Digest: digest, Verified: true, Attestations: atts,
		VSA: &policy.VerificationSummary{Verifier: s.Verifier.ID, Signer: t.info.Signer, PolicyRevision: s.PolicyRevision(),
			TimeVerified: s.TimeVerified.UTC().Format(time.RFC3339Nano), VerifiedLevels: s.VerifiedLevels}}
	sortAttestations(art.Attestations)
	if len(art.Attestations) > 0 {
		art.Signer = art.Attestations[0].Signer
	}
	for _, in := range s.InputAttestations {
		str := func(k string) string { v, _ := in.Annotations[k].(string); return v }
		var digest string
		if h := in.Digest[attest.AlgSHA256]; h != "" {
			digest = attest.AlgSHA256 + ":" + h
		}
		art.VSA.Inputs = append(art.VSA.Inputs, policy.SummaryInput{Digest: digest, PredicateType: str(vsa.AnnotationPredicateType),
			Signer: str(vsa.AnnotationSigner), Builder: str(vsa.AnnotationBuilder)})
	}
	return art
}

// vsaInputs are the bundles an image decision relied on: the verified,
// unrevoked attestations (verified), by the digest of their bundle and the
// artifact that holds it, annotated with the manifest each was verified
// for (VSAAnnotationManifest), their predicate type, with what
// revocations match (signer, key hint, builder, the leases of a secrets
// provenance) and with the facts policy read from them, so a gate trusting
// the summary can apply its own revocations and its own policy.
func vsaInputs(res *image.Result, verified []*verify.Result, convert func(*verify.Result) policy.Attestation) []attest.ResourceDescriptor {
	var out []attest.ResourceDescriptor
	for _, t := range res.Targets {
		for _, a := range t.Attestations {
			if a.Result == nil || !slices.Contains(verified, a.Result) || a.Bundle.Hex == "" {
				continue
			}
			ann := inputAnnotations(a.Result, convert(a.Result))
			ann[VSAAnnotationManifest] = t.Digest.String()
			out = append(out, attest.ResourceDescriptor{
				URI:         "oci://" + res.Digest.Context().Name() + "@" + a.Artifact.String(),
				Digest:      attest.DigestSet{a.Bundle.Algorithm: a.Bundle.Hex},
				Annotations: ann,
			})
		}
	}
	return out
}

// inputAnnotations are the vsa.Annotation* values of one verified input.
// att is the policy view of r ([Attestation]).
func inputAnnotations(r *verify.Result, att policy.Attestation) map[string]any {
	ann := map[string]any{}
	if att.PredicateType != "" {
		ann[vsa.AnnotationPredicateType] = att.PredicateType
	}
	if san := r.Signer.SAN; san != "" {
		ann[vsa.AnnotationSigner] = san
	}
	// The key that verified the bundle (keyID), not the hint the bundle
	// chose: a trusting gate revokes and counts signers by it.
	if key := keyID(r.Signer); key != "" {
		ann[vsa.AnnotationKeyHint] = key
	}
	if p := att.Provenance; p != nil && p.BuilderID != "" {
		ann[vsa.AnnotationBuilder] = p.BuilderID
	}
	if sp := att.SecretsProvenance; sp != nil {
		leases := make([]any, len(sp.Credentials))
		for i, c := range sp.Credentials {
			leases[i] = c.LeaseID
		}
		ann[vsa.AnnotationLeases] = leases
	}
	// The facts go as a JSON object; a value that does not round-trip
	// (it cannot: it was read from JSON) is left out, and a trusting
	// gate's policy then sees no facts for this input and denies.
	att.Predicate = nil
	if b, err := json.Marshal(att); err == nil {
		var facts map[string]any
		if decodeExact(b, &facts) == nil {
			ann[vsa.AnnotationPolicyInput] = facts
		}
	}
	return ann
}

// checkInputs applies the gate's revocations to the attestations a summary
// says it relied on, as far as it names their signers, keys, builders and
// leases. With a Leases checker, a summary must account for the leases of
// its build: every input names its predicate type and every secrets
// provenance input its leases, or the summary is not relied on.
func (r Revocations) checkInputs(s *vsa.Summary) error {
	if r.Leases != nil && len(s.InputAttestations) == 0 {
		return fmt.Errorf("%w: it names no input attestations", ErrVSALeasesUnknown)
	}
	for _, in := range s.InputAttestations {
		str := func(k string) string { v, _ := in.Annotations[k].(string); return v }
		san, hint, builder := str(vsa.AnnotationSigner), str(vsa.AnnotationKeyHint), str(vsa.AnnotationBuilder)
		switch {
		case r.Signers != nil && san != "" && r.Signers.Compromised(san):
			return &RevokedError{Kind: "signer", ID: san}
		case r.Keys != nil && hint != "" && r.Keys.Compromised(hint):
			return &RevokedError{Kind: "key", ID: hint}
		case r.Builders != nil && builder != "":
			if id, revoked := builderRevoked(r.Builders, builder); revoked {
				return &RevokedError{Kind: "builder", ID: id}
			}
		}
		if r.Leases == nil {
			continue
		}
		switch pt := str(vsa.AnnotationPredicateType); pt {
		case "":
			return fmt.Errorf("%w: an input does not name its predicate type", ErrVSALeasesUnknown)
		case secretsprov.PredicateType:
			leases, ok := stringList(in.Annotations[vsa.AnnotationLeases])
			if !ok {
				return fmt.Errorf("%w: a secrets provenance input does not list its leases", ErrVSALeasesUnknown)
			}
			for _, l := range leases {
				if r.Leases.Compromised(l) {
					return &RevokedError{Kind: "lease", ID: l}
				}
			}
		}
	}
	return nil
}

// stringList reads an annotation that must be an array of strings (as
// encoding/json decodes one).
func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(list))
	for i, x := range list {
		if out[i], ok = x.(string); !ok {
			return nil, false
		}
	}
	return out, true
}

// imageBasis is what an attestation the gate issues about one image
// verification states: the attestations relied on (inputs, for a summary;
// nil when the gate issues none) and the manifests verified (targets: the
// pinned digest itself, or each platform manifest the gate's platform
// options selected), which are its subjects.
type imageBasis struct {
	inputs  []attest.ResourceDescriptor
	targets []v1.Hash
}

// targetDigests are the manifests an image verification verified.
func targetDigests(res *image.Result) []v1.Hash {
	out := make([]v1.Hash, 0, len(res.Targets))
	for _, t := range res.Targets {
		out = append(out, t.Digest)
	}
	return out
}

// issueVSA signs a summary of an allowed image decision (WithVSA) and
// attaches it to every manifest it is about. Its subjects are the manifests the gate
// verified, not always the pinned digest: a gate verifying one platform of
// an index (image.WithPlatform) vouches for that platform's manifest only,
// so a gate that verifies the index itself, or another platform, never
// finds the summary where it looks. basis is nil for inline bundles and
// when the gate issues no attestations.
func (g *Gate) issueVSA(ctx context.Context, art policy.Artifact, basis *imageBasis, revision string, d *Decision, ev *audit.Event) error {
	iss := g.cfg.vsaIssuer
	if iss == nil || basis == nil {
		return nil
	}
	img, err := name.NewDigest(art.Name+"@"+art.Digest, name.StrictValidation)
	if err != nil {
		return withhold(ErrVSANotIssued, "allowed image's verification summary not issued; denying", err)
	}
	h, err := v1.NewHash(art.Digest)
	if err != nil {
		return withhold(ErrVSANotIssued, "allowed image's verification summary not issued; denying", err)
	}
	repo := img.Context()
	s := vsa.Summary{
		Verifier:          vsa.Verifier{ID: iss.VerifierID},
		TimeVerified:      g.cfg.now().UTC(),
		ResourceURI:       "pkg:oci/" + path.Base(repo.RepositoryStr()) + "@" + h.Algorithm + "%3A" + h.Hex + "?repository_url=" + repo.Name(),
		Policy:            attest.ResourceDescriptor{URI: iss.PolicyURI, Annotations: map[string]any{vsa.AnnotationPolicyRevision: revision}},
		InputAttestations: basis.inputs,
		Result:            vsa.Passed,
		VerifiedLevels:    iss.VerifiedLevels,
	}
	if revision == "" {
		s.Policy.Annotations = nil
	}
	bundle, err := attestManifests(ctx, iss.Signer, iss.Attacher, repo, basis.targets, vsa.Predicate(s))
	if err != nil {
		// The signer's and the registry's errors may name a KMS key URI
		// or a registry address with credentials: withheld.
		return withhold(ErrVSANotIssued, "allowed image's verification summary not issued; denying", fmt.Errorf("%s: %w", art.Digest, err))
	}
	d.IssuedVSA = &VSAInfo{Verifier: iss.VerifierID, Bundle: bundle, TimeVerified: s.TimeVerified, PolicyRevision: revision}
	ev.Attributes["vsa_issued"] = bundle
	return nil
}
