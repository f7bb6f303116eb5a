package egress_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/policy/egress"
)

// TestReview31SingleUseVerifierRefused: the proxy verifies every request
// of a job with the job's one token, so a verifier that accepts each token
// once would refuse the job's second request, and the token spent at the
// proxy could no longer be used where it was meant (the deploy gate). New
// refuses a verifier that reports it is single-use, at construction.
func TestReview31SingleUseVerifierRefused(t *testing.T) {
	t.Parallel()
	const issuer = "https://issuer.example"
	singleUse, err := oidc.NewVerifier(issuer, "egress", oidc.WithSingleUse(oidc.NewMemoryReplayCache(8, nil)))
	if err != nil {
		t.Fatal(err)
	}
	reusable, err := oidc.NewVerifier(issuer, "egress")
	if err != nil {
		t.Fatal(err)
	}
	verify := func(context.Context, string) (identity.Identity, error) { return jobA, nil }
	deferred := func(context.Context, string) (identity.Identity, func(context.Context) error, error) {
		return jobA, func(context.Context) error { return nil }, nil
	}
	for _, tc := range []struct {
		name    string
		tokens  identity.TokenVerifier
		refused bool
	}{
		{name: "oidc single-use", tokens: singleUse, refused: true},
		{name: "oidc reusable", tokens: reusable},
		{name: "single-use func", tokens: identity.SingleUseTokenVerifierFunc(verify), refused: true},
		{name: "deferred func spends on Verify", tokens: identity.DeferredTokenVerifierFunc(deferred), refused: true},
		{name: "plain func", tokens: identity.TokenVerifierFunc(verify)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := egress.New(tc.tokens, identity.MatchID(jobA.ID()), testRules(t, 443), &recorder{})
			if !tc.refused {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				_ = p.Close()
				return
			}
			if p != nil {
				_ = p.Close()
			}
			if !errors.Is(err, egress.ErrConfig) || !errors.Is(err, identity.ErrSingleUse) {
				t.Fatalf("New = %v, want ErrConfig and identity.ErrSingleUse", err)
			}
		})
	}
}
