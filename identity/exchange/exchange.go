package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/claims"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/randid"
	"github.com/ztci/ztci/internal/redact"
)

// Verifier verifies a CI OIDC token. *oidc.Verifier implements it.
//
// It is not [identity.TokenVerifier] because the exchange needs the token's
// expiry as well as the identity it proves: an SVID never outlives the
// token it was exchanged for.
type Verifier interface {
	VerifyToken(ctx context.Context, raw string) (*oidc.Verified, error)
}

// Option configures an [Exchange].
type Option func(*config) error

// config is what the options set.
type config struct {
	sink      audit.Sink
	admit     identity.Matcher
	issuer    string
	untrusted []string // normalized events; nil: claims.DefaultUntrustedTriggers
}

// WithIssuer names the one token issuer (the iss URL, exact) whose tokens
// the exchange accepts. Required when the [Verifier] does not report its
// issuer with an Issuer() string method (*oidc.Verifier does; New checks
// that the two agree). Claims name repositories only within one issuer:
// GitHub's repository 123 and a GitLab project 123, or "acme/app" on
// gitlab.com and on a self-managed GitLab, would get one SPIFFE ID from a
// verifier that trusts both. Build one exchange per issuer, each under a
// literal first template segment of its own.
func WithIssuer(issuer string) Option {
	return func(c *config) error {
		if issuer == "" {
			return fmt.Errorf("%w: empty issuer", ErrConfig)
		}
		c.issuer = issuer
		return nil
	}
}

// WithUntrustedTriggers names the run triggers (the event claim, compared
// without case and surrounding space) whose tokens are refused with
// [ErrUntrustedTrigger]. Default: claims.DefaultUntrustedTriggers
// (pull_request_target, workflow_run and CircleCI's ssh-rerun), as the
// policy library's UntrustedTriggers: GitHub runs such a workflow for a
// pull request from anyone with the base branch's ref and ref_protected
// true, so a workflow that checks out the pull request's code would get
// the ID (and pass the [WithMatcher] check) of the protected branch; a
// CircleCI SSH rerun hands its user an interactive shell holding the
// job's token. nil keeps the default, as policy/egress's
// WithUntrustedTriggers and the policy library's
// LibraryConfig.UntrustedTriggers read it (so one list, unset, means the
// same to all three); a non-nil empty list trusts every trigger; a list
// replaces the default (append to claims.DefaultUntrustedTriggers() to
// extend it).
func WithUntrustedTriggers(events []string) Option {
	return func(c *config) error {
		if events == nil {
			c.untrusted = claims.DefaultUntrustedTriggers()
			return nil
		}
		c.untrusted = make([]string, 0, len(events))
		for _, e := range events {
			if claims.NormalEvent(e) == "" {
				return fmt.Errorf("%w: empty trigger", ErrConfig)
			}
			c.untrusted = append(c.untrusted, claims.NormalEvent(e))
		}
		return nil
	}
}

// WithAudit writes every exchange, granted or refused, to sink; if the sink
// fails, no SVID is returned.
func WithAudit(sink audit.Sink) Option {
	return func(c *config) error {
		if sink == nil {
			return fmt.Errorf("%w: nil audit sink", ErrConfig)
		}
		c.sink = sink
		return nil
	}
}

// WithMatcher admits only identities that satisfy m (for example
// identity.MatchClaim("ref_protected", "true")); others are refused.
func WithMatcher(m identity.Matcher) Option {
	return func(c *config) error {
		if m == nil {
			return fmt.Errorf("%w: nil matcher", ErrConfig)
		}
		c.admit = m
		return nil
	}
}

// Exchange turns a verified CI OIDC token into an SVID whose SPIFFE ID is
// derived from the token's claims by a [Template]. The SVID never outlives
// the token.
type Exchange struct {
	verifier Verifier
	issuer   *svid.Issuer
	tmpl     *Template
	config
}

// String names the template. The issuer is never printed: fmt's %s or %q
// of the struct would reach the issuer's fields, its CA key among them,
// by reflection, where the issuer's own Format is not called.
func (e *Exchange) String() string {
	return "exchange.Exchange{" + e.tmpl.String() + ", issuer keys:" + redact.Marker + "}"
}

