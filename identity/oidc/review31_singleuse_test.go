package oidc_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
)

// TestReview31SingleUseReported: a verifier says whether it is single-use,
// so that a component verifying one token repeatedly (the egress proxy)
// can refuse it at construction instead of refusing the job's second
// request, or spending the token meant for the deploy gate.
func TestReview31SingleUseReported(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		opts      []oidc.Option
		singleUse bool
	}{
		{name: "reusable"},
		{name: "single-use", opts: []oidc.Option{oidc.WithSingleUse(oidc.NewMemoryReplayCache(4, nil))}, singleUse: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := oidc.NewVerifier("https://issuer.example", "aud", tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got := identity.SingleUse(v); got != tc.singleUse {
				t.Fatalf("identity.SingleUse = %v, want %v", got, tc.singleUse)
			}
			err = identity.RequireReusable(v)
			if tc.singleUse != errors.Is(err, identity.ErrSingleUse) {
				t.Fatalf("RequireReusable = %v, want ErrSingleUse: %v", err, tc.singleUse)
			}
			if err != nil && !errors.Is(err, identity.ErrConfig) {
				t.Fatalf("RequireReusable = %v, want it to wrap identity.ErrConfig", err)
			}
		})
	}
}

// TestReview31SingleUseNilVerifier: a nil *Verifier handed to a
// constructor that asks whether it is single-use does not panic there.
func TestReview31SingleUseNilVerifier(t *testing.T) {
	t.Parallel()
	var v *oidc.Verifier
	if v.SingleUse() {
		t.Fatal("nil verifier reports single-use")
	}
}
