package svid

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/spiffe/go-spiffe/v2/bundle/jwtbundle"
	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/strictjson"
)

// JWTVerifier verifies JWT-SVIDs for one audience against a JWT bundle
// source (an [Issuer], a workload.Sources, or a static bundle). It is an
// [identity.TokenVerifier], as identity/httpauth's WithBearer takes.
type JWTVerifier struct {
	bundles  jwtbundle.Source
	audience string
	checks   jwtChecks
}

// NewJWTVerifier returns a verifier for audience, which is required: an
// empty expected audience is refused here rather than silently skipped.
// The only options it takes are [WithMultipleAudiences] and
// [WithMaxJWTLifetime]; any other is refused ([ErrConfig]) rather than
// silently ignored.
func NewJWTVerifier(bundles jwtbundle.Source, audience string, opts ...Option) (*JWTVerifier, error) {
	if bundles == nil || audience == "" {
		return nil, fmt.Errorf("%w: a bundle source and a non-empty audience are required", ErrConfig)
	}
	chk, err := verifierChecks(opts)
	if err != nil {
		return nil, err
	}
	return &JWTVerifier{bundles: bundles, audience: audience, checks: chk}, nil
}

// Verify validates raw as [ParseAndValidateJWT] does (signature against the
// bundle of the SVID's trust domain, this verifier's audience and no other
// unless [WithMultipleAudiences], expiry, lifetime) and returns the
// workload's identity. Any error means deny; it wraps [ErrInvalidSVID].
func (v *JWTVerifier) Verify(_ context.Context, raw string) (identity.Identity, error) {
	s, err := parseAndValidateJWT(raw, v.bundles, []string{v.audience}, v.checks)
	if err != nil {
		return identity.Identity{}, err
	}
	return identity.Identity{SPIFFEID: s.ID}, nil
}

// DefaultMaxJWTLifetime is the longest lifetime (exp minus iat) a JWT-SVID
// verifier accepts unless [WithMaxJWTLifetime] says otherwise: twelve times
// the 5 minutes SPIRE and this package's [Issuer] give a JWT-SVID by
// default, as long as SPIRE's older default SVID TTL. A JWT-SVID minted to
// live longer came from a misconfigured or compromised issuer, and whoever
// steals it holds a bearer credential until it expires.
const DefaultMaxJWTLifetime = time.Hour

// ErrJWTLifetime: a JWT-SVID without an iat claim, or whose exp is not
// after its iat or lies further after it than the verifier's maximum
// lifetime ([DefaultMaxJWTLifetime], [WithMaxJWTLifetime]). It comes
// wrapped together with [ErrInvalidSVID].
var ErrJWTLifetime = errors.New("svid: JWT-SVID lifetime not accepted")

// WithMaxJWTLifetime sets the longest lifetime (exp minus iat, which is
// then required) of a JWT-SVID a verifier accepts: d in (0, [MaxSVIDTTL]],
// default [DefaultMaxJWTLifetime]. Set it to the JWT-SVID TTL of the
// issuers you trust (their [Issuer.JWTVerifierOptions] for an [Issuer]).
// Verifiers only ([NewJWTVerifier], [ParseAndValidateJWT]); [NewIssuer]
// refuses it.
func WithMaxJWTLifetime(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 || d > MaxSVIDTTL {
			return fmt.Errorf("%w: maximum JWT-SVID lifetime %v outside (0, %v]", ErrConfig, d, MaxSVIDTTL)
		}
		c.maxLifetime = d
		return nil
	}
}

// JWTVerifierOptions are the verifier options under which every JWT-SVID
// this issuer mints is accepted: [WithMultipleAudiences] when the issuer
// was built with it, and a [WithMaxJWTLifetime] of its JWT-SVID TTL when
// that is longer than [DefaultMaxJWTLifetime]. identity/workload validates
// with them.
func (i *Issuer) JWTVerifierOptions() []Option {
	var opts []Option
	if i.cfg.multiAud {
		opts = append(opts, WithMultipleAudiences())
	}
	if i.cfg.jwtTTL > DefaultMaxJWTLifetime {
		opts = append(opts, WithMaxJWTLifetime(i.cfg.jwtTTL))
	}
	return opts
}