// GoString is String.
func (e *Exchange) GoString() string { return e.String() }

// Format writes String for every verb.
func (e *Exchange) Format(f fmt.State, _ rune) { redact.Format(f, e.String()) }

// LogValue is String.
func (e *Exchange) LogValue() slog.Value { return slog.StringValue(e.String()) }

// MarshalJSON is String as a JSON string.
func (e *Exchange) MarshalJSON() ([]byte, error) { return json.Marshal(e.String()) }

// New returns an exchange. All three arguments are required, and so is the
// token issuer: the verifier's (an Issuer() string method, as
// *oidc.Verifier has) or [WithIssuer]'s; a token the verifier accepts
// from any other issuer is refused with [ErrIssuer]. The exchange reserves
// its template's namespace (its leading literal segments, "/ci" of
// [DefaultTemplate]) on iss for its token issuer and template
// (svid.Issuer's ReserveNamespace): New refuses ([ErrConfig],
// svid.ErrNamespaceTaken) an exchange of another token issuer, or with
// another template, whose namespace is, or lies above or below, one an
// exchange on iss already holds.
func New(v Verifier, iss *svid.Issuer, tmpl *Template, opts ...Option) (*Exchange, error) {
	if v == nil || iss == nil || tmpl == nil {
		return nil, fmt.Errorf("%w: verifier, issuer and template are required", ErrConfig)
	}
	e := &Exchange{verifier: v, issuer: iss, tmpl: tmpl}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&e.config); err != nil {
			return nil, err
		}
	}
	if vi, ok := v.(interface{ Issuer() string }); ok {
		switch got := vi.Issuer(); {
		case e.config.issuer == "":
			e.config.issuer = got
		case got != e.config.issuer:
			return nil, fmt.Errorf("%w: WithIssuer %s but the verifier trusts %s", ErrConfig, clip.Quote(e.config.issuer, maxQuotedValue), clip.Quote(got, maxQuotedValue))
		}
	}
	if e.config.issuer == "" {
		return nil, fmt.Errorf("%w: the token issuer is required (WithIssuer, or a verifier with an Issuer method): claims name repositories only within one issuer", ErrConfig)
	}
	// Claims name repositories only within one token issuer, and two
	// templates may place different claims at one path ("/ci/{repository...}"
	// gives account "12345"'s repository "678" the ID that
	// "/ci/{repository_owner_id}/{repository_id}" gives repository id 678
	// of owner id 12345): another issuer's or template's exchange on this
	// svid.Issuer, in this namespace, could give another repository the
	// same ID. The template holds no space, so the owner is unambiguous.
	if err := iss.ReserveNamespace(tmpl.namespace(), tmpl.String()+" "+e.config.issuer); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if e.untrusted == nil {
		e.untrusted = claims.DefaultUntrustedTriggers()
	}
	return e, nil
}

// Errors of the exchange.
var (
	// ErrNotAdmitted: [WithMatcher] refused the token's identity.
	ErrNotAdmitted = errors.New("exchange: identity not admitted")
	// ErrConfig: New was given a nil argument or option.
	ErrConfig = errors.New("exchange: invalid configuration")
	// ErrNoExpiry: the Verifier accepted the token but returned no result
	// or no expiry (Verified.Expiry is zero), so no SVID can be bounded by
	// the token's lifetime.
	ErrNoExpiry = errors.New("exchange: verified token has no expiry")
	// ErrIssuer: the verifier accepted a token of another issuer than the
	// exchange's ([WithIssuer]); its claims would name repositories of
	// another namespace with the same IDs.
	ErrIssuer = errors.New("exchange: token of another issuer")
	// ErrUntrustedTrigger: the token's run was started by a trigger of
	// [WithUntrustedTriggers] (default claims.DefaultUntrustedTriggers:
	// pull_request_target, workflow_run, ssh-rerun).
	ErrUntrustedTrigger = errors.New("exchange: untrusted run trigger")
)

