package oidc

import (
	"errors"
	"fmt"

	"github.com/ztci/ztci/internal/clip"
)

// Errors returned by [Verifier.Verify]. Every rejection wraps [ErrInvalidToken];
// [ErrKeySet] means the verifier could not decide (keys unavailable) and must
// also be treated as a deny.
var (
	// ErrInvalidToken is the root of every token rejection.
	ErrInvalidToken = errors.New("oidc: invalid token")

	// ErrMalformed: not three strict base64url segments, or bad JSON.
	ErrMalformed = fmt.Errorf("%w: malformed", ErrInvalidToken)
	// ErrTooLarge: the token exceeds the verifier's size limit.
	ErrTooLarge = fmt.Errorf("%w: too large", ErrInvalidToken)
	// ErrAlgorithm: alg is none, HMAC, unknown, or not allowed for the key.
	ErrAlgorithm = fmt.Errorf("%w: algorithm not allowed", ErrInvalidToken)
	// ErrForbiddenHeader: the header carries jwk, jku, x5u, x5c, crit or b64,
	// which the verifier never trusts, cty, zip or enc, which say the
	// payload is not the claim set as signed, or a typ other than JWT or
	// JOSE.
	ErrForbiddenHeader = fmt.Errorf("%w: forbidden header", ErrInvalidToken)
	// ErrUnknownKey: no key in the issuer's key set has the token's kid.
	ErrUnknownKey = fmt.Errorf("%w: unknown key", ErrInvalidToken)
	// ErrSignature: the signature does not verify.
	ErrSignature = fmt.Errorf("%w: bad signature", ErrInvalidToken)
	// ErrClaims is the parent of every claim check failure below.
	ErrClaims = fmt.Errorf("%w: claims", ErrInvalidToken)
	// ErrIssuer: iss is not the expected issuer.
	ErrIssuer = fmt.Errorf("%w: wrong issuer", ErrClaims)
	// ErrAudience: aud is missing, empty, or lacks the expected audience.
	ErrAudience = fmt.Errorf("%w: wrong audience", ErrClaims)
	// ErrAuthorizedParty: aud lists an audience besides the verifier's and
	// azp does not name the verifier's audience (OIDC Core 3.1.3.7), and
	// the verifier was not built [WithMultipleAudiences]. Such a token
	// reaches every audience it lists, and any of them could replay it
	// here. It wraps [ErrAudience].
	ErrAuthorizedParty = fmt.Errorf("%w: several audiences without azp naming ours", ErrAudience)
	// ErrExpired: exp is missing or in the past (beyond the leeway).
	ErrExpired = fmt.Errorf("%w: expired", ErrClaims)
	// ErrNotYetValid: nbf or iat is in the future (beyond the leeway).
	ErrNotYetValid = fmt.Errorf("%w: not yet valid", ErrClaims)
	// ErrSubject: sub is missing.
	ErrSubject = fmt.Errorf("%w: missing subject", ErrClaims)
	// ErrReplayed: a single-use verifier has already accepted this jti, or
	// the token has no jti.
	ErrReplayed = fmt.Errorf("%w: replayed", ErrClaims)
	// ErrBoundClaims: a bound-claims rule is not satisfied.
	ErrBoundClaims = fmt.Errorf("%w: bound claims not satisfied", ErrClaims)

	// ErrAmbiguousJSON: a JOSE header, claim set, discovery document or
	// JWKS repeats a member, holds two member names that differ only in
	// case, or spells a registered name (alg, kid, iss, keys, ...) in
	// another case. Such a document can mean one thing to encoding/json,
	// which matches names case-insensitively and keeps the last repeat, and
	// another to a peer. It comes wrapped together with [ErrMalformed] (a
	// token) or [ErrKeySet] (keys).
	ErrAmbiguousJSON = errors.New("oidc: ambiguous JSON member names")

	// ErrKeySet: discovery or the JWKS could not be fetched or parsed.
	ErrKeySet = errors.New("oidc: key set unavailable")
	// ErrPrivateKey: a JWKS holds a key with private or secret members (d,
	// p, q, dp, dq, qi or oth of an RSA, EC or OKP key; k of a symmetric
	// key). Whoever reads the set can then sign tokens that verify against
	// it, so the whole set is refused, never just that key, and a verifier
	// drops its cached set rather than serve it for another TTL. The error
	// names the key (index, kid) and the member, never its value.
	ErrPrivateKey = fmt.Errorf("%w: JWKS publishes private or secret key material", ErrKeySet)
	// ErrRedirect: a discovery or JWKS response redirected to another
	// origin (scheme, host, port) than the URL requested, to plain HTTP, or
	// more than three times; the redirect was not followed.
	ErrRedirect = fmt.Errorf("%w: redirect refused", ErrKeySet)
	// ErrReplayCacheFull: the single-use cache is full of live entries; the
	// token is refused rather than risk a replay.
	ErrReplayCacheFull = errors.New("oidc: replay cache full")

	// ErrConfig: a constructor was given an invalid or conflicting option.
	ErrConfig = errors.New("oidc: invalid configuration")
)

// maxQuoted bounds the token values (header members, claims) quoted in an
// error: alg, kid and typ are read before the signature is checked, so
// whoever presents a token chooses them, a job chooses its token's aud
// when it asks its platform for one, and the error reaches logs and audit
// events.
const maxQuoted = 128

// ClaimError reports a claim that did not have the expected value. It wraps
// one of the Err* claim sentinels. Want and Got never hold token material.
// Got is the claim as received; Error quotes it clipped.
type ClaimError struct {
	Claim string
	Want  string
	Got   string
	Err   error
}

func (e *ClaimError) Error() string {
	return fmt.Sprintf("%v: claim %q: want %s, got %s", e.Err, e.Claim, e.Want, clip.Quote(e.Got, maxQuoted))
}

func (e *ClaimError) Unwrap() error { return e.Err }

// AlgorithmError reports an algorithm that was refused. Got is the header's
// alg as received; Error quotes it clipped.
type AlgorithmError struct {
	Got     string
	Allowed []string
}

func (e *AlgorithmError) Error() string {
	return fmt.Sprintf("%v: got %s, allowed %v", ErrAlgorithm, clip.Quote(e.Got, maxQuoted), e.Allowed)
}

func (e *AlgorithmError) Unwrap() error { return ErrAlgorithm }
