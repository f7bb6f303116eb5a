package oidc_test

import (
	"testing"
	"time"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
)

// Verified carries the token's iat, nbf and exp as the verifier read
// them, so that a consumer (attest/ca bounds certificates by them) never
// parses the claims again.
func TestVerifiedTimes(t *testing.T) {
	t.Parallel()
	iss, err := oidc.NewIssuer("https://ci.example.com")
	if err != nil {
		t.Fatal(err)
	}
	v, err := oidc.NewVerifier("https://ci.example.com", "aud", oidc.WithKeySet(iss.KeySet()))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := iss.Mint(t.Context(), oidc.Job{Claims: identity.Claims{Repository: "acme/app", Ref: "refs/heads/main"}}, "aud")
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.VerifyToken(t.Context(), tok.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	if got.NotBefore.IsZero() || got.IssuedAt.IsZero() || !got.Expiry.Equal(tok.Expiry().Truncate(time.Second)) || got.NotBefore.After(got.Expiry) {
		t.Errorf("iat %v, nbf %v, exp %v (token exp %v)", got.IssuedAt, got.NotBefore, got.Expiry, tok.Expiry())
	}
}
