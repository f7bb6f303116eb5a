package exchange_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	"testing"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/exchange"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/svid"
)

type review8Verifier struct{}

func (review8Verifier) VerifyToken(context.Context, string) (*oidc.Verified, error) { return nil, nil }

// TestReview8ExchangeHidesCAKey: %s or %q of an Exchange reaches its
// issuer's fields by reflection (an unexported pointer is expanded once
// under a verb that does not fit it); the issuer's CA key must not show.
func TestReview8ExchangeHidesCAKey(t *testing.T) {
	key := ed25519.NewKeyFromSeed([]byte("CANARY-SEED-8f3e1c2d-0123456789a"))
	iss, err := svid.NewIssuer(spiffeid.RequireTrustDomainFromString("example.org"), svid.WithCASigner(key))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := exchange.ParseTemplate("/ci/{platform}/{repository...}")
	if err != nil {
		t.Fatal(err)
	}
	e, err := exchange.New(review8Verifier{}, iss, tmpl, exchange.WithIssuer("https://ci.test"))
	if err != nil {
		t.Fatal(err)
	}
	var x any = e
	dec := strings.Trim(fmt.Sprint(key[:8]), "[]")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		out := fmt.Sprintf(verb, x)
		if strings.Contains(out, "CANARY-SEED") || strings.Contains(out, dec) || strings.Contains(out, fmt.Sprintf("%x", key[:8])) {
			t.Errorf("%s of an Exchange leaks the CA key: %.300s", verb, out)
		}
	}
}
