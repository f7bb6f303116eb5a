package svid

import (
	"context"
	"encoding/base64"
	"encoding/json"
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

// ErrJWTHeader: a JWT-SVID's header says its payload is not the claim set
// as signed (cty: a nested JWT or other content; zip: a compressed
// payload; enc: a JWE, RFC 7516 §9). go-spiffe reads the payload as the
// claims whatever these say, and a peer that honours them would read
// others. It comes wrapped together with [ErrInvalidSVID].
var ErrJWTHeader = errors.New("svid: JWT-SVID header member not allowed")

// MaxJWTSize is the largest JWT-SVID [ParseAndValidateJWT] reads, in
// bytes: room for a 2048-byte SPIFFE ID, several audiences and an RSA-4096
// signature, as the OIDC job-token verifier's default.
const MaxJWTSize = 16 << 10

// ErrJWTTooLarge: a JWT-SVID is longer than [MaxJWTSize]. It comes wrapped
// together with [ErrInvalidSVID].
var ErrJWTTooLarge = errors.New("svid: JWT-SVID too large")

// payloadHeaders are the header members refused with [ErrJWTHeader].
var payloadHeaders = []string{"cty", "zip", "enc"}

// jwtHeaderNames and jwtClaimNames are the registered JOSE header (RFC
// 7515 §4.1, RFC 7797, RFC 7516 §4.1) and JWT claim (RFC 7519 §4.1) names.
var (
	jwtHeaderNames = []string{"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "b64", "zip", "enc"}
	jwtClaimNames  = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}
)

// ParseAndValidateJWT is go-spiffe's jwtsvid.ParseAndValidate after a
// check that the token is at most [MaxJWTSize] bytes ([ErrJWTTooLarge]),
// that its header and claims are unambiguous JSON ([ErrAmbiguousJSON]): no
// repeated member, no two member names equal but for case, no registered
// name in another case, and that its header holds no cty, zip or enc
// ([ErrJWTHeader]). Any error wraps [ErrInvalidSVID].
func ParseAndValidateJWT(raw string, bundles jwtbundle.Source, audience []string) (*jwtsvid.SVID, error) {
	// Bounded before any decoding: go-spiffe and go-jose read a token of any
	// size, and whoever presents it chooses that size.
	if len(raw) > MaxJWTSize {
		return nil, fmt.Errorf("%w: %w: %d bytes, limit %d", ErrInvalidSVID, ErrJWTTooLarge, len(raw), MaxJWTSize)
	}
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
		if seg.name == "header" {
			if err := checkPayloadHeaders(b); err != nil {
				return nil, err
			}
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

// checkPayloadHeaders refuses a header (already checked by strictjson, so
// its names are exact) holding one of payloadHeaders.
func checkPayloadHeaders(header []byte) error {
	var h map[string]json.RawMessage
	if err := json.Unmarshal(header, &h); err != nil {
		return fmt.Errorf("%w: JWT-SVID header: %v", ErrInvalidSVID, err)
	}
	for _, name := range payloadHeaders {
		if _, ok := h[name]; ok {
			return fmt.Errorf("%w: %w: %q", ErrInvalidSVID, ErrJWTHeader, name)
		}
	}
	return nil
}