// verifierChecks applies a verifier's options to the default checks,
// refusing ([ErrConfig]) a nil option and any that is an issuer's.
func verifierChecks(opts []Option) (jwtChecks, error) {
	chk := jwtChecks{maxLifetime: DefaultMaxJWTLifetime}
	for i, o := range opts {
		if o == nil {
			return jwtChecks{}, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		// Applied alone to an empty config, only a verifier's option sets
		// a check; every other is the issuer's.
		var c config
		if err := o(&c); err != nil {
			return jwtChecks{}, err
		}
		switch {
		case c.jwtChecks == jwtChecks{}:
			return jwtChecks{}, fmt.Errorf("%w: option %d is an Issuer option; a verifier takes only WithMultipleAudiences and WithMaxJWTLifetime", ErrConfig, i)
		case c.multiAud:
			chk.multiAud = true
		default:
			chk.maxLifetime = c.maxLifetime
		}
	}
	return chk, nil
}

// ErrAmbiguousJSON: a JWT-SVID's header or claims repeat a member, hold
// two member names that differ only in case, or spell a registered name
// (alg, kid, sub, aud, ...) in another case. Such a token can mean one thing
// to one JOSE implementation and another to the next. It comes wrapped
// together with [ErrInvalidSVID].
var ErrAmbiguousJSON = errors.New("svid: ambiguous JSON member names")

// ErrJWTHeader: a JWT-SVID's header holds a member other than alg, kid and
// typ. The JWT-SVID specification (§2) says no other header, registered
// or private, may be included, and go-spiffe does not enforce it. Two
// kinds matter most: members that carry or point to keys (jwk, jku, x5u,
// x5c) or change how the token is processed (crit, b64), which a peer
// library that honours them would verify against an attacker's key or
// read differently; and members that say the payload is not the claim set
// as signed (cty: a nested JWT or other content; zip: a compressed
// payload; enc: a JWE, RFC 7516 §9), which go-spiffe reads as the claims
// whatever they say. It comes wrapped together with [ErrInvalidSVID].
var ErrJWTHeader = errors.New("svid: JWT-SVID header member not allowed")

// ErrJWTEncoding: a JWT-SVID is not exactly three segments of strict
// unpadded base64url: it holds CR or LF (which Go's base64 decoder skips),
// other bytes outside the alphabet, or a last character with non-zero
// unused bits. go-jose decodes such segments and verifies the signature
// over their re-encoding, so every one of them would be another token
// string for the same signed token. It comes wrapped together with
// [ErrInvalidSVID].
var ErrJWTEncoding = errors.New("svid: JWT-SVID not in strict compact serialization")

// MaxJWTSize is the largest JWT-SVID [ParseAndValidateJWT] reads, in
// bytes: room for a 2048-byte SPIFFE ID, several audiences and an RSA-4096
// signature, as the OIDC job-token verifier's default.
const MaxJWTSize = 16 << 10

// ErrJWTTooLarge: a JWT-SVID is longer than [MaxJWTSize]. From a verifier
// it comes wrapped together with [ErrInvalidSVID]; from [Issuer.JWTSVID],
// whose audiences would make the token that long, together with
// [ErrConfig].
var ErrJWTTooLarge = errors.New("svid: JWT-SVID too large")

// allowedHeaders are the only JOSE header members a JWT-SVID may hold
// (JWT-SVID specification §2); any other is refused with [ErrJWTHeader].
var allowedHeaders = []string{"alg", "kid", "typ"}

// jwtHeaderNames and jwtClaimNames are the registered JOSE header (RFC
// 7515 §4.1, RFC 7797, RFC 7516 §4.1) and JWT claim (RFC 7519 §4.1) names.
var (
	jwtHeaderNames = []string{"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "b64", "zip", "enc"}
	jwtClaimNames  = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}
)

// strictB64 decodes unpadded base64url and refuses non-zero unused bits;
// CR and LF, which it still skips, are refused before it runs.
var strictB64 = base64.RawURLEncoding.Strict()

// decodeSegment decodes one segment of a compact JWS strictly: only the
// base64url alphabet, no padding, no CR or LF, zero unused bits.
func decodeSegment(name, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return nil, fmt.Errorf("%w: %w: %s: byte %d is not base64url", ErrInvalidSVID, ErrJWTEncoding, name, i)
		}
	}
	b, err := strictB64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %s: %v", ErrInvalidSVID, ErrJWTEncoding, name, err)
	}
	return b, nil
}

// ParseAndValidateJWT is go-spiffe's jwtsvid.ParseAndValidate after a
// check that the token is at most [MaxJWTSize] bytes ([ErrJWTTooLarge]),
// that it is exactly three segments of strict unpadded base64url
// ([ErrJWTEncoding]), that its header and claims are unambiguous JSON
// ([ErrAmbiguousJSON]): no repeated member, no two member names equal but
// for case, no registered name in another case, and that its header holds
// no member but alg, kid and typ ([ErrJWTHeader]); and a check that the
// SVID's SPIFFE ID names a workload ([CheckPeerID]: not a trust domain's
// own ID, at most [MaxIDLength] bytes). The token must name at least one
// of audience, which must hold at least one audience and no empty one
// (else an error wrapping [ErrConfig] too): go-spiffe reads an empty list as
// "any audience". Its aud must list no audience outside audience
// ([ErrMultipleAudiences]: each of those holds the token too and could be
// replaying it here) unless opts hold [WithMultipleAudiences]. It must
// carry iat, and its exp lie after iat by at most [DefaultMaxJWTLifetime]
// or opts' [WithMaxJWTLifetime] ([ErrJWTLifetime]); go-spiffe already
// refuses a token without exp, and go-jose one expired or whose iat or nbf
// is more than a minute ahead. opts are a verifier's only (else
// [ErrConfig]). Any error wraps [ErrInvalidSVID].
func ParseAndValidateJWT(raw string, bundles jwtbundle.Source, audience []string, opts ...Option) (*jwtsvid.SVID, error) {
	chk, err := verifierChecks(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSVID, err)
	}
	return parseAndValidateJWT(raw, bundles, audience, chk)
}

