package identity_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
)

// TestReview28DeferredFuncVerify: the adapter's Verify verifies and spends,
// and refuses a verification that returned no spend (fail closed).
func TestReview28DeferredFuncVerify(t *testing.T) {
	t.Parallel()
	id := identity.Identity{Issuer: "https://ci.example.com", Subject: "s"}
	spent := errors.New("spent")
	for _, tc := range []struct {
		name  string
		spend func(context.Context) error
		want  error
	}{
		{name: "spend ok", spend: func(context.Context) error { return nil }},
		{name: "spend refused", spend: func(context.Context) error { return spent }, want: spent},
		{name: "no spend", want: identity.ErrNoSpend},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := identity.DeferredTokenVerifierFunc(func(context.Context, string) (identity.Identity, func(context.Context) error, error) {
				return id, tc.spend, nil
			})
			var tv identity.TokenVerifier = f
			got, err := tv.Verify(t.Context(), "t")
			if tc.want == nil && (err != nil || got != id) || tc.want != nil && (!errors.Is(err, tc.want) || !got.IsZero()) {
				t.Fatalf("Verify = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
