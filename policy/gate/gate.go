package gate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/randid"
	"github.com/ztci/ztci/internal/redact"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// Outcomes in [Decision.Outcome].
const (
	OutcomeAllow = "allow"
	OutcomeDeny  = "deny"
	OutcomeError = "error"
)

// Where a decision's verification verdict came from (Decision.VerdictSource).
const (
	// VerdictVerified: this request's image verification fetched and
	// verified the attestations.
	VerdictVerified = "verified"
	// VerdictCached: the image verifier's verdict cache answered.
	VerdictCached = "cached"
	// VerdictShared: the request joined a verification another request
	// had in flight for the same reference.
	VerdictShared = "shared"
	// VerdictInline: the bundles came in the request and were verified.
	VerdictInline = "inline"
	// VerdictVSA: a trusted verification summary answered
	// ([WithTrustedVSAs]).
	VerdictVSA = "vsa"
)

// Audit event fields written for every decision.
const (
	AuditSource = "ztci/policy/gate"
	AuditAction = "deploy.admit"
)

// Verifiers maps each accepted in-toto predicate type to the
// [verify.Verifier] that checks bundles claiming it. Each verifier's
// expectation must require that predicate type and the trusted signer.
type Verifiers map[string]*verify.Verifier

// Gate is the deploy gate: it authenticates the deploying job, pins and
// verifies the artifact's attestations, asks policy and audits the
// decision. It is safe for concurrent use. The only goroutines it starts are
// the shared image verifications of concurrent requests (see [Gate.Decide]),
// each bounded by the decision timeout.
type Gate struct {
	cfg       config
	tokens    identity.TokenVerifier
	verifiers Verifiers
	eval      policy.Evaluator
	sink      audit.Sink
	images    *image.Verifier
	flights   flights
	// vsaImages looks for trusted verification summaries (WithTrustedVSAs).
	vsaImages  *image.Verifier
	vsaFlights flights
	// facts converts verified results to policy input once per result.
	facts *factsMemo
	// jobs counts the decisions in flight per job (Limits.MaxInFlightPerJob).
	jobs jobSlots
}