// parseAndValidateJWT is ParseAndValidateJWT with its options applied.
func parseAndValidateJWT(raw string, bundles jwtbundle.Source, audience []string, chk jwtChecks) (*jwtsvid.SVID, error) {
	// go-spiffe hands audience to go-jose, which skips the audience check
	// when the list is empty: a caller whose configured audience came out
	// empty would accept a JWT-SVID minted for any relying party.
	if len(audience) == 0 || slices.Contains(audience, "") {
		return nil, fmt.Errorf("%w: %w: an expected audience is required, and none may be empty", ErrInvalidSVID, ErrConfig)
	}
	// Bounded before any decoding: go-spiffe and go-jose read a token of any
	// size, and whoever presents it chooses that size.
	if len(raw) > MaxJWTSize {
		return nil, fmt.Errorf("%w: %w: %d bytes, limit %d", ErrInvalidSVID, ErrJWTTooLarge, len(raw), MaxJWTSize)
	}
	segs := strings.Split(raw, ".")
	if len(segs) != 3 {
		return nil, fmt.Errorf("%w: %w: %d segments, want 3", ErrInvalidSVID, ErrJWTEncoding, len(segs))
	}
	if _, err := decodeSegment("signature", segs[2]); err != nil {
		return nil, err
	}
	var claims []byte
	for i, seg := range []struct {
		name  string
		names []string
	}{{"header", jwtHeaderNames}, {"claims", jwtClaimNames}} {
		b, err := decodeSegment(seg.name, segs[i])
		if err != nil {
			return nil, err
		}
		if err := strictjson.Check(b, seg.names...); err != nil {
			if errors.Is(err, strictjson.ErrAmbiguous) {
				return nil, fmt.Errorf("%w: JWT-SVID %s: %w: %w", ErrInvalidSVID, seg.name, ErrAmbiguousJSON, err)
			}
			return nil, fmt.Errorf("%w: JWT-SVID %s: %v", ErrInvalidSVID, seg.name, err)
		}
		if seg.name == "header" {
			if err := checkHeaderMembers(b); err != nil {
				return nil, err
			}
		}
		claims = b
	}
	s, err := jwtsvid.ParseAndValidate(raw, bundles, audience)
	if err != nil {
		return nil, fmt.Errorf("%w: JWT-SVID: %w", ErrInvalidSVID, err)
	}
	// go-spiffe parses IDs of any length and a trust domain's own ID; the
	// SPIFFE specification bounds IDs at 2048 bytes, a JWT-SVID names a
	// workload, and this package never issues either, so such a sub did
	// not come from a conforming issuer.
	if err := CheckPeerID(s.ID); err != nil {
		return nil, fmt.Errorf("%w: JWT-SVID: %w", ErrInvalidSVID, err)
	}
	if !chk.multiAud && slices.ContainsFunc(s.Audience, func(a string) bool { return !slices.Contains(audience, a) }) {
		return nil, fmt.Errorf("%w: %w: aud lists audiences besides %.256q (see WithMultipleAudiences)", ErrInvalidSVID, ErrMultipleAudiences, audience)
	}
	if err := checkLifetime(claims, chk.maxLifetime); err != nil {
		return nil, err
	}
	return s, nil
}

// checkLifetime refuses signed claims (already read by go-spiffe, which
// required exp) without iat, or whose exp is not after iat or lies more
// than max after it: go-spiffe and go-jose check only that exp has not
// passed, so a token minted to live for years would be accepted for years.
func checkLifetime(claims []byte, max time.Duration) error {
	var t struct {
		IssuedAt *jwt.NumericDate `json:"iat"`
		Expiry   *jwt.NumericDate `json:"exp"`
	}
	if err := json.Unmarshal(claims, &t); err != nil || t.Expiry == nil {
		return fmt.Errorf("%w: %w: exp and iat unreadable", ErrInvalidSVID, ErrJWTLifetime)
	}
	if t.IssuedAt == nil {
		return fmt.Errorf("%w: %w: no iat claim", ErrInvalidSVID, ErrJWTLifetime)
	}
	if life := t.Expiry.Time().Sub(t.IssuedAt.Time()); life <= 0 || life > max {
		return fmt.Errorf("%w: %w: exp is %v after iat, accepted (0, %v]", ErrInvalidSVID, ErrJWTLifetime, life, max)
	}
	return nil
}

// checkHeaderMembers refuses a header (already checked by strictjson, so
// its names are exact and unrepeated) holding a member other than
// allowedHeaders.
func checkHeaderMembers(header []byte) error {
	var h map[string]json.RawMessage
	if err := json.Unmarshal(header, &h); err != nil {
		return fmt.Errorf("%w: JWT-SVID header: %v", ErrInvalidSVID, err)
	}
	for _, name := range slices.Sorted(maps.Keys(h)) {
		if !slices.Contains(allowedHeaders, name) {
			return fmt.Errorf("%w: %w: %.64q", ErrInvalidSVID, ErrJWTHeader, name)
		}
	}
	return nil
}
