package oidc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/claims"
	"github.com/ztci/ztci/internal/origin"
	"github.com/ztci/ztci/internal/randid"
)

// Defaults of the verifier.
const (
	DefaultLeeway          = 30 * time.Second
	DefaultMaxTokenSize    = 16 << 10
	DefaultRefreshInterval = 30 * time.Second
	DefaultCacheTTL        = 10 * time.Minute
)

// Verifier verifies job tokens from one issuer for one audience. It is safe
// for concurrent use and starts no goroutines.
type Verifier struct {
	issuer   string
	audience string
	cfg      config
	keys     keySource
}

// Verified is what a successful verification established. It holds no
// token material.
type Verified struct {
	// Identity is the caller: issuer, subject and normalized claims.
	Identity identity.Identity
	// TokenID is the jti ("" when absent).
	TokenID string
	// Audience lists the token's audiences.
	Audience []string
	// IssuedAt, NotBefore and Expiry are the iat and nbf (zero when
	// absent) and exp claims.
	IssuedAt, NotBefore, Expiry time.Time
	// AMR lists the authentication methods (RFC 8176) of a human token, e.g.
	// "mfa"; empty for job tokens.
	AMR []string
	// Raw holds every verified claim as decoded by encoding/json.
	Raw map[string]any
}

// NewVerifier returns a verifier that accepts only tokens whose iss equals
// issuer exactly and whose aud contains audience (and no other audience
// unless azp equals audience, or [WithMultipleAudiences]). Both are required. Keys
// come from the issuer's discovery document and JWKS (fetched lazily on the
// first Verify, over https; plain http only from a loopback issuer), or
// from [WithKeySet]. issuer may hold no userinfo, query or fragment
// ([ErrConfig]). A fetch follows redirects only within the origin of
// the URL requested, at most three, and never to plain HTTP
// ([ErrRedirect]).
func NewVerifier(issuer, audience string, opts ...Option) (*Verifier, error) {
	if issuer == "" || audience == "" {
		return nil, fmt.Errorf("%w: issuer and audience are required", ErrConfig)
	}
	u, err := checkIssuerURL(issuer)
	if err != nil {
		return nil, err
	}
	cfg := config{
		logger:          slog.New(slog.DiscardHandler),
		now:             time.Now,
		algs:            allAlgorithms,
		leeway:          DefaultLeeway,
		maxSize:         DefaultMaxTokenSize,
		refreshInterval: DefaultRefreshInterval,
		cacheTTL:        DefaultCacheTTL,
		normalize:       claims.ForIssuer(issuer),
	}
	if err := cfg.apply(forVerifier, opts); err != nil {
		return nil, err
	}
	v := &Verifier{issuer: issuer, audience: audience, cfg: cfg}
	if cfg.keySet != nil {
		v.keys = staticKeys{cfg.keySet}
	} else {
		if u.Scheme == "http" && !origin.Loopback(u) {
			return nil, fmt.Errorf("%w: issuer %q: keys are fetched over https only (plain http only from a loopback issuer)", ErrConfig, issuer)
		}
		client := cfg.client
		if client == nil {
			client = &http.Client{Timeout: 10 * time.Second}
		}
		v.keys = newRemoteKeys(issuer, sameOriginClient(client), cfg.now, cfg.cacheTTL, cfg.refreshInterval)
	}
	return v, nil
}

// Issuer returns the one issuer (iss, exact) whose tokens v accepts.
func (v *Verifier) Issuer() string { return v.issuer }

// Verify verifies raw and returns the caller's identity. Any error means
// "deny": it wraps [ErrInvalidToken] when the token was rejected, and
// [ErrKeySet] or a context error when the verifier could not decide.
func (v *Verifier) Verify(ctx context.Context, raw string) (identity.Identity, error) {
	t, err := v.VerifyToken(ctx, raw)
	if err != nil {
		return identity.Identity{}, err
	}
	return t.Identity, nil
}

// SingleUse implements [identity.SingleUseReporter]: it reports whether v
// was built with [WithSingleUse], so that each token verifies once. A
// component that verifies one token repeatedly (policy/egress) refuses
// such a verifier ([identity.RequireReusable]).
func (v *Verifier) SingleUse() bool { return v != nil && v.cfg.replay != nil }

// VerifyToken is [Verifier.Verify] returning everything the token
// established.
func (v *Verifier) VerifyToken(ctx context.Context, raw string) (*Verified, error) {
	t, err := v.verify(ctx, raw)
	if err != nil {
		return nil, v.failed(ctx, err)
	}
	return t, nil
}

