package gate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/attest/vsa"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
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
	// ErrVSAOtherManifest: it is about a platform manifest, not the pinned
	// digest.
	ErrVSAOtherManifest = fmt.Errorf("%w: not about the pinned digest", ErrVSAIgnored)
)

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
// allowed image decision and attach it to the image. The summary's subject
// is the pinned digest; it names iss.VerifierID, the time, the policy
// (iss.PolicyURI and the revision that decided), the digests of the
// Sigstore bundles the decision relied on (verified and not revoked) and
// iss.VerifiedLevels, with result PASSED. Each input names its signer, key
// hint and builder (vsa.AnnotationSigner, AnnotationKeyHint,
// AnnotationBuilder), so a gate trusting the summary applies its own
// revocations to them. Decision.IssuedVSA names it and
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
// attestations, for a verification summary attached to the pinned digest
// by one of trust, and decide from it alone when it finds one that:
// verifies with that verifier's [verify.Verifier] for the pinned digest
// (signature, signer identity, subject), names the verifier's VerifierID,
// says PASSED, names an accepted policy revision, was made within MaxAge
// (and at most [MaxVSASkew] ahead of the gate's clock), and whose signer
// is not revoked, nor the signers, keys and builders of the attestations it
// names as inputs ([WithRevocations], checked on every decision; a gate's
// own summaries name them, a third party's may not, and then only its
// signer is checked). The newest such summary is used; Decision.TrustedVSA
// names it and the allow's audit event carries its bundle digest ("vsa").
//
// A summary that fails any check — untrusted verifier, another digest,
// stale, revoked, FAILED, an unaccepted revision, unreadable — is ignored
// and the gate verifies the attestations as it would without this option:
// a summary can save work, never turn a deny into an allow nor an allow into
// a deny. So does a lookup that fails.
//
// What is delegated: an allow from a summary takes the verifier's word for
// the artifact and its policy decision. The deploying job is still
// authenticated and checked against job revocations, but this gate's deploy
// policy is not evaluated: rules about the deploying job (a protected ref)
// hold only as far as the trusted verifier's policy checked the job that
// asked it. Trust summaries only from gates whose policy revision covers
// what this gate would require.
//
// Only summaries annotated with their predicate type (as attest/attach,
// cosign v3 and GitHub annotate them) are fetched. The lookup is bounded by
// Limits.Timeout, and so is the verification that follows when no summary
// is accepted: such a decision may take up to twice the timeout, and costs
// the lookup's requests (manifest, referrers list, each summary) on top of
// full verification. WithTrustedVSAs and
// [WithInventory] conflict: a summary carries no SBOM, so the admission
// could not be indexed.
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
		return image.BundleResult{}, fmt.Errorf("%w: %q", ErrVSAUntrusted, truncate(id))
	}
	a, err := verify.ArtifactDigest(artifact.Algorithm, artifact.Hex)
	if err != nil {
		return image.BundleResult{}, err
	}
	vr, err := t.Verifier.Verify(ctx, bundle, a)
	if err != nil {
		return image.BundleResult{}, err
	}
	return image.BundleResult{Signer: signerName(vr), PredicateType: vsa.PredicateType, Result: vr}, nil
}

// claimedVSA reads, without verifying anything, the predicate type and,
// for a VSA, the verifier.id a DSSE bundle's statement claims. Size is
// bounded by image.MaxBundleSize.
func claimedVSA(bundle []byte) (predicateType, verifierID string) {
	var b struct {
		DSSE *struct {
			PayloadType string `json:"payloadType"`
			Payload     []byte `json:"payload"`
		} `json:"dsseEnvelope"`
	}
	if json.Unmarshal(bundle, &b) != nil || b.DSSE == nil || b.DSSE.PayloadType != attest.PayloadType {
		return "", ""
	}
	var st struct {
		PredicateType string `json:"predicateType"`
		Predicate     struct {
			Verifier struct {
				ID string `json:"id"`
			} `json:"verifier"`
		} `json:"predicate"`
	}
	if json.Unmarshal(b.DSSE.Payload, &st) != nil {
		return "", ""
	}
	if st.PredicateType != vsa.PredicateType {
		return st.PredicateType, ""
	}
	return st.PredicateType, st.Predicate.Verifier.ID
}

// claimedVerifier is the verifier.id of a predicate read as claimedVSA
// reads it.
func claimedVerifier(predicate []byte) string {
	var p struct {
		Verifier struct {
			ID string `json:"id"`
		} `json:"verifier"`
	}
	if json.Unmarshal(predicate, &p) != nil {
		return ""
	}
	return p.Verifier.ID
}

