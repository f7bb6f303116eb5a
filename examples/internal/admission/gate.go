package admission

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// Errors. Every error Decide returns wraps one of them.
var (
	// ErrBadRequest: the request is malformed (no image and no bundle,
	// both, a bad reference or digest). HTTP 400.
	ErrBadRequest = errors.New("admission: bad request")
	// ErrRegistryNotAllowed: the image is in a registry the gate does not
	// read from (see WithRegistries). HTTP 400.
	ErrRegistryNotAllowed = fmt.Errorf("%w: registry not allowed", ErrBadRequest)
	// ErrUnauthenticated: the job token is missing or did not verify.
	// HTTP 401.
	ErrUnauthenticated = errors.New("admission: job token not verified")
	// ErrUndecided: verification or policy could not decide, or the
	// decision could not be audited. HTTP 503. A deny.
	ErrUndecided = errors.New("admission: could not decide")
)

// Decisions in Response.Decision.
const (
	DecisionAllow = "allow"
	DecisionDeny  = "deny"
	DecisionError = "error"
)

// Audit event fields written for every decision.
const (
	AuditSource = "ztci/examples/gate"
	AuditAction = "deploy.admit"
)

// TokenVerifier verifies a deploying job's token and returns its identity.
// *oidc.Verifier implements it. Any error means "not authenticated". It must
// be safe for concurrent use.
type TokenVerifier interface {
	Verify(ctx context.Context, raw string) (identity.Identity, error)
}

// TokenVerifierFunc adapts a function to TokenVerifier.
type TokenVerifierFunc func(ctx context.Context, raw string) (identity.Identity, error)

// Verify calls f.
func (f TokenVerifierFunc) Verify(ctx context.Context, raw string) (identity.Identity, error) {
	return f(ctx, raw)
}

// Gate is the deploy admission decision: verify, evaluate, audit. It is safe
// for concurrent use and starts no goroutines.
type Gate struct {
	cfg       config
	tokens    TokenVerifier
	verifiers map[string]*verify.Verifier
	eval      policy.Evaluator
	sink      audit.Sink
	images    *image.Verifier
	metrics   *metrics
}