// VerifyDeferred implements [identity.DeferredTokenVerifier]: it verifies
// raw as [Verifier.Verify] does but does not spend it, and returns the
// spend that does. With [WithSingleUse], spend records the token's jti in
// the replay cache: it fails, wrapping [ErrReplayed], for a token already
// spent (by a spend or a Verify), and wraps [ErrExpired] for one that
// expired in between; a token verified and never spent stays usable.
// Without WithSingleUse spend consumes nothing and returns nil. A second
// call of one spend returns an error wrapping [ErrReplayed]. Failures of
// either step are audited and logged as Verify's are. spend checks the
// token's expiry again but not its key: call it right after the
// verification, not later.
func (v *Verifier) VerifyDeferred(ctx context.Context, raw string) (identity.Identity, func(context.Context) error, error) {
	t, err := v.verifyUnspent(ctx, raw)
	if err != nil {
		return identity.Identity{}, nil, v.failed(ctx, err)
	}
	var called atomic.Bool
	spend := func(ctx context.Context) error {
		if called.Swap(true) {
			return v.failed(ctx, &ClaimError{Claim: "jti", Want: "a token spent once", Got: "a second spend of one verification", Err: ErrReplayed})
		}
		if err := v.spend(ctx, t); err != nil {
			return v.failed(ctx, err)
		}
		return nil
	}
	return t.Identity, spend, nil
}

// failed audits and logs the rejection err, and returns it (joined with
// the audit's failure).
func (v *Verifier) failed(ctx context.Context, err error) error {
	if aerr := v.auditFailure(ctx, err); aerr != nil {
		return fmt.Errorf("%w (and audit failed: %w)", err, aerr)
	}
	v.cfg.logger.DebugContext(ctx, "job token rejected", "issuer", v.issuer, "error", err)
	return err
}

func (v *Verifier) verify(ctx context.Context, raw string) (*Verified, error) {
	t, err := v.verifyUnspent(ctx, raw)
	if err != nil {
		return nil, err
	}
	if err := v.spend(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// verifyUnspent is verify without spending a single-use token.
func (v *Verifier) verifyUnspent(ctx context.Context, raw string) (*Verified, error) {
	t, err := v.verifySignature(ctx, raw)
	if err != nil {
		return nil, err
	}
	c, err := decodeClaims(t.payload)
	if errors.Is(err, ErrAmbiguousJSON) {
		return nil, fmt.Errorf("%w: claims: %w", ErrMalformed, err)
	}
	if err != nil || c == nil {
		return nil, fmt.Errorf("%w: claims are not a JSON object", ErrMalformed)
	}
	out, err := v.checkClaims(c)
	if err != nil {
		return nil, err
	}
	for _, b := range v.cfg.bound {
		if err := b.check(c); err != nil {
			return nil, err
		}
	}
	norm, err := v.cfg.normalize(c)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrClaims, err)
	}
	out.Identity.Claims = norm
	if v.cfg.replay != nil && out.TokenID == "" {
		return nil, &ClaimError{Claim: "jti", Want: "a token id (single-use verifier)", Err: ErrReplayed}
	}
	return out, nil
}

// spend records t's jti in the replay cache of a single-use verifier; it
// does nothing for another.
func (v *Verifier) spend(ctx context.Context, t *Verified) error {
	if v.cfg.replay != nil {
		until := t.Expiry.Add(v.cfg.leeway)
		if err := v.cfg.replay.Claim(ctx, v.issuer+"\x00"+t.TokenID, until); err != nil {
			return err
		}
		// exp was checked before the claim. A cache takes over a record
		// that has lapsed (a reused jti), so a replay that passed the
		// check an instant before expiry and reached the cache an instant
		// after would be recorded as new: the record is ours only if the
		// token is still valid now.
		if now := v.cfg.now(); !now.Before(until) {
			return &ClaimError{Claim: "exp", Want: "still valid when its jti was recorded", Got: t.Expiry.UTC().Format(time.RFC3339), Err: ErrExpired}
		}
	}
	return nil
}

// verifySignature runs the JWS layer: strict parsing, header policy, key
// selection and signature check. It does not look at the claims.
func (v *Verifier) verifySignature(ctx context.Context, raw string) (*jws, error) {
	t, alg, err := parseCompact(raw, v.cfg.maxSize, v.cfg.algs)
	if err != nil {
		return nil, err
	}
	k, err := v.keys.key(ctx, t.header.Kid)
	if err != nil {
		return nil, err
	}
	if !k.allows(alg) {
		return nil, &AlgorithmError{Got: string(alg), Allowed: names(k.algs)}
	}
	if !verifySignature(alg, k.pub, []byte(t.signingInput), t.signature) {
		return nil, ErrSignature
	}
	return t, nil
}

