package identity_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
)

// deferredOnly is a DeferredTokenVerifier (whose Verify, by contract,
// consumes the token) that does not implement SingleUseReporter.
type deferredOnly struct{}

func (deferredOnly) Verify(context.Context, string) (identity.Identity, error) {
	return identity.Identity{}, errors.New("unused")
}

func (deferredOnly) VerifyDeferred(context.Context, string) (identity.Identity, func(context.Context) error, error) {
	return identity.Identity{}, nil, errors.New("unused")
}

// deferredReusable is a DeferredTokenVerifier that says its Verify does
// not consume tokens (as *oidc.Verifier without WithSingleUse).
type deferredReusable struct{ deferredOnly }

func (deferredReusable) SingleUse() bool { return false }

// TestReview39SingleUseDeferred: a DeferredTokenVerifier that did not also
// report SingleUse was taken as reusable, so the egress proxy accepted it
// and the job's first request spent the token it needed at the deploy
// gate. Saying nothing, it is single-use now; its own answer still wins.
func TestReview39SingleUseDeferred(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		v         identity.TokenVerifier
		singleUse bool
	}{
		{name: "deferred, silent", v: deferredOnly{}, singleUse: true},
		{name: "deferred, reports reusable", v: deferredReusable{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := identity.SingleUse(tc.v); got != tc.singleUse {
				t.Fatalf("SingleUse = %v, want %v", got, tc.singleUse)
			}
			if got := errors.Is(identity.RequireReusable(tc.v), identity.ErrSingleUse); got != tc.singleUse {
				t.Fatalf("RequireReusable is ErrSingleUse = %v, want %v", got, tc.singleUse)
			}
		})
	}
}