// New returns a Gate. tokens verifies the deploying job; verifiers maps each
// accepted in-toto predicate type to the Verifier that checks bundles of that
// type (its expectation must require that predicate type and the trusted
// signer); eval decides (action "deploy"); sink records every decision and
// must accept it for an allow to stand.
func New(tokens TokenVerifier, verifiers map[string]*verify.Verifier, eval policy.Evaluator, sink audit.Sink, opts ...Option) (*Gate, error) {
	if tokens == nil || eval == nil || sink == nil || len(verifiers) == 0 {
		return nil, fmt.Errorf("%w: a token verifier, at least one bundle verifier, an evaluator and an audit sink are required", ErrConfig)
	}
	for pt, v := range verifiers {
		if pt == "" || v == nil {
			return nil, fmt.Errorf("%w: verifiers need a predicate type and a Verifier", ErrConfig)
		}
	}
	cfg := defaults()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	g := &Gate{cfg: cfg, tokens: tokens, verifiers: maps.Clone(verifiers), eval: eval, sink: sink,
		metrics: newMetrics(cfg.registerer)}
	ropts := append([]image.Option{image.WithLogger(cfg.log)}, cfg.registryOpts...)
	iv, err := image.NewVerifier(image.BundleVerifierFunc(g.verifyBundle), ropts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	g.images = iv
	return g, nil
}

// Request asks whether an image (or an artifact with inline bundles) may be
// deployed by the job whose token is JobToken.
type Request struct {
	// JobToken is the deploying job's OIDC token. Required.
	JobToken Token `json:"job_token"`
	// Image is an image reference (tag or digest). Exactly one of Image and
	// Bundles is set.
	Image string `json:"image,omitempty"`
	// Bundles are Sigstore bundles (JSON) about the artifact Name@Digest.
	Bundles []Bundle `json:"bundles,omitempty"`
	// Name and Digest ("sha256:<hex>") identify the artifact the bundles
	// are about; required with Bundles.
	Name   string `json:"name,omitempty"`
	Digest string `json:"digest,omitempty"`
}

// Response is the gate's answer. Allowed is the only field a scheduler must
// read; the rest explains it.
type Response struct {
	Allowed  bool   `json:"allowed"`
	Decision string `json:"decision"` // DecisionAllow, DecisionDeny or DecisionError
	// Digest is the verified digest: deploy this, never the tag.
	Digest string `json:"digest,omitempty"`
	// Job is the verified identity of the deploying job.
	Job string `json:"job,omitempty"`
	// Verified reports whether at least one attestation verified.
	Verified     bool              `json:"verified"`
	Attestations []AttestationInfo `json:"attestations,omitempty"`
	// Violations are the policy's reasons for a deny.
	Violations     []policy.Violation `json:"violations,omitempty"`
	PolicyRevision string             `json:"policy_revision,omitempty"`
	// AuditID is the id of the audit event that recorded this decision.
	AuditID string `json:"audit_id,omitempty"`
	// Error says why no decision could be reached (Decision "error").
	Error string `json:"error,omitempty"`
}

// AttestationInfo is one candidate attestation and what became of it.
type AttestationInfo struct {
	PredicateType string `json:"predicate_type,omitempty"`
	Signer        string `json:"signer,omitempty"`
	Verified      bool   `json:"verified"`
	Error         string `json:"error,omitempty"`
}

// Rules returns the rule ids of the violations, in order.
func (r *Response) Rules() []string {
	out := make([]string, 0, len(r.Violations))
	for _, v := range r.Violations {
		out = append(out, v.Rule)
	}
	return out
}

// Decide verifies, evaluates and audits one request. It always returns a
// Response (Allowed false unless everything succeeded); the error, when not
// nil, wraps ErrBadRequest, ErrUnauthenticated or ErrUndecided and is also
// summarized in Response.Error.
func (g *Gate) Decide(ctx context.Context, req Request) (*Response, error) {
	start := g.cfg.now()
	resp, err := g.decide(ctx, req)
	if err != nil {
		resp.Allowed = false
		resp.Decision = DecisionError
		resp.Error = err.Error()
	}
	g.metrics.observe(resp, err, g.cfg.now().Sub(start))
	return resp, err
}

func (g *Gate) decide(ctx context.Context, req Request) (*Response, error) {
	resp := &Response{Decision: DecisionDeny}
	if (req.Image == "") == (len(req.Bundles) == 0) {
		return resp, fmt.Errorf("%w: give exactly one of image and bundles", ErrBadRequest)
	}
	if req.JobToken.IsZero() {
		return resp, fmt.Errorf("%w: job_token is required", ErrUnauthenticated)
	}
	id, err := g.tokens.Verify(ctx, req.JobToken.Reveal())
	if err != nil {
		// The verifier's message may quote claims but never the token; keep
		// only the category for the caller.
		g.cfg.log.DebugContext(ctx, "job token rejected", "err", err)
		return resp, fmt.Errorf("%w", ErrUnauthenticated)
	}
	resp.Job = id.ID()
	resp, err = g.decideFor(ctx, id, req, resp)
	if err != nil {
		// An authenticated request that could not be decided is audited
		// too (unauthenticated ones are not: anyone could fill the log).
		ev := audit.Event{ID: newEventID(), Time: g.cfg.now().UTC(), Source: AuditSource, Action: AuditAction,
			Outcome: audit.OutcomeError, Actor: id.AuditActor(), Resource: req.Image, Reason: "could not decide",
			Correlation: audit.Correlation{RunID: id.Claims.RunID}}
		if ev.Resource == "" {
			ev.Resource = req.Name + "@" + req.Digest
		}
		if aerr := g.sink.Write(ctx, ev); aerr != nil {
			err = errors.Join(err, fmt.Errorf("%w: audit: %w", ErrUndecided, aerr))
		} else {
			resp.AuditID = ev.ID
		}
	}
	return resp, err
}

// decideFor verifies and evaluates for an authenticated job, and audits the
// decision.
func (g *Gate) decideFor(ctx context.Context, id identity.Identity, req Request, resp *Response) (*Response, error) {
	var err error

	var art policy.Artifact
	if req.Image != "" {
		art, err = g.verifyImage(ctx, req.Image, resp)
	} else {
		art, err = g.verifyInline(ctx, req, resp)
	}
	if err != nil {
		return resp, err
	}
	resp.Digest = art.Digest
	resp.Verified = art.Verified

	dec, err := g.eval.Evaluate(ctx, policy.Input{Action: policy.ActionDeploy, Job: policy.JobFromIdentity(id), Artifacts: []policy.Artifact{art}})
	if err != nil {
		return resp, fmt.Errorf("%w: policy: %w", ErrUndecided, err)
	}
	resp.Violations = dec.Violations
	resp.PolicyRevision = dec.Revision
	allowed := dec.Allowed

	ev := audit.Event{
		ID: newEventID(), Time: g.cfg.now().UTC(), Source: AuditSource, Action: AuditAction,
		Outcome: audit.OutcomeDeny, Actor: id.AuditActor(), Resource: art.Name + "@" + art.Digest,
		PolicyRevision: dec.Revision, Violations: resp.Rules(),
		Correlation: audit.Correlation{RunID: id.Claims.RunID},
		Attributes:  map[string]string{"verified": fmt.Sprint(art.Verified), "attestations": fmt.Sprint(len(art.Attestations))},
	}
	if allowed {
		ev.Outcome = audit.OutcomeAllow
		ev.Reason = "verified and allowed by policy"
	} else {
		ev.Reason = "denied by policy"
	}
	if err := g.sink.Write(ctx, ev); err != nil {
		return resp, fmt.Errorf("%w: audit: %w", ErrUndecided, err)
	}
	resp.AuditID = ev.ID
	if allowed {
		resp.Allowed, resp.Decision = true, DecisionAllow
	}
	return resp, nil
}

// verifyImage pins and verifies an image through its registry.
func (g *Gate) verifyImage(ctx context.Context, image string, resp *Response) (policy.Artifact, error) {
	ref, err := name.ParseReference(image, name.StrictValidation)
	if err != nil {
		return policy.Artifact{}, fmt.Errorf("%w: image: %w", ErrBadRequest, err)
	}
	if len(g.cfg.registries) > 0 && !slices.Contains(g.cfg.registries, ref.Context().RegistryStr()) {
		return policy.Artifact{}, fmt.Errorf("%w: %q", ErrRegistryNotAllowed, ref.Context().RegistryStr())
	}
	res, err := g.images.VerifyImage(ctx, ref)
	if err != nil {
		return policy.Artifact{}, fmt.Errorf("%w: registry: %w", ErrUndecided, err)
	}
	art := policy.Artifact{Name: ref.Context().Name(), Digest: res.Digest.DigestStr(), Verified: res.Verified}
	for _, t := range res.Targets {
		for _, a := range t.Attestations {
			info := AttestationInfo{PredicateType: a.PredicateType, Signer: a.Signer, Verified: a.Err == nil}
			if a.Err != nil {
				info.Error = a.Err.Error()
				resp.Attestations = append(resp.Attestations, info)
				continue
			}
			if a.Result == nil {
				// verifyBundle always returns its result; without one there
				// is no statement for policy to read, so fail closed.
				info.Verified, info.Error = false, "verified without a verification result"
				resp.Attestations = append(resp.Attestations, info)
				continue
			}
			resp.Attestations = append(resp.Attestations, info)
			addAttestation(&art, a.Result)
		}
	}
	art.Verified = art.Verified && len(art.Attestations) > 0
	return art, nil
}

// verifyInline verifies bundles given in the request for Name@Digest.
func (g *Gate) verifyInline(ctx context.Context, req Request, resp *Response) (policy.Artifact, error) {
	if req.Name == "" {
		return policy.Artifact{}, fmt.Errorf("%w: name is required with bundles", ErrBadRequest)
	}
	if len(req.Bundles) > g.cfg.maxBundles {
		return policy.Artifact{}, fmt.Errorf("%w: at most %d bundles", ErrBadRequest, g.cfg.maxBundles)
	}
	h, err := v1.NewHash(req.Digest)
	if err != nil || h.Algorithm != "sha256" {
		return policy.Artifact{}, fmt.Errorf("%w: digest must be sha256:<hex>", ErrBadRequest)
	}
	art := policy.Artifact{Name: req.Name, Digest: h.String()}
	for _, b := range req.Bundles {
		vr, err := g.verifyOne(ctx, b, h)
		if err != nil {
			resp.Attestations = append(resp.Attestations, AttestationInfo{Error: err.Error()})
			continue
		}
		resp.Attestations = append(resp.Attestations, AttestationInfo{PredicateType: predicateType(vr), Signer: signerName(vr), Verified: true})
		addAttestation(&art, vr)
	}
	art.Verified = len(art.Attestations) > 0
	return art, nil
}

// verifyBundle is the image.BundleVerifier. It hands back the whole
// verification result, so the policy input can carry the statement.
func (g *Gate) verifyBundle(ctx context.Context, bundle []byte, artifact v1.Hash) (image.BundleResult, error) {
	vr, err := g.verifyOne(ctx, bundle, artifact)
	if err != nil {
		return image.BundleResult{}, err
	}
	return image.BundleResult{Signer: signerName(vr), PredicateType: predicateType(vr), Result: vr}, nil
}

// verifyOne verifies a bundle with the verifier for the predicate type it
// claims. The claim is unverified and only routes: that verifier's
// expectation requires the type, so a false claim fails verification.
func (g *Gate) verifyOne(ctx context.Context, bundle []byte, artifact v1.Hash) (*verify.Result, error) {
	a, err := verify.ArtifactDigest(artifact.Algorithm, artifact.Hex)
	if err != nil {
		return nil, err
	}
	pt := claimedPredicateType(bundle)
	v, ok := g.verifiers[pt]
	if !ok {
		return nil, &UnexpectedPredicateTypeError{Got: pt}
	}
	return v.Verify(ctx, bundle, a)
}

// UnexpectedPredicateTypeError reports a bundle whose statement claims a
// predicate type the gate has no verifier for (or none at all). It matches
// ErrUnexpectedPredicateType.
type UnexpectedPredicateTypeError struct{ Got string }

// ErrUnexpectedPredicateType: see UnexpectedPredicateTypeError.
var ErrUnexpectedPredicateType = errors.New("admission: no verifier for this predicate type")

func (e *UnexpectedPredicateTypeError) Error() string {
	return fmt.Sprintf("%v: %q", ErrUnexpectedPredicateType, e.Got)
}

// Is makes errors.Is(err, ErrUnexpectedPredicateType) hold.
func (e *UnexpectedPredicateTypeError) Is(target error) bool {
	return target == ErrUnexpectedPredicateType
}

// claimedPredicateType reads the predicate type a DSSE bundle's statement
// claims, without verifying anything; "" when it has none. Input size is
// bounded by the caller (request body limit, image.MaxBundleSize).
func claimedPredicateType(bundle []byte) string {
	var b struct {
		DSSE *struct {
			PayloadType string `json:"payloadType"`
			Payload     []byte `json:"payload"`
		} `json:"dsseEnvelope"`
	}
	if json.Unmarshal(bundle, &b) != nil || b.DSSE == nil || b.DSSE.PayloadType != "application/vnd.in-toto+json" {
		return ""
	}
	var st struct {
		PredicateType string `json:"predicateType"`
	}
	if json.Unmarshal(b.DSSE.Payload, &st) != nil {
		return ""
	}
	return st.PredicateType
}

func signerName(r *verify.Result) string {
	if r.Signer.SAN != "" {
		return r.Signer.SAN + " (" + r.Signer.Issuer + ")"
	}
	return r.Signer.KeyHint
}

func predicateType(r *verify.Result) string {
	if r.Statement == nil {
		return ""
	}
	return r.Statement.PredicateType
}

// addAttestation adds a verified result to the policy's view of the artifact.
func addAttestation(art *policy.Artifact, r *verify.Result) {
	s := policySigner(r.Signer)
	if len(art.Attestations) == 0 {
		art.Signer = s
	}
	att := policy.Attestation{PredicateType: predicateType(r), Signer: s}
	if r.Statement != nil && strings.HasPrefix(att.PredicateType, "https://slsa.dev/provenance/") {
		att.Provenance = provenanceFacts(r.Statement)
	}
	art.Attestations = append(art.Attestations, att)
}

// policySigner maps the verified certificate identity onto policy's Signer.
// (There is no helper for this in verify or policy; see the report.)
func policySigner(s verify.SignerInfo) policy.Signer {
	return policy.Signer{SAN: s.SAN, Issuer: s.Issuer, Claims: identity.Claims{
		Repository:  s.Claims.SourceRepositoryURI,
		Ref:         s.Claims.SourceRepositoryRef,
		Commit:      s.Claims.SourceRepositoryDigest,
		WorkflowRef: s.Claims.BuildSignerURI,
		Event:       s.Claims.BuildTrigger,
		Runner:      s.Claims.RunnerEnvironment,
	}}
}

func newEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// timeNow is the default clock.
func timeNow() time.Time { return time.Now() }

// provenanceFacts hands policy the facts verify reads from a verified SLSA
// v1 provenance statement, by the same rules verify's expectations are
// matched with. A predicate that does not read yields nil, which the policy
// treats as missing provenance (deny).
func provenanceFacts(st *attest.Statement) *policy.Provenance {
	f, err := verify.ReadProvenance(st)
	if err != nil {
		return nil
	}
	out := &policy.Provenance{BuilderID: f.BuilderID, BuildType: f.BuildType,
		SourceRepository: f.SourceRepository, SourceRef: f.SourceRef, SourceDigest: f.SourceDigest}
	if len(f.ExternalParameters) > 0 {
		out.ExternalParameters = make(map[string]any, len(f.ExternalParameters))
		for k, raw := range f.ExternalParameters {
			var v any
			if json.Unmarshal(raw, &v) != nil {
				return nil
			}
			out.ExternalParameters[k] = v
		}
	}
	return out
}
