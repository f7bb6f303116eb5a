package identity_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
)

// reportingVerifier is a verifier that says whether it is single-use.
type reportingVerifier struct{ singleUse bool }

func (reportingVerifier) Verify(context.Context, string) (identity.Identity, error) {
	return identity.Identity{}, errors.New("unused")
}
func (r reportingVerifier) SingleUse() bool { return r.singleUse }

// TestReview31SingleUseAdapters: the adapters report what their Verify
// does: a SingleUseTokenVerifierFunc and a DeferredTokenVerifierFunc (whose
// Verify spends) are single-use; a TokenVerifierFunc is not.
func TestReview31SingleUseAdapters(t *testing.T) {
	t.Parallel()
	verify := func(context.Context, string) (identity.Identity, error) { return identity.Identity{}, nil }
	deferred := func(context.Context, string) (identity.Identity, func(context.Context) error, error) {
		return identity.Identity{}, func(context.Context) error { return nil }, nil
	}
	for _, tc := range []struct {
		name      string
		v         identity.TokenVerifier
		singleUse bool
	}{
		{name: "TokenVerifierFunc", v: identity.TokenVerifierFunc(verify)},
		{name: "SingleUseTokenVerifierFunc", v: identity.SingleUseTokenVerifierFunc(verify), singleUse: true},
		{name: "DeferredTokenVerifierFunc", v: identity.DeferredTokenVerifierFunc(deferred), singleUse: true},
		{name: "reporter false", v: reportingVerifier{}},
		{name: "reporter true", v: reportingVerifier{singleUse: true}, singleUse: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := identity.SingleUse(tc.v); got != tc.singleUse {
				t.Fatalf("SingleUse = %v, want %v", got, tc.singleUse)
			}
			err := identity.RequireReusable(tc.v)
			if got := errors.Is(err, identity.ErrSingleUse); got != tc.singleUse {
				t.Fatalf("RequireReusable = %v", err)
			}
			if tc.singleUse && !errors.Is(err, identity.ErrConfig) {
				t.Fatalf("RequireReusable = %v, want identity.ErrConfig", err)
			}
		})
	}
}
