package svid

import (
	"context"
	"fmt"

	"github.com/spiffe/go-spiffe/v2/bundle/jwtbundle"
	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"

	"github.com/ztci/ztci/identity"
)

// JWTVerifier verifies JWT-SVIDs for one audience against a JWT bundle
// source (an [Issuer], a workload.Sources, or a static bundle). It has the
// Verify method identity/httpauth's WithBearer expects.
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
	s, err := jwtsvid.ParseAndValidate(raw, v.bundles, []string{v.audience})
	if err != nil {
		return identity.Identity{}, fmt.Errorf("%w: JWT-SVID: %w", ErrInvalidSVID, err)
	}
	return identity.Identity{SPIFFEID: s.ID}, nil
}