// decideByVSA looks for a trusted summary of req.Image and, when one is
// acceptable, decides and audits the allow. Otherwise it returns the
// reference to verify in full: the pinned digest when the lookup pinned
// one, so both steps see the same artifact.
func (g *Gate) decideByVSA(ctx context.Context, id identity.Identity, req Request, d *Decision) (ref name.Reference, decided bool, err error) {
	ref, err = name.ParseReference(req.Image, name.StrictValidation)
	if err != nil {
		return nil, false, fmt.Errorf("%w: image: %w", ErrBadRequest, err)
	}
	if len(g.cfg.registries) > 0 && !slices.Contains(g.cfg.registries, ref.Context().RegistryStr()) {
		return nil, false, fmt.Errorf("%w: %q", ErrRegistryNotAllowed, ref.Context().RegistryStr())
	}
	res, err := g.vsaFlights.verifyImage(ctx, g.vsaImages, ref, g.withTimeout)
	if err != nil {
		g.cfg.log.DebugContext(ctx, "VSA lookup failed; verifying the attestations", "image", ref.String(), "err", err)
		return ref, false, nil
	}
	use := g.pickVSA(ctx, res)
	if use == nil {
		return res.Digest, false, nil
	}
	d.Digest, d.Verified, d.TrustedVSA, d.PolicyRevision = res.Digest.DigestStr(), true, use, use.PolicyRevision
	d.Attestations = []AttestationInfo{{PredicateType: vsa.PredicateType, Signer: use.Signer, Verified: true}}
	ev := g.event(id, res.Digest.Context().Name()+"@"+d.Digest, audit.OutcomeAllow, "allowed by a trusted verification summary")
	ev.PolicyRevision = use.PolicyRevision
	ev.Attributes = map[string]string{"verified": "true", "vsa": use.Bundle, "vsa_verifier": use.Verifier,
		"vsa_time": use.TimeVerified.Format(time.RFC3339Nano)}
	if err := g.sink.Write(ctx, ev); err != nil {
		return nil, true, fmt.Errorf("%w: audit: %w", ErrUndecided, err)
	}
	d.AuditID = ev.ID
	d.Allowed, d.Outcome = true, OutcomeAllow
	return res.Digest, true, nil
}

// pickVSA returns the newest acceptable summary of the pinned digest, or
// nil. Revocation, result, revision and freshness are checked here, per
// decision, never inside the (cached) verification.
func (g *Gate) pickVSA(ctx context.Context, res *image.Result) *VSAInfo {
	now := g.cfg.now()
	var best *VSAInfo
	for _, t := range res.Targets {
		for _, a := range t.Attestations {
			s, why := g.checkVSA(now, res, t.Digest, a)
			if why != nil {
				g.cfg.log.DebugContext(ctx, "verification summary ignored", "artifact", a.Artifact.String(), "err", why)
				continue
			}
			if best == nil || s.TimeVerified.After(best.TimeVerified) {
				best = &VSAInfo{Verifier: s.Verifier.ID, Bundle: a.Bundle.String(), Signer: a.Signer,
					TimeVerified: s.TimeVerified, PolicyRevision: s.PolicyRevision()}
			}
		}
	}
	return best
}

// checkVSA returns the summary of a, or why it cannot be relied on.
func (g *Gate) checkVSA(now time.Time, res *image.Result, target v1.Hash, a image.Attestation) (*vsa.Summary, error) {
	switch {
	case a.Err != nil:
		return nil, fmt.Errorf("%w: %w", ErrVSAIgnored, a.Err)
	case a.Result == nil:
		return nil, fmt.Errorf("%w: verified without a result", ErrVSAIgnored)
	case target.String() != res.Digest.DigestStr():
		return nil, ErrVSAOtherManifest
	}
	if err := g.cfg.revocations.check(a.Result); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrVSAIgnored, err)
	}
	s, err := vsa.FromStatement(a.Result.Statement)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrVSAIgnored, err)
	}
	if err := g.cfg.revocations.checkInputs(s); err != nil {
		return nil, fmt.Errorf("%w: an input attestation: %w", ErrVSAIgnored, err)
	}
	tr, ok := g.cfg.vsaTrust[s.Verifier.ID]
	switch {
	// The bundle was verified with the verifier trusted for the id its
	// statement claims, read leniently to route it; the summary relied on
	// is the strict reading, which must name that same verifier.
	case !ok || claimedVerifier(a.Result.Statement.Predicate) != s.Verifier.ID:
		return nil, fmt.Errorf("%w: %q", ErrVSAUntrusted, truncate(s.Verifier.ID))
	case s.Result != vsa.Passed:
		return nil, fmt.Errorf("%w: %s", ErrVSANotPassed, s.Result)
	case !slices.Contains(tr.Revisions, s.PolicyRevision()):
		return nil, fmt.Errorf("%w: %q", ErrVSARevision, truncate(s.PolicyRevision()))
	case now.Sub(s.TimeVerified) > tr.MaxAge:
		return nil, fmt.Errorf("%w: made %s, older than %s", ErrVSAStale, s.TimeVerified.Format(time.RFC3339), tr.MaxAge)
	case s.TimeVerified.After(now.Add(MaxVSASkew)):
		return nil, fmt.Errorf("%w: made %s, in the future", ErrVSAStale, s.TimeVerified.Format(time.RFC3339))
	}
	return s, nil
}