// New returns a Gate. tokens verifies the deploying job; verifiers route
// each bundle to the verifier for the predicate type it claims; eval decides
// (action "deploy"); sink records every decision and must accept it for an
// allow to stand. All four are required.
func New(tokens identity.TokenVerifier, verifiers Verifiers, eval policy.Evaluator, sink audit.Sink, opts ...Option) (*Gate, error) {
	if tokens == nil || eval == nil || sink == nil || len(verifiers) == 0 {
		return nil, fmt.Errorf("%w: a token verifier, at least one bundle verifier, an evaluator and an audit sink are required", ErrConfig)
	}
	for pt, v := range verifiers {
		if pt == "" || v == nil {
			return nil, fmt.Errorf("%w: each verifier needs a predicate type and a *verify.Verifier", ErrConfig)
		}
	}
	cfg := defaults()
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if err := cfg.limits.resolveScopes(); err != nil {
		return nil, err
	}
	g := &Gate{cfg: cfg, tokens: tokens, verifiers: maps.Clone(verifiers), eval: eval, sink: sink, facts: newFactsMemo()}
	iopts := append([]image.Option{image.WithLogger(cfg.log)}, cfg.imageOpts...)
	iv, err := image.NewVerifier(image.BundleVerifierFunc(g.verifyBundle), iopts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	g.images = iv
	if err := g.setupVSA(iopts); err != nil {
		return nil, err
	}
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
	Bundles []json.RawMessage `json:"bundles,omitempty"`
	// Name and Digest ("sha256:<hex>") identify the artifact the bundles
	// are about; both are required with Bundles, and a request with Image
	// must leave both empty (the image names its own artifact).
	Name   string `json:"name,omitempty"`
	Digest string `json:"digest,omitempty"`
	// ThirdPartyVSAs are SLSA verification summaries of the artifact by
	// third-party verifiers, as DSSE envelopes ([WithThirdPartyVSAs]).
	ThirdPartyVSAs []json.RawMessage `json:"third_party_vsas,omitempty"`
	// DryRun asks for the decision the request would get, with no side
	// effect but its audit event (marked "dry_run"): no inventory record
	// ([WithInventory]), no summary or result attached to the image
	// ([WithVSA], [WithSVR]). An admission webhook sets it for the API
	// server's dry runs, which must change nothing.
	DryRun bool `json:"dry_run,omitempty"`
}

// Decision is the gate's answer. Allowed is the only field a scheduler must
// read; the rest explains it.
type Decision struct {
	Allowed bool `json:"allowed"`
	// Outcome is OutcomeAllow, OutcomeDeny or OutcomeError.
	Outcome string `json:"decision"`
	// Digest is the verified digest: deploy this, never the tag.
	Digest string `json:"digest,omitempty"`
	// Job is the verified identity of the deploying job.
	Job string `json:"job,omitempty"`
	// Verified reports whether at least one attestation verified (and the
	// image's signer threshold was met).
	Verified     bool              `json:"verified"`
	Attestations []AttestationInfo `json:"attestations,omitempty"`
	// PolicyAllowed is the policy's own verdict (policy.Decision's
	// PolicyAllowed): false when the policy denied, even if an evaluator
	// in Warn or DryRun mode let the image through (Allowed). A
	// compliance assessment of the decision reads this, not Allowed.
	PolicyAllowed bool `json:"policy_allowed"`
	// Violations are the policy's reasons for a deny.
	Violations     []policy.Violation `json:"violations,omitempty"`
	PolicyRevision string             `json:"policy_revision,omitempty"`
	// AuditID is the id of the audit event that recorded this decision.
	AuditID string `json:"audit_id,omitempty"`
	// TrustedVSA names the verification summary the allow was decided
	// from, without verifying the attestations (see [WithTrustedVSAs]).
	TrustedVSA *VSAInfo `json:"trusted_vsa,omitempty"`
	// VerdictSource says where the verification verdict came from:
	// VerdictVerified, VerdictCached, VerdictShared, VerdictInline or
	// VerdictVSA; empty when no verdict was reached. It is for operators
	// and metrics (cache hit rates); every source is equally binding.
	VerdictSource string `json:"verdict_source,omitempty"`
	// IssuedVSA names the verification summary this allow issued and
	// attached to the image (see [WithVSA]).
	IssuedVSA *VSAInfo `json:"issued_vsa,omitempty"`
	// IssuedSVR names the Simple Verification Result this decision issued
	// and attached to the image: an allow's, or with
	// SVRIssuer.IssueDenies any decision's (see [WithSVR]).
	IssuedSVR *SVRInfo `json:"issued_svr,omitempty"`
	// Error says why no decision could be reached (Outcome "error").
	Error string `json:"error,omitempty"`
	// DryRun echoes Request.DryRun: the decision changed nothing (no
	// inventory record, no summary or result attached). Whoever relays a
	// decision can tell a dry run's allow from a deploy's.
	DryRun bool `json:"dry_run,omitempty"`
}

// AttestationInfo is one candidate attestation and what became of it.
type AttestationInfo struct {
	PredicateType string `json:"predicate_type,omitempty"`
	Signer        string `json:"signer,omitempty"`
	Verified      bool   `json:"verified"`
	// Error is why the attestation was rejected: its category's fixed
	// text (or the gate's own finding, a revoked signer), never the
	// verifier's or the registry's message, which the gate's logger gets
	// with the decision's audit event id.
	Error string `json:"error,omitempty"`
}

// Rules returns the rule ids of the violations, in order.
func (d *Decision) Rules() []string {
	out := make([]string, 0, len(d.Violations))
	for _, v := range d.Violations {
		out = append(out, v.Rule)
	}
	return out
}

// String summarizes d in one line: "allow sha256:… rev=…",
// "deny sha256:… [rule, rule] rev=…" or "error: <reason>". The line is
// one line of printable text whatever d holds: a control, invisible or
// non-UTF-8 character is written as a Go escape ("\n", "\u202e"). The
// reason can quote what a request or a registry sent, and a line break in
// it forged a line ("allow sha256:…") in a text log the summary was
// written to.
func (d Decision) String() string {
	switch d.Outcome {
	case OutcomeAllow:
		return oneLine(fmt.Sprintf("allow %s rev=%s", d.Digest, d.PolicyRevision))
	case OutcomeDeny:
		return oneLine(fmt.Sprintf("deny %s %v rev=%s", d.Digest, d.Rules(), d.PolicyRevision))
	default:
		return oneLine("error: " + d.Error)
	}
}

// oneLine returns s unchanged when it is printable UTF-8 and otherwise s
// with every non-printable character (unicode.IsPrint: controls, format
// characters such as bidi overrides, line and paragraph separators) and
// every invalid byte escaped as strconv.Quote escapes them.
func oneLine(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// Decide authenticates, verifies, evaluates and audits one request. It
// always returns a Decision, with Allowed false unless everything succeeded
// and the audit sink accepted the allow. A non-nil error wraps
// [ErrBadRequest], [ErrUnauthenticated] or [ErrUndecided] and is summarized
// in Decision.Error; every request that reaches Decide is audited, including
// those that could not be decided.
//
// Concurrent requests for the same image reference share one fetch and one
// verification; policy and audit run per request.
func (g *Gate) Decide(ctx context.Context, req Request) (Decision, error) {
	start := g.cfg.now()
	ctx, rejections := withRejections(ctx)
	d, err := g.decide(ctx, req)
	if err != nil {
		d.Allowed, d.Outcome, d.Error = false, OutcomeError, err.Error()
	}
	g.discloseRejections(ctx, d.AuditID, rejections)
	g.observe(ctx, Observation{Decision: &d, Err: err, Elapsed: g.cfg.now().Sub(start)})
	return d, err
}

// observe reports o to the observer. An observer that panics is logged
// and otherwise ignored: it runs after the decision was taken and audited,
// and its panic took the decision from the caller, so the audit log held
// an allow (or a deny) that nobody received — through [Gate.Handler], a
// connection closed without an answer. Metrics are not part of the
// decision, and losing one observation is all a panic may cost.
func (g *Gate) observe(ctx context.Context, o Observation) {
	defer func() {
		if recover() != nil {
			g.cfg.log.ErrorContext(ctx, "observer panicked; observation dropped", "stack", string(debug.Stack()))
		}
	}()
	g.cfg.observer.Observe(o)
}

func (g *Gate) decide(ctx context.Context, req Request) (d Decision, err error) {
	d = Decision{Outcome: OutcomeDeny, DryRun: req.DryRun}
	var id identity.Identity
	// A panic on the request's own goroutine (the vendor's token verifier,
	// evaluator, inventory or signer; the gate's conversion of
	// what was verified) is an undecided deny, audited like every other
	// request: left to net/http's recovery (or the admission webhook's), it
	// answered nothing and audited nothing. An event this request already
	// wrote stays its one event. The panic's value is not quoted: it can
	// hold whatever the panicking code held, a token included; the stack
	// says where it happened.
	defer func() {
		if recover() == nil {
			return
		}
		g.cfg.log.ErrorContext(ctx, "decision panicked; denying", "stack", string(debug.Stack()))
		written := d.AuditID // an event already recorded for this request
		d, err = Decision{Outcome: OutcomeDeny, Job: d.Job, AuditID: written, DryRun: req.DryRun}, errDecisionPanicked
		if written == "" {
			d.AuditID, err = g.auditUndecided(ctx, id, req, err)
		}
	}()
	// The request is checked before its token is verified: a verifier of
	// single-use tokens spends the token, and a malformed request (a
	// typo in the image) cost the job its one deploy. Only what does not
	// depend on who asks is checked here.
	var ck checked
	if req.JobToken.IsZero() {
		err = fmt.Errorf("%w: job_token is required", ErrUnauthenticated)
	} else {
		ck, err = g.checkRequest(req)
	}
	if err == nil {
		var release func()
		id, release, err = g.admit(ctx, req, ck)
		if release != nil {
			defer release()
		}
		if !id.IsZero() {
			d.Job = id.ID()
		}
		if err == nil {
			err = g.decideFor(ctx, id, req, ck, &d)
			if err == nil {
				return d, nil
			}
		}
	}
	d.AuditID, err = g.auditUndecided(ctx, id, req, err)
	return d, err
}

// errDecisionPanicked: a decision panicked; the request is undecided.
var errDecisionPanicked = fmt.Errorf("%w: the decision panicked", ErrUndecided)

// admit authenticates the caller and takes the job's, its repository's
// and its owner's share of the decision slots (Limits.MaxInFlightPerJob
// and its peers). It returns the job's identity when the token verified
// (with ErrJobBusy too, so that the refusal names the job), and release
// when the slots were taken; decide defers release, so the slots are given
// back however the decision ends, a panic included: a slot that stayed
// taken would count against the job until the process restarts.
//
// The registry allow-list is checked here, once the token verified (so
// that the refusal names the job) and before the slots; a revoked job's
// request is left to decideFor, which denies it as revoked.
//
// A verifier that spends tokens (oidc.WithSingleUse) and offers
// [identity.DeferredTokenVerifier] spends the token only once the
// registry is allowed and the slots are taken: a busy job, or a typo in
// the registry's name, is refused with its token unspent, and the job
// retries with it. The slots are keyed on a verified token, never on what an
// unverified one claims; a replay of a spent token holds them only until
// its spend fails. Two requests with one token may both take slots; one
// spend succeeds and the other is refused as unauthenticated. Another
// verifier spends the token, if it does, before the slots are taken.
func (g *Gate) admit(ctx context.Context, req Request, ck checked) (identity.Identity, func(), error) {
	raw := req.JobToken.Reveal()
	var id identity.Identity
	var err error
	spend := func(context.Context) error { return nil } // Verify spent it
	if dv, ok := g.tokens.(identity.DeferredTokenVerifier); ok {
		id, spend, err = dv.VerifyDeferred(ctx, raw)
		if err == nil && spend == nil {
			err = identity.ErrNoSpend
		}
	} else {
		id, err = g.tokens.Verify(ctx, raw)
	}
	if err != nil {
		return identity.Identity{}, nil, tokenRejected(req, err)
	}
	if id.IsZero() {
		return identity.Identity{}, nil, fmt.Errorf("%w: the token verifier returned no identity", ErrUnauthenticated)
	}
	// A revoked job is denied as such (decideFor), whatever its image.
	if ck.ref != nil && g.cfg.revocations.checkJob(id) == nil {
		if err := g.allowedRegistry(ck.ref); err != nil {
			return id, nil, err
		}
	}
	release, err := g.jobs.take(g.cfg.limits.slotsFor(id))
	if err != nil {
		return id, nil, err
	}
	spent := false
	defer func() {
		if !spent { // refused or panicked
			release()
		}
	}()
	if err := spend(ctx); err != nil {
		return identity.Identity{}, nil, tokenRejected(req, err)
	}
	spent = true
	return id, release, nil
}

// checked is what checkRequest read from a request: the image reference
// (parseImage), or the digest the inline bundles are about.
type checked struct {
	ref    name.Reference
	digest v1.Hash
}

// checkRequest refuses a malformed request ([ErrBadRequest]) with checks
// that need no identity and no network, so that decide runs them before
// the job token is verified (and, for a single-use token, spent).
func (g *Gate) checkRequest(req Request) (checked, error) {
	if (req.Image == "") == (len(req.Bundles) == 0) {
		return checked{}, fmt.Errorf("%w: give exactly one of image and bundles", ErrBadRequest)
	}
	// Checked before any path decides, so that a request the full
	// verification refuses is refused on the trusted VSA path too.
	if err := g.checkThirdPartyRequest(req); err != nil {
		return checked{}, err
	}
	if req.Image == "" {
		return g.checkInline(req)
	}
	// Name and Digest belong to bundles. Beside an image they would name a
	// second artifact the gate does not decide on, which a caller (or a
	// log) could take for the one allowed: refuse the request instead of
	// ignoring them.
	if req.Name != "" || req.Digest != "" {
		return checked{}, fmt.Errorf("%w: name and digest go with bundles, not with an image (the decision's digest is the one to deploy)", ErrBadRequest)
	}
	ref, err := g.parseImage(req.Image)
	return checked{ref: ref}, err
}

// checkInline checks a request with inline bundles.
func (g *Gate) checkInline(req Request) (checked, error) {
	if g.cfg.imagesOnly {
		return checked{}, fmt.Errorf("%w: this gate decides images by reference only, not inline bundles", ErrBadRequest)
	}
	if err := checkArtifactName(req.Name); err != nil {
		return checked{}, err
	}
	if len(req.Bundles) > g.cfg.limits.MaxBundles {
		return checked{}, fmt.Errorf("%w: at most %d bundles", ErrBadRequest, g.cfg.limits.MaxBundles)
	}
	h, err := v1.NewHash(req.Digest)
	if err != nil || h.Algorithm != "sha256" {
		return checked{}, fmt.Errorf("%w: digest must be sha256:<hex>", ErrBadRequest)
	}
	return checked{digest: h}, nil
}

// auditUndecided audits a request that could not be decided (err) and
// returns the event's id, or "" and err joined with the audit failure.
// A request that could not be decided is audited too, so a flood of bad
// tokens or undecidable images is visible in the log. The event names the
// job only when it authenticated. A dependency's error that err withholds
// is logged here, under the event's id, and the caller gets its sentinel
// (see withhold).
func (g *Gate) auditUndecided(ctx context.Context, id identity.Identity, req Request, err error) (string, error) {
	ev := g.event(id, resource(req), audit.OutcomeError, "could not decide: "+errorKind(err))
	if errors.Is(err, ErrUnauthenticated) || errors.Is(err, ErrBadRequest) {
		ev.Outcome, ev.Reason = audit.OutcomeDeny, "refused: "+errorKind(err)
	}
	err = g.disclose(ctx, ev.ID, err)
	markDryRun(req, &ev)
	if aerr := g.audit(ctx, ev); aerr != nil {
		return "", errors.Join(err, aerr)
	}
	return ev.ID, err
}

// auditGrace is how long an audit write may run past the end of the
// caller's context.
const auditGrace = time.Second

// audit writes ev to the audit sink under a context that the caller's
// cancellation does not end: the record of a decision must not depend on
// whether its caller is still listening. A client that hung up, or a
// decision whose deadline passed (a registry that did not answer), is
// precisely what the log must show, and a sink that honours its context
// (audit.Log does) would refuse the write. The write is bounded by the
// caller's deadline or auditGrace from now, whichever is later (Limits.
// Timeout when the caller set no deadline).
//
// A write that fails is [ErrUnaudited], whose text is fixed; the sink's
// error is logged. It is the vendor's, may name the sink's address with
// its credentials, a DSN or a path, and Decide's error reaches every
// caller, one with a forged token included.
func (g *Gate) audit(ctx context.Context, ev audit.Event) error {
	now := time.Now()
	end, ok := ctx.Deadline()
	switch {
	case !ok:
		end = now.Add(g.cfg.limits.Timeout)
	case end.Before(now.Add(auditGrace)):
		end = now.Add(auditGrace)
	}
	actx, cancel := context.WithDeadline(context.WithoutCancel(ctx), end)
	defer cancel()
	if err := g.write(actx, ev); err != nil {
		g.cfg.log.ErrorContext(ctx, "audit write failed; the request is undecided", "event", ev.ID, "outcome", string(ev.Outcome), "err", err)
		return ErrUnaudited
	}
	return nil
}

// write returns the sink's answer to ev, or actx's error as soon as actx
// ends first: a sink that ignores its context (a log shipper stuck on the
// network) must not hold the decision, its HTTP slot and its job's slot
// past the audit deadline. The write runs on until the sink returns (the
// one goroutine a stuck sink keeps) and its late answer is dropped: an
// event it records after all belongs to a request answered undecided. A
// sink that panics has not recorded the event.
func (g *Gate) write(actx context.Context, ev audit.Event) error {
	done := make(chan error, 1) // buffered: a late write never blocks
	go func() {
		defer func() {
			if recover() != nil {
				done <- errSinkPanicked
			}
		}()
		done <- g.sink.Write(actx, ev)
	}()
	select {
	case err := <-done:
		return err
	case <-actx.Done():
		// A write that completed as the deadline passed is kept.
		select {
		case err := <-done:
			return err
		default:
			return context.Cause(actx)
		}
	}
}

// errSinkPanicked: the audit sink panicked; the event is not recorded.
// Its value is not quoted (it can hold whatever the sink held).
var errSinkPanicked = errors.New("audit sink panicked")

// tokenRejected is the error of a job token the verifier refused, err.
// The caller gets only the category (withhold). The verifier is the
// vendor's and its message may quote the token it refused: the log gets
// the message without it, at debug level, as a flood of bad tokens is no
// operator's incident.
func tokenRejected(req Request, err error) error {
	cause := errors.New(redact.WithoutToken(err, req.JobToken.Reveal()))
	return &withheldError{sentinel: ErrUnauthenticated, what: "job token rejected", cause: cause, level: slog.LevelDebug}
}

// decideFor verifies and evaluates for an authenticated job, and audits the
// decision. ck is the request as checkRequest read it.
func (g *Gate) decideFor(ctx context.Context, id identity.Identity, req Request, ck checked, d *Decision) error {
	if err := g.cfg.revocations.checkJob(id); err != nil {
		return g.denyRevokedJob(ctx, id, req, d, err)
	}
	// art is what the decision is about (the pinned digest, all it
	// verified); arts are what policy decides on: art itself, or each
	// platform manifest verified, with its own attestations.
	var art policy.Artifact
	var arts []policy.Artifact
	var verified []*verify.Result
	var basis *imageBasis
	var err error
	if ref := ck.ref; ref != nil {
		if g.vsaImages != nil {
			var decided bool
			if ref, decided, err = g.decideByVSA(ctx, id, req, ref, d); decided || err != nil {
				return err
			}
		}
		art, arts, verified, basis, err = g.verifyImage(ctx, ref, d)
	} else {
		art, verified, err = g.verifyInline(ctx, req, ck.digest, d)
		arts = []policy.Artifact{art}
	}
	if err != nil {
		return err
	}
	d.Digest, d.Verified = art.Digest, art.Verified
	for i := range arts {
		g.cfg.revocations.markLeases(&arts[i])
	}
	tally, err := g.addThirdPartyVSAs(ctx, req, &art, arts, d)
	if err != nil {
		return err
	}
	// What was refused because the caller's time ran out (an inline
	// bundle, a third-party summary) was not judged: the request is
	// undecided, as on the image path, not denied for it.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: verification: %w", ErrUndecided, context.Cause(ctx))
	}

	in := policy.Input{Action: policy.ActionDeploy, Job: policy.JobFromIdentity(id), Artifacts: arts}
	pd, err := g.eval.Evaluate(ctx, in)
	if err != nil {
		return withhold(errPolicyFailed, "policy evaluation failed; the request is undecided", err)
	}
	d.Violations, d.PolicyRevision, d.PolicyAllowed = pd.Violations, pd.Revision, pd.PolicyAllowed

	ev := g.event(id, art.Name+"@"+art.Digest, audit.OutcomeDeny, "denied by policy")
	ev.PolicyRevision, ev.Violations = pd.Revision, d.Rules()
	ev.Attributes = map[string]string{"verified": strconv.FormatBool(art.Verified), "attestations": strconv.Itoa(len(art.Attestations))}
	tally.audit(ev.Attributes)
	markDryRun(req, &ev)
	// A dry run changes nothing but the audit log: what an allow records
	// (inventory) and attaches to the image (VSA, SVR) is for real
	// admissions only. A dry-run allow is not a deploy, so skipping what
	// would fail closed on a real one cannot let anything run.
	if req.DryRun {
		basis = nil
	}
	if pd.Allowed {
		if !req.DryRun {
			if err := g.recordAdmission(ctx, id, ck.ref, art, in, verified, pd.Revision, ev.ID); err != nil {
				return err
			}
		}
		// A summary says the policy passed. An evaluator in a mode that
		// admits what its policy denies (policy.Warn, policy.DryRun) lets
		// the image through, but no "passed" summary is signed for it: a
		// gate trusting the summary would skip verifying what this policy
		// denied.
		if pd.PolicyAllowed {
			if err := g.issueVSA(ctx, art, basis, pd.Revision, d, &ev); err != nil {
				return err
			}
		}
		ev.Outcome, ev.Reason = audit.OutcomeAllow, "verified and allowed by policy"
	}
	if err := g.issueSVR(ctx, art, arts, basis, pd, d, &ev); err != nil {
		return err
	}
	// An allow is recorded only for a caller still waiting for it: one
	// that gave up (a client gone, an admission webhook past its deadline,
	// which has denied already) gets an undecided deny, so the log holds
	// no allow that nobody received.
	if pd.Allowed && ctx.Err() != nil {
		return fmt.Errorf("%w: %w", ErrUndecided, context.Cause(ctx))
	}
	if err := g.audit(ctx, ev); err != nil {
		return err
	}
	d.AuditID = ev.ID
	if pd.Allowed {
		d.Allowed, d.Outcome = true, OutcomeAllow
	}
	return nil
}

// verifyImage pins and verifies an image through its registry: the image
// as one artifact (the pinned digest) and the artifacts policy decides on
// ([ImageArtifacts]). It also returns the verified results that count
// (those policy sees) and, when the gate issues VSAs or SVRs, what they
// state of this verification. ref is the request's image as parseImage
// read it, or as the VSA lookup pinned it.
func (g *Gate) verifyImage(ctx context.Context, ref name.Reference, d *Decision) (policy.Artifact, []policy.Artifact, []*verify.Result, *imageBasis, error) {
	res, joined, err := g.flights.verifyImage(ctx, g.images, ref, g.verification)
	if errors.Is(err, image.ErrUnaudited) {
		// The image verifier's sink error, like the gate's, is logged
		// and never returned (see Gate.audit).
		return policy.Artifact{}, nil, nil, nil, withhold(ErrUnaudited, "image verification not audited; the request is undecided", fmt.Errorf("%s: %w", ref, err))
	}
	if err != nil {
		return policy.Artifact{}, nil, nil, nil, imageFailure(ref, err)
	}
	switch {
	case res.Cached:
		d.VerdictSource = VerdictCached
	case joined:
		d.VerdictSource = VerdictShared
	default:
		d.VerdictSource = VerdictVerified
	}
	// Revocations are checked here, per decision, not inside verification:
	// a verdict cached before a mark must not outlive it.
	var verified []*verify.Result
	art, arts, report := screenImage(ctx, res, func(r *verify.Result) error {
		if err := g.cfg.revocations.check(r); err != nil {
			return err
		}
		verified = append(verified, r)
		return nil
	}, g.facts.attestation)
	d.Attestations = report
	if g.cfg.vsaIssuer == nil && g.cfg.svrIssuer == nil {
		return art, arts, verified, nil, nil // nothing to issue
	}
	basis := &imageBasis{targets: targetDigests(res)}
	if g.cfg.vsaIssuer != nil {
		basis.inputs = vsaInputs(res, verified, g.facts.attestation)
	}
	return art, arts, verified, basis, nil
}

// verifyInline verifies bundles given in the request for Name@h (h is
// the request's Digest, as checkInline read it). A bundle whose
// verification could not be audited (verify.ErrAudit) makes the request
// undecided, as it makes an image undecidable: rejected, it would leave
// the request to be allowed on the other bundles while the verifications'
// audit trail is incomplete.
func (g *Gate) verifyInline(ctx context.Context, req Request, h v1.Hash, d *Decision) (policy.Artifact, []*verify.Result, error) {
	var verified []*verify.Result
	signers := map[string]bool{}
	for i, b := range req.Bundles {
		vr, err := g.verifyOne(ctx, b, h)
		if errors.Is(err, verify.ErrAudit) {
			return policy.Artifact{}, nil, withhold(errInlineUnaudited, "inline bundle verification not audited; the request is undecided", fmt.Errorf("bundle %d: %w", i, err))
		}
		if err == nil {
			err = g.cfg.revocations.check(vr)
		}
		if err != nil {
			d.Attestations = append(d.Attestations, rejected(ctx, AttestationInfo{}, err))
			continue
		}
		d.Attestations = append(d.Attestations, AttestationInfo{PredicateType: predicateType(vr), Signer: signerName(vr), Verified: true})
		verified = append(verified, vr)
		signers[signerName(vr)] = true
	}
	d.VerdictSource = VerdictInline
	// The image path's signer threshold holds here too: a job could
	// otherwise fetch an image's bundles itself and send one signer's
	// inline, naming the image as Name@Digest, to be allowed on fewer
	// signers than the gate requires of that image.
	met := len(signers) >= g.images.Threshold()
	return artifact(ctx, g.facts.attestation, req.Name, h.String(), met, verified), verified, nil
}

// maxArtifactName bounds an inline artifact's name, as the audit log
// bounds a resource (see resource).
const maxArtifactName = 512

// checkArtifactName refuses an inline artifact name that would not read as
// one name wherever the decision is shown: empty, over maxArtifactName
// bytes, not UTF-8, holding a control or invisible character (a line break
// forges a line in a text log), or holding '@', which makes the decision's
// "name@digest" name another digest ("app@sha256:good" decided on
// sha256:bad reads "app@sha256:good@sha256:bad").
func checkArtifactName(n string) error {
	bad := func(r rune) bool { return r == '@' || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }
	if n == "" || len(n) > maxArtifactName || !utf8.ValidString(n) || strings.ContainsFunc(n, bad) {
		return fmt.Errorf("%w: name is required with bundles: at most %d bytes of UTF-8, no control or invisible characters, no '@'", ErrBadRequest, maxArtifactName)
	}
	return nil
}

// parseImage reads a request's image reference and checks it before any
// registry is asked: a reference the gate reads (strictly), a digest, when
// it names one, in sha256 (the only algorithm the gate verifies, as for
// inline bundles: another is the caller's mistake, not an undecidable
// image), a registry host a container runtime reads too (runtimeHost:
// ASCII labels or an IP address, no Unicode look-alike). Whether WithRegistries allows its registry is checked once the
// caller is authenticated (allowedRegistry), so that the refusal names the
// job that asked.
//
// The registry host is written in lower case. Host names are
// case-insensitive (DNS, and WithRegistries, compare them so), so
// REGISTRY.EXAMPLE/acme/app is registry.example/acme/app and is read from
// the same place; under the caller's spelling it would reach policy, the
// audit log, the inventory and the summaries the gate issues as another
// repository, which a rule or a search for registry.example/acme/app does
// not match.
func (g *Gate) parseImage(img string) (name.Reference, error) {
	ref, err := name.ParseReference(img, name.StrictValidation)
	if err != nil {
		return nil, badImage(err)
	}
	if !runtimeHost(ref.Context().RegistryStr()) {
		return nil, fmt.Errorf("%w: image registry must be a host name of ASCII letters, digits and hyphens (an IDNA name in its xn-- form) or an IP address, with an optional port", ErrBadRequest)
	}
	if d, ok := ref.(name.Digest); ok {
		if h, err := v1.NewHash(d.DigestStr()); err != nil || h.Algorithm != "sha256" {
			return nil, fmt.Errorf("%w: image digest must be sha256:<hex>", ErrBadRequest)
		}
	}
	if reg := ref.Context().RegistryStr(); reg != strings.ToLower(reg) {
		repo := strings.ToLower(reg) + "/" + ref.Context().RepositoryStr()
		switch r := ref.(type) {
		case name.Digest:
			ref, err = name.NewDigest(repo+"@"+r.DigestStr(), name.StrictValidation)
		case name.Tag:
			ref, err = name.NewTag(repo+":"+r.TagStr(), name.StrictValidation)
		default:
			err = fmt.Errorf("reference of type %T", ref)
		}
		if err != nil {
			return nil, badImage(err)
		}
	}
	return ref, nil
}

// runtimeHost reports whether reg, a registry as go-containerregistry read
// it, is one the container runtimes read too (the distribution reference
// grammar: dot-separated labels of ASCII letters, digits and inner
// hyphens, or a bracketed IPv6 literal, then an optional numeric port).
// go-containerregistry takes any URI authority: a Unicode host was decided
// as a look-alike of another ("ɡhcr.io"), which no runtime pulls, and one
// with the Kelvin sign (U+212A) was lowered by parseImage to another,
// ASCII host, which the gate verified instead of the one requested.
func runtimeHost(reg string) bool {
	host, port := reg, ""
	if strings.HasPrefix(reg, "[") {
		end := strings.IndexByte(reg, ']')
		if end < 0 {
			return false
		}
		ip, err := netip.ParseAddr(reg[1:end])
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return false
		}
		host, port = "", reg[end+1:]
	} else if i := strings.IndexByte(reg, ':'); i >= 0 {
		host, port = reg[:i], reg[i:]
	}
	if port != "" {
		p := strings.TrimPrefix(port, ":")
		if p == port || p == "" || strings.ContainsFunc(p, func(r rune) bool { return r < '0' || r > '9' }) {
			return false
		}
	}
	if host == "" {
		return strings.HasPrefix(reg, "[")
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// allowedRegistry refuses ref unless WithRegistries allows its registry.
func (g *Gate) allowedRegistry(ref name.Reference) error {
	if !g.cfg.registryAllowed(ref) {
		return fmt.Errorf("%w: %q", ErrRegistryNotAllowed, ref.Context().RegistryStr())
	}
	return nil
}

// badImage is the bad request of an image reference that does not parse.
// go-containerregistry's message quotes the reference as it came, which
// is the caller's: a line break or a bidi override in it reached
// Decision.Error, the admission webhook's message and any text log of
// them as the caller wrote it, and a reference as long as the request
// body made as long an error. The message is quoted and bounded.
func badImage(err error) error {
	return fmt.Errorf("%w: image: %q", ErrBadRequest, clip.String(err.Error(), 256))
}

// verification returns the context of one image verification (a flight,
// detached from its callers): bounded by the decision timeout and carrying
// the verification's budget (Limits.MaxFetchBytes, MaxVerifiedBundles).
func (g *Gate) verification(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancelTimeout := context.WithTimeout(ctx, g.cfg.limits.Timeout)
	ctx, cancelBudget := withBudget(ctx, g.cfg.limits)
	return ctx, func() { cancelBudget(nil); cancelTimeout() }
}

// event returns the audit event of a decision about resource by id (the
// zero Identity when the caller did not authenticate).
func (g *Gate) event(id identity.Identity, resource string, outcome audit.Outcome, reason string) audit.Event {
	ev := audit.Event{ID: randid.New(), Time: g.cfg.now().UTC(), Source: AuditSource, Action: AuditAction,
		Outcome: outcome, Resource: resource, Reason: reason}
	if !id.IsZero() {
		ev.Actor = id.AuditActor()
		ev.Correlation = audit.Correlation{RunID: id.Claims.RunID}
	} else {
		ev.Actor = audit.Actor{ID: "unauthenticated"}
	}
	return ev
}

// markDryRun marks the audit event of a dry-run request.
func markDryRun(req Request, ev *audit.Event) {
	if !req.DryRun {
		return
	}
	if ev.Attributes == nil {
		ev.Attributes = map[string]string{}
	}
	ev.Attributes["dry_run"] = "true"
}

// resource names what a request is about, for the audit event of a request
// that was not decided. It is caller input: bounded, never a token.
func resource(req Request) string {
	r := req.Image
	if r == "" {
		r = req.Name + "@" + req.Digest
	}
	// Clipped at a character boundary: cut inside a multi-byte
	// character, it is not UTF-8, which the audit log refuses, and the
	// refusal of a request whose image has one at the cut went unaudited.
	return clip.String(r, 512)
}

// errorKind is the stable category of a Decide error, for audit reasons and
// metrics labels.
func errorKind(err error) string {
	switch {
	case errors.Is(err, ErrJobBusy):
		return "job_busy"
	case errors.Is(err, ErrBudgetExceeded):
		return "budget_exceeded"
	case errors.Is(err, ErrBadRequest):
		return "bad_request"
	case errors.Is(err, ErrUnauthenticated):
		return "unauthenticated"
	default:
		return "undecided"
	}
}
