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
	multiAud bool // WithMultipleAudiences
}

// NewJWTVerifier returns a verifier for audience, which is required: an
// empty expected audience is refused here rather than silently skipped.
// The only option it takes is [WithMultipleAudiences]; any other is
// refused ([ErrConfig]) rather than silently ignored.
func NewJWTVerifier(bundles jwtbundle.Source, audience string, opts ...Option) (*JWTVerifier, error) {
	if bundles == nil || audience == "" {
		return nil, fmt.Errorf("%w: a bundle source and a non-empty audience are required", ErrConfig)
	}
	v := &JWTVerifier{bundles: bundles, audience: audience}
	for i, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		// Applied alone to an empty config, WithMultipleAudiences is the
		// only option that sets multiAud; every other is the issuer's.
		var c config
		if err := o(&c); err != nil {
			return nil, err
		}
		if !c.multiAud {
			return nil, fmt.Errorf("%w: option %d is an Issuer option; a JWTVerifier takes only WithMultipleAudiences", ErrConfig, i)
		}
		v.multiAud = true
	}
	return v, nil
}

// Verify validates raw (signature against the bundle of the SVID's trust
// domain, audience, expiry) and returns the workload's identity. A
// JWT-SVID whose aud lists any audience besides this verifier's is refused
// ([ErrMultipleAudiences]) unless it was built [WithMultipleAudiences]:
// each of those audiences holds the token too and could be replaying it
// here. Any error means deny; it wraps [ErrInvalidSVID].
func (v *JWTVerifier) Verify(_ context.Context, raw string) (identity.Identity, error) {
	s, err := ParseAndValidateJWT(raw, v.bundles, []string{v.audience})
	if err != nil {
		return identity.Identity{}, err
	}
	if !v.multiAud && slices.ContainsFunc(s.Audience, func(a string) bool { return a != v.audience }) {
		return identity.Identity{}, fmt.Errorf("%w: %w: aud lists audiences besides %q (see WithMultipleAudiences)", ErrInvalidSVID, ErrMultipleAudiences, v.audience)
	}
	return identity.Identity{SPIFFEID: s.ID}, nil
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
// "any audience". Any error wraps [ErrInvalidSVID].
func ParseAndValidateJWT(raw string, bundles jwtbundle.Source, audience []string) (*jwtsvid.SVID, error) {
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
	return s, nil
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
