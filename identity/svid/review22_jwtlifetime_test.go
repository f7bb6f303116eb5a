package svid_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/spiffe/go-spiffe/v2/bundle/jwtbundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/svid"
)

// review22Minter signs JWT-SVIDs for /job/a with any claims, under a key
// the returned bundle trusts: a misconfigured or compromised issuer.
func review22Minter(t *testing.T) (*jwtbundle.Bundle, func(aud []string, iat, exp *jwt.NumericDate) string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	bundle := jwtbundle.New(td)
	if err := bundle.AddJWTAuthority("k1", key.Public()); err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	return bundle, func(aud []string, iat, exp *jwt.NumericDate) string {
		tok, err := jwt.Signed(signer).Claims(jwt.Claims{
			Subject: spiffeid.RequireFromPath(td, "/job/a").String(), Audience: aud, IssuedAt: iat, Expiry: exp,
		}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
}

// TestReview22JWTSVIDLifetime: a JWT-SVID whose exp lay years after its
// iat (or that had no iat) was accepted until exp, so a token stolen from a
// misconfigured issuer stayed a bearer credential for years. Now
// ParseAndValidateJWT and JWTVerifier refuse (ErrJWTLifetime) a token
// without iat, with exp not after iat, or living longer than
// DefaultMaxJWTLifetime unless WithMaxJWTLifetime allows it; an issuer's
// JWTVerifierOptions accept what it mints.
func TestReview22JWTSVIDLifetime(t *testing.T) {
	t.Parallel()
	bundle, mint := review22Minter(t)
	now := time.Now()
	at := func(d time.Duration) *jwt.NumericDate { return jwt.NewNumericDate(now.Add(d)) }
	aud := []string{"gate"}
	for name, tc := range map[string]struct {
		iat, exp *jwt.NumericDate
		opts     []svid.Option
		ok       bool
	}{
		"5m":                           {at(0), at(5 * time.Minute), nil, true},
		"years":                        {at(0), at(5 * 365 * 24 * time.Hour), nil, false},
		"backdated iat":                {at(-3 * time.Hour), at(time.Minute), nil, false},
		"no iat":                       {nil, at(time.Minute), nil, false},
		"exp before iat":               {at(30 * time.Second), at(20 * time.Second), nil, false},
		"2h":                           {at(0), at(2 * time.Hour), nil, false},
		"2h WithMaxJWTLifetime(3h)":    {at(0), at(2 * time.Hour), []svid.Option{svid.WithMaxJWTLifetime(3 * time.Hour)}, true},
		"10m WithMaxJWTLifetime(5m)":   {at(0), at(10 * time.Minute), []svid.Option{svid.WithMaxJWTLifetime(5 * time.Minute)}, false},
		"years WithMaxJWTLifetime(1d)": {at(0), at(5 * 365 * 24 * time.Hour), []svid.Option{svid.WithMaxJWTLifetime(svid.MaxSVIDTTL)}, false},
	} {
		tok := mint(aud, tc.iat, tc.exp)
		_, err := svid.ParseAndValidateJWT(tok, bundle, aud, tc.opts...)
		v, verr := svid.NewJWTVerifier(bundle, "gate", tc.opts...)
		if verr != nil {
			t.Fatal(verr)
		}
		_, vErr := v.Verify(t.Context(), tok)
		for fn, err := range map[string]error{"ParseAndValidateJWT": err, "JWTVerifier": vErr} {
			if tc.ok && err != nil {
				t.Errorf("%s: %s: %v, want accepted", name, fn, err)
			}
			if !tc.ok && (!errors.Is(err, svid.ErrJWTLifetime) || !errors.Is(err, svid.ErrInvalidSVID)) {
				t.Errorf("%s: %s: %v, want ErrJWTLifetime and ErrInvalidSVID", name, fn, err)
			}
		}
	}

	for name, d := range map[string]time.Duration{"zero": 0, "negative": -time.Minute, "beyond MaxSVIDTTL": svid.MaxSVIDTTL + time.Second} {
		if v, err := svid.NewJWTVerifier(bundle, "gate", svid.WithMaxJWTLifetime(d)); !errors.Is(err, svid.ErrConfig) {
			t.Errorf("WithMaxJWTLifetime %s = %v, %v; want ErrConfig", name, v, err)
		}
	}
	if iss, err := svid.NewIssuer(td, svid.WithMaxJWTLifetime(time.Hour)); !errors.Is(err, svid.ErrConfig) {
		t.Errorf("NewIssuer(WithMaxJWTLifetime) = %v, %v; want ErrConfig (a verifier's option)", iss, err)
	}

	// An issuer minting for longer than the default: refused by a default
	// verifier, accepted under its JWTVerifierOptions.
	long, err := svid.NewIssuer(td, svid.WithJWTTTL(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s, err := long.JWTSVID(t.Context(), spiffeid.RequireFromPath(td, "/job/a"), time.Time{}, "gate")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svid.ParseAndValidateJWT(s.Marshal(), long, aud); !errors.Is(err, svid.ErrJWTLifetime) {
		t.Errorf("2h issuer's token, default verifier: %v, want ErrJWTLifetime", err)
	}
	if _, err := svid.ParseAndValidateJWT(s.Marshal(), long, aud, long.JWTVerifierOptions()...); err != nil {
		t.Errorf("2h issuer's token under its JWTVerifierOptions: %v", err)
	}
}

// TestReview22ParseAndValidateJWTAudiences: ParseAndValidateJWT (and so
// the Workload API's ValidateJWTSVID) accepted a JWT-SVID for [vault gate]
// when asked for gate, so Vault could replay it at the gate. Now it is
// refused with ErrMultipleAudiences unless WithMultipleAudiences; a token
// whose audiences are all expected still verifies; an issuer option is
// refused rather than ignored.
func TestReview22ParseAndValidateJWTAudiences(t *testing.T) {
	t.Parallel()
	bundle, mint := review22Minter(t)
	now := time.Now()
	both := mint([]string{"vault", "gate"}, jwt.NewNumericDate(now), jwt.NewNumericDate(now.Add(time.Minute)))
	if _, err := svid.ParseAndValidateJWT(both, bundle, []string{"gate"}); !errors.Is(err, svid.ErrMultipleAudiences) || !errors.Is(err, svid.ErrInvalidSVID) {
		t.Errorf("token for [vault gate], expecting gate: %v; want ErrMultipleAudiences and ErrInvalidSVID", err)
	}
	if _, err := svid.ParseAndValidateJWT(both, bundle, []string{"gate"}, svid.WithMultipleAudiences()); err != nil {
		t.Errorf("token for [vault gate], expecting gate, WithMultipleAudiences: %v", err)
	}
	if _, err := svid.ParseAndValidateJWT(both, bundle, []string{"gate", "vault"}); err != nil {
		t.Errorf("token for [vault gate], expecting either: %v", err)
	}
	for name, opt := range map[string]svid.Option{"issuer option": svid.WithJWTTTL(time.Minute), "nil": nil} {
		if _, err := svid.ParseAndValidateJWT(both, bundle, []string{"gate"}, opt); !errors.Is(err, svid.ErrConfig) {
			t.Errorf("ParseAndValidateJWT with %s: %v; want ErrConfig", name, err)
		}
	}
}
