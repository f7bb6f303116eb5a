package svid

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

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
}

// NewJWTVerifier returns a verifier for audience, which is required: an
// empty expected audience is refused here rather than silently skipped.
func NewJWTVerifier(bundles jwtbundle.Source, audience string) (*JWTVerifier, error) {
	if bundles == nil || audience == "" {
		return nil, fmt.Errorf("%w: a bundle source and a non-empty audience are required", ErrConfig)
	}
	return &JWTVerifier{bundles: bundles, audience: audience}, nil
}

// Verify validates raw (signature against the bundle of the SVID's trust
// domain, audience, expiry) and returns the workload's identity. Any error
// means deny; it wraps [ErrInvalidSVID].
func (v *JWTVerifier) Verify(_ context.Context, raw string) (identity.Identity, error) {
	s, err := ParseAndValidateJWT(raw, v.bundles, []string{v.audience})
	if err != nil {
		return identity.Identity{}, err
	}
	return identity.Identity{SPIFFEID: s.ID}, nil
}

// ErrAmbiguousJSON: a JWT-SVID's header or claims repeat a member, hold
// two member names that differ only in case, or spell a registered name
// (alg, kid, sub, aud, ...) in another case. Such a token can mean one thing
// to one JOSE implementation and another to the next. It comes wrapped
// together with [ErrInvalidSVID].
var ErrAmbiguousJSON = errors.New("svid: ambiguous JSON member names")

// jwtHeaderNames and jwtClaimNames are the registered JOSE header (RFC
// 7515 §4.1, RFC 7797) and JWT claim (RFC 7519 §4.1) names.
var (
	jwtHeaderNames = []string{"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "b64"}
	jwtClaimNames  = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}
)

// ParseAndValidateJWT is go-spiffe's jwtsvid.ParseAndValidate after a
// check that the token's header and claims are unambiguous JSON
// ([ErrAmbiguousJSON]): no repeated member, no two member names equal but
// for case, no registered name in another case. Any error wraps
// [ErrInvalidSVID].
func ParseAndValidateJWT(raw string, bundles jwtbundle.Source, audience []string) (*jwtsvid.SVID, error) {
	h, rest, _ := strings.Cut(raw, ".")
	p, _, _ := strings.Cut(rest, ".")
	for _, seg := range []struct {
		name, b64 string
		names     []string
	}{{"header", h, jwtHeaderNames}, {"claims", p, jwtClaimNames}} {
		b, err := base64.RawURLEncoding.DecodeString(seg.b64)
		if err != nil {
			return nil, fmt.Errorf("%w: JWT-SVID %s: %v", ErrInvalidSVID, seg.name, err)
		}
		if err := strictjson.Check(b, seg.names...); err != nil {
			if errors.Is(err, strictjson.ErrAmbiguous) {
				return nil, fmt.Errorf("%w: JWT-SVID %s: %w: %w", ErrInvalidSVID, seg.name, ErrAmbiguousJSON, err)
			}
			return nil, fmt.Errorf("%w: JWT-SVID %s: %v", ErrInvalidSVID, seg.name, err)
		}
	}
	s, err := jwtsvid.ParseAndValidate(raw, bundles, audience)
	if err != nil {
		return nil, fmt.Errorf("%w: JWT-SVID: %w", ErrInvalidSVID, err)
	}
	// go-spiffe parses IDs of any length; the SPIFFE specification bounds
	// them at 2048 bytes, and this package never issues a longer one, so a
	// longer sub did not come from a conforming issuer.
	if err := CheckIDLength(s.ID); err != nil {
		return nil, fmt.Errorf("%w: JWT-SVID: %w", ErrInvalidSVID, err)
	}
	return s, nil
}