func (v *Verifier) checkClaims(c map[string]any) (*Verified, error) {
	now := v.cfg.now()
	out := &Verified{Raw: c}
	iss, _ := c["iss"].(string)
	if iss != v.issuer {
		return nil, &ClaimError{Claim: "iss", Want: fmt.Sprintf("%q", v.issuer), Got: iss, Err: ErrIssuer}
	}
	sub, _ := c["sub"].(string)
	if sub == "" {
		return nil, &ClaimError{Claim: "sub", Want: "a non-empty string", Err: ErrSubject}
	}
	switch aud := c["aud"].(type) {
	case string:
		if aud != "" {
			out.Audience = []string{aud}
		}
	case []any:
		for _, a := range aud {
			s, ok := a.(string)
			if !ok {
				return nil, &ClaimError{Claim: "aud", Want: "strings", Got: fmt.Sprint(a), Err: ErrAudience}
			}
			if s != "" {
				out.Audience = append(out.Audience, s)
			}
		}
	}
	if !slices.Contains(out.Audience, v.audience) {
		return nil, &ClaimError{Claim: "aud", Want: fmt.Sprintf("to contain %q", v.audience), Got: fmt.Sprint(out.Audience), Err: ErrAudience}
	}
	if err := v.checkAuthorizedParty(c, out.Audience); err != nil {
		return nil, err
	}
	exp, ok := numericDate(c["exp"])
	if !ok {
		return nil, &ClaimError{Claim: "exp", Want: "a NumericDate", Err: ErrExpired}
	}
	if !now.Before(exp.Add(v.cfg.leeway)) {
		return nil, &ClaimError{Claim: "exp", Want: "after " + now.Add(-v.cfg.leeway).UTC().Format(time.RFC3339), Got: exp.UTC().Format(time.RFC3339), Err: ErrExpired}
	}
	out.Expiry = exp
	for _, name := range [...]string{"nbf", "iat"} {
		x, present := c[name]
		if !present {
			continue
		}
		t, ok := numericDate(x)
		if !ok {
			return nil, &ClaimError{Claim: name, Want: "a NumericDate", Err: ErrNotYetValid}
		}
		if t.After(now.Add(v.cfg.leeway)) {
			return nil, &ClaimError{Claim: name, Want: "before " + now.Add(v.cfg.leeway).UTC().Format(time.RFC3339), Got: t.UTC().Format(time.RFC3339), Err: ErrNotYetValid}
		}
		if name == "iat" {
			out.IssuedAt = t
		} else {
			out.NotBefore = t
		}
	}
	if jti, present := c["jti"]; present {
		s, ok := jti.(string)
		if !ok {
			return nil, fmt.Errorf("%w: jti is not a string", ErrMalformed)
		}
		out.TokenID = s
	}
	if amr, ok := c["amr"].([]any); ok {
		for _, m := range amr {
			if s, ok := m.(string); ok {
				out.AMR = append(out.AMR, s)
			}
		}
	}
	out.Identity = identity.Identity{Issuer: iss, Subject: sub}
	return out, nil
}

// checkAuthorizedParty applies OIDC Core 3.1.3.7 to a token that lists
// audiences besides ours: every one of them received a token we would
// accept, so only azp naming us says the token was meant for us. A token
// for us alone needs no azp, and its azp is not read: issuers such as
// Google put the presenting client there, not the audience.
func (v *Verifier) checkAuthorizedParty(c map[string]any, aud []string) error {
	if v.cfg.multiAud || !slices.ContainsFunc(aud, func(a string) bool { return a != v.audience }) {
		return nil
	}
	if azp, _ := c["azp"].(string); azp != v.audience {
		return &ClaimError{Claim: "azp", Want: fmt.Sprintf("%q (aud lists other audiences; see WithMultipleAudiences)", v.audience), Got: azp, Err: ErrAuthorizedParty}
	}
	return nil
}

// numericDate accepts a JSON number of seconds since the epoch within a
// sane range (RFC 7519 §2).
func numericDate(v any) (time.Time, bool) {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || f < 0 || f > 1<<40 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

func (v *Verifier) auditFailure(ctx context.Context, err error) error {
	if v.cfg.sink == nil {
		return nil
	}
	outcome := audit.OutcomeDeny
	if !isRejection(err) {
		outcome = audit.OutcomeError
	}
	return v.cfg.sink.Write(ctx, audit.Event{
		ID:       randid.New(),
		Time:     v.cfg.now().UTC(),
		Source:   "ztci/identity/oidc",
		Action:   "identity.token.verify",
		Outcome:  outcome,
		Actor:    audit.Actor{ID: "unauthenticated", Kind: "job"},
		Resource: "oidc-issuer:" + v.issuer,
		Reason:   err.Error(),
	})
}