func (e *Exchange) resolve(ctx context.Context, raw string) (*oidc.Verified, spiffeid.ID, error) {
	v, err := e.verifier.VerifyToken(ctx, raw)
	if err != nil {
		return nil, spiffeid.ID{}, e.record(ctx, identity.Identity{}, spiffeid.ID{}, err)
	}
	// The SVID's lifetime is capped by v.Expiry, and the issuer reads a
	// zero limit as none: a Verifier other than *oidc.Verifier (a wrapper,
	// a test double) that leaves Expiry unset would get an SVID for the
	// issuer's whole TTL from a token that expires sooner.
	if v == nil || v.Expiry.IsZero() {
		return nil, spiffeid.ID{}, e.record(ctx, identity.Identity{}, spiffeid.ID{}, ErrNoExpiry)
	}
	if v.Identity.Issuer != e.config.issuer {
		return nil, spiffeid.ID{}, e.record(ctx, v.Identity, spiffeid.ID{}, fmt.Errorf("%w: %s", ErrIssuer, clip.Quote(v.Identity.Issuer, maxQuotedValue)))
	}
	if ev := claims.NormalEvent(v.Identity.Claims.Event); slices.Contains(e.untrusted, ev) {
		return nil, spiffeid.ID{}, e.record(ctx, v.Identity, spiffeid.ID{}, fmt.Errorf("%w: %s", ErrUntrustedTrigger, clip.Quote(ev, maxQuotedValue)))
	}
	if e.admit != nil && !e.admit.Match(v.Identity) {
		return nil, spiffeid.ID{}, e.record(ctx, v.Identity, spiffeid.ID{}, ErrNotAdmitted)
	}
	id, err := e.tmpl.ID(e.issuer.TrustDomain(), v.Identity)
	if err != nil {
		return nil, spiffeid.ID{}, e.record(ctx, v.Identity, spiffeid.ID{}, err)
	}
	return v, id, nil
}

// X509SVID verifies raw and issues an X.509-SVID for the derived ID.
func (e *Exchange) X509SVID(ctx context.Context, raw string) (*x509svid.SVID, error) {
	v, id, err := e.resolve(ctx, raw)
	if err != nil {
		return nil, err
	}
	s, err := e.issuer.X509SVID(ctx, id, v.Expiry)
	if err != nil {
		return nil, e.record(ctx, v.Identity, id, err)
	}
	return s, e.record(ctx, v.Identity, id, nil)
}

// JWTSVID verifies raw and issues a JWT-SVID for the derived ID and the
// audiences: more than one only if the issuer was built
// svid.WithMultipleAudiences (else svid.ErrMultipleAudiences), since each
// audience could replay the token at the others.
func (e *Exchange) JWTSVID(ctx context.Context, raw string, audience string, more ...string) (*jwtsvid.SVID, error) {
	v, id, err := e.resolve(ctx, raw)
	if err != nil {
		return nil, err
	}
	s, err := e.issuer.JWTSVID(ctx, id, v.Expiry, audience, more...)
	if err != nil {
		return nil, e.record(ctx, v.Identity, id, err)
	}
	return s, e.record(ctx, v.Identity, id, nil)
}

// record audits the outcome and returns cause, or the audit failure.
func (e *Exchange) record(ctx context.Context, who identity.Identity, id spiffeid.ID, cause error) error {
	if e.sink == nil {
		return cause
	}
	ev := audit.Event{
		ID: randid.New(), Time: time.Now().UTC(), Source: "ztci/identity/exchange", Action: "identity.exchange",
		Outcome: audit.OutcomeAllow, Actor: who.AuditActor(), Resource: "spiffe-id:" + id.String(),
	}
	if who.IsZero() {
		ev.Actor = audit.Actor{ID: "unauthenticated", Kind: "job"}
	}
	if cause != nil {
		ev.Outcome, ev.Reason = audit.OutcomeDeny, cause.Error()
	}
	if err := e.sink.Write(ctx, ev); err != nil {
		if cause != nil {
			return fmt.Errorf("%w (and audit failed: %w)", cause, err)
		}
		return fmt.Errorf("exchange: audit: %w", err)
	}
	return cause
}
