package exchange_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/exchange"
	"github.com/ztci/ztci/identity/oidc"
)

// review10Verifier is a Verifier other than *oidc.Verifier (a wrapper, a
// test double): it accepts every token as one job, with the given result.
type review10Verifier struct{ v *oidc.Verified }

func (r review10Verifier) VerifyToken(context.Context, string) (*oidc.Verified, error) {
	return r.v, nil
}

// TestReview10VerifiedWithoutExpiry: the SVID's lifetime is capped by the
// verified token's expiry, and the SVID issuer reads a zero limit as none.
// A Verifier that accepts a token but reports no expiry (or no result) is
// refused with ErrNoExpiry instead of yielding an SVID for the issuer's
// whole TTL (an hour by default) from a token that may expire in a minute;
// with an expiry, the SVID ends there.
func TestReview10VerifiedWithoutExpiry(t *testing.T) {
	t.Parallel()
	_, _, ca, tm := exchangeParts(t, exchange.DefaultTemplate)
	who := identity.Identity{Issuer: "https://ci.test", Subject: "repo:octo-org/app", Claims: identity.Claims{Platform: "ztci", Repository: "octo-org/app"}}
	for name, v := range map[string]*oidc.Verified{
		"zero expiry": {Identity: who},
		"nil result":  nil,
	} {
		ex, err := exchange.New(review10Verifier{v}, ca, tm, exchange.WithIssuer("https://ci.test"))
		if err != nil {
			t.Fatal(err)
		}
		x, err := ex.X509SVID(t.Context(), "token")
		if !errors.Is(err, exchange.ErrNoExpiry) || x != nil {
			t.Errorf("%s: X509SVID = %v, %v; want ErrNoExpiry and no SVID", name, x, err)
		}
		j, err := ex.JWTSVID(t.Context(), "token", "deployer")
		if !errors.Is(err, exchange.ErrNoExpiry) || j != nil {
			t.Errorf("%s: JWTSVID = %v, %v; want ErrNoExpiry and no SVID", name, j, err)
		}
	}
	exp := time.Now().Add(2 * time.Minute).Truncate(time.Second)
	ex, err := exchange.New(review10Verifier{&oidc.Verified{Identity: who, Expiry: exp}}, ca, tm, exchange.WithIssuer("https://ci.test"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := ex.X509SVID(t.Context(), "token")
	if err != nil {
		t.Fatal(err)
	}
	if na := x.Certificates[0].NotAfter; na.After(exp) {
		t.Errorf("SVID valid until %v, past the token's expiry %v", na, exp)
	}
}
