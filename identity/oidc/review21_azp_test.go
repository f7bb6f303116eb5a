package oidc

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestReview21AzpMultiAudience: a token whose aud lists another party
// besides the verifier reached that party too, which could replay it here.
// OIDC Core 3.1.3.7: such a token is accepted only when azp names the
// verifier's audience, or by a verifier built WithMultipleAudiences. A
// token for the verifier alone is accepted whatever its azp (Google puts
// the service account there).
func TestReview21AzpMultiAudience(t *testing.T) {
	t.Parallel()
	ec, _, _ := testKeys(t)
	sign := func(kv ...any) string {
		return signES256(t, ec, []byte(`{"alg":"ES256","kid":"ec1"}`), mustJSON(t, with(goodClaims(), kv...)))
	}
	verifier := func(opts ...Option) *Verifier {
		v, err := NewVerifier("https://issuer.test", "vault", append([]Option{WithKeySet(testKeySet(t)), WithClock(func() time.Time { return testNow })}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	strictV, multiV := verifier(), verifier(WithMultipleAudiences())
	for _, tc := range []struct {
		name        string
		tok         string
		strict      bool // accepted by the default verifier
		multi       bool // accepted WithMultipleAudiences
		wantAzpDeny bool
	}{
		{"single aud, no azp", sign(), true, true, false},
		{"single aud string, no azp", sign("aud", "vault"), true, true, false},
		{"single aud, foreign azp (Google)", sign("azp", "1234567890"), true, true, false},
		{"aud repeated, no azp", sign("aud", []string{"vault", "vault"}), true, true, false},
		{"aud with empty entry", sign("aud", []string{"vault", ""}), true, true, false},
		{"multi aud, no azp (replayed by gate)", sign("aud", []string{"gate", "vault"}), false, true, true},
		{"multi aud, azp names another audience", sign("aud", []string{"gate", "vault"}, "azp", "gate"), false, true, true},
		{"multi aud, azp names nobody", sign("aud", []string{"gate", "vault"}, "azp", "other"), false, true, true},
		{"multi aud, azp not a string", sign("aud", []string{"gate", "vault"}, "azp", []string{"vault"}), false, true, true},
		{"multi aud, azp empty", sign("aud", []string{"gate", "vault"}, "azp", ""), false, true, true},
		{"multi aud, azp ours", sign("aud", []string{"gate", "vault"}, "azp", "vault"), true, true, false},
		{"not our audience at all", sign("aud", []string{"gate", "sigstore"}, "azp", "vault"), false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := strictV.VerifyToken(t.Context(), tc.tok)
			if tc.strict != (err == nil) {
				t.Errorf("default verifier: err = %v, want accepted = %v", err, tc.strict)
			}
			if tc.wantAzpDeny {
				var ce *ClaimError
				if !errors.Is(err, ErrAuthorizedParty) || !errors.Is(err, ErrAudience) || !errors.Is(err, ErrClaims) || !errors.As(err, &ce) || ce.Claim != "azp" {
					t.Errorf("default verifier: err = %v, want a ClaimError on azp wrapping ErrAuthorizedParty and ErrAudience", err)
				}
			}
			if _, err := multiV.VerifyToken(t.Context(), tc.tok); tc.multi != (err == nil) {
				t.Errorf("WithMultipleAudiences: err = %v, want accepted = %v", err, tc.multi)
			}
		})
	}
}

// TestReview21MintMultiAudience: Mint refuses several audiences unless
// the issuer acknowledges the replay risk WithMultipleAudiences; such a
// token then verifies only at verifiers that acknowledge it too.
func TestReview21MintMultiAudience(t *testing.T) {
	t.Parallel()
	iss, err := NewIssuer("https://ci.example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, more := range [][]string{{"gate"}, {"vault"}, {"gate", "sigstore"}} {
		if _, err := iss.Mint(t.Context(), testJob, "vault", more...); !errors.Is(err, ErrConfig) {
			t.Errorf("Mint(vault, %v) = %v, want ErrConfig", more, err)
		} else if !strings.Contains(err.Error(), "WithMultipleAudiences") {
			t.Errorf("Mint refusal does not name the option: %v", err)
		}
	}
	multi, err := NewIssuer("https://ci.example.com", WithMultipleAudiences())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := multi.Mint(t.Context(), testJob, "gate", "vault")
	if err != nil {
		t.Fatal(err)
	}
	ks := multi.KeySet()
	strictV, err := NewVerifier("https://ci.example.com", "vault", WithKeySet(ks))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strictV.Verify(t.Context(), tok.Reveal()); !errors.Is(err, ErrAuthorizedParty) {
		t.Errorf("default verifier accepted a multi-audience token: %v", err)
	}
	multiV, err := NewVerifier("https://ci.example.com", "vault", WithKeySet(ks), WithMultipleAudiences())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := multiV.Verify(t.Context(), tok.Reveal()); err != nil {
		t.Errorf("WithMultipleAudiences verifier: %v", err)
	}
}