// vsaInputs are the bundles an image decision relied on: the verified,
// unrevoked attestations (verified), by the digest of their bundle and the
// artifact that holds it, annotated with what revocations match (signer,
// key hint, builder) so a gate trusting the summary can apply its own.
func vsaInputs(res *image.Result, verified []*verify.Result) []attest.ResourceDescriptor {
	var out []attest.ResourceDescriptor
	for _, t := range res.Targets {
		for _, a := range t.Attestations {
			if a.Result == nil || !slices.Contains(verified, a.Result) || a.Bundle.Hex == "" {
				continue
			}
			ann := map[string]any{}
			if san := a.Result.Signer.SAN; san != "" {
				ann[vsa.AnnotationSigner] = san
			}
			if hint := a.Result.Signer.KeyHint; hint != "" {
				ann[vsa.AnnotationKeyHint] = hint
			}
			if st := a.Result.Statement; st != nil && strings.HasPrefix(st.PredicateType, "https://slsa.dev/provenance/") {
				if f, err := verify.ReadProvenance(st); err == nil && f.BuilderID != "" {
					ann[vsa.AnnotationBuilder] = f.BuilderID
				}
			}
			if len(ann) == 0 {
				ann = nil
			}
			out = append(out, attest.ResourceDescriptor{
				URI:         "oci://" + res.Digest.Context().Name() + "@" + a.Artifact.String(),
				Digest:      attest.DigestSet{a.Bundle.Algorithm: a.Bundle.Hex},
				Annotations: ann,
			})
		}
	}
	return out
}

// checkInputs applies the gate's revocations to the attestations a summary
// says it relied on, as far as it names their signers and builders.
func (r Revocations) checkInputs(s *vsa.Summary) error {
	for _, in := range s.InputAttestations {
		str := func(k string) string { v, _ := in.Annotations[k].(string); return v }
		san, hint, builder := str(vsa.AnnotationSigner), str(vsa.AnnotationKeyHint), str(vsa.AnnotationBuilder)
		switch {
		case r.Signers != nil && san != "" && r.Signers.Compromised(san):
			return &RevokedError{Kind: "signer", ID: san}
		case r.Keys != nil && hint != "" && r.Keys.Compromised(hint):
			return &RevokedError{Kind: "key", ID: hint}
		case r.Builders != nil && builder != "" && r.Builders.Compromised(builder):
			return &RevokedError{Kind: "builder", ID: builder}
		}
	}
	return nil
}

// issueVSA signs and attaches the summary of an allowed image decision
// (WithVSA); a no-op without it or for inline bundles.
func (g *Gate) issueVSA(ctx context.Context, req Request, art policy.Artifact, inputs []attest.ResourceDescriptor, revision string, d *Decision, ev *audit.Event) error {
	iss := g.cfg.vsaIssuer
	if iss == nil || req.Image == "" {
		return nil
	}
	img, err := name.NewDigest(art.Name+"@"+art.Digest, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrVSANotIssued, err)
	}
	h, err := v1.NewHash(art.Digest)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrVSANotIssued, err)
	}
	repo := img.Context()
	s := vsa.Summary{
		Verifier:          vsa.Verifier{ID: iss.VerifierID},
		TimeVerified:      g.cfg.now().UTC(),
		ResourceURI:       "pkg:oci/" + path.Base(repo.RepositoryStr()) + "@" + h.Algorithm + "%3A" + h.Hex + "?repository_url=" + repo.Name(),
		Policy:            attest.ResourceDescriptor{URI: iss.PolicyURI, Annotations: map[string]any{vsa.AnnotationPolicyRevision: revision}},
		InputAttestations: inputs,
		Result:            vsa.Passed,
		VerifiedLevels:    iss.VerifiedLevels,
	}
	if revision == "" {
		s.Policy.Annotations = nil
	}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{{Name: repo.Name(), Digest: attest.DigestSet{h.Algorithm: h.Hex}}}, vsa.Predicate(s))
	if err == nil {
		var bundle []byte
		if bundle, err = attest.Sign(ctx, iss.Signer, st); err == nil {
			if err = iss.Attacher.Attach(ctx, img, bundle); err == nil {
				sum := sha256.Sum256(bundle)
				d.IssuedVSA = &VSAInfo{Verifier: iss.VerifierID, Bundle: "sha256:" + hex.EncodeToString(sum[:]),
					TimeVerified: s.TimeVerified, PolicyRevision: revision}
				ev.Attributes["vsa_issued"] = d.IssuedVSA.Bundle
				return nil
			}
		}
	}
	g.cfg.log.ErrorContext(ctx, "allowed image's verification summary not issued; denying", "digest", art.Digest, "err", err)
	return fmt.Errorf("%w: %w", ErrVSANotIssued, err)
}

// truncate bounds caller-controlled text quoted in errors and logs.
func truncate(s string) string {
	const max = 128
	if len(s) > max {
		return s[:max] + "…"
	}
	return strings.ToValidUTF8(s, "�")
}
