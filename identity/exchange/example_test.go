package exchange_test

import (
	"context"
	"fmt"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/exchange"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/svid"
)

// A job trades its OIDC token for an X.509-SVID named after its repository.
func Example() {
	ctx := context.Background()
	tokens, err := oidc.NewIssuer("https://ci.example.com")
	if err != nil {
		panic(err)
	}
	verifier, err := oidc.NewVerifier("https://ci.example.com", "spiffe://ci.example.com", oidc.WithKeySet(tokens.KeySet()))
	if err != nil {
		panic(err)
	}
	ca, err := svid.NewIssuer(spiffeid.RequireTrustDomainFromString("ci.example.com"))
	if err != nil {
		panic(err)
	}
	tmpl, err := exchange.ParseTemplate("/ci/{platform}/{repository...}")
	if err != nil {
		panic(err)
	}
	// Only jobs on a protected ref get an SVID; an exchange that was not
	// built (a bad template or matcher) must stop the service, not run without.
	ex, err := exchange.New(verifier, ca, tmpl, exchange.WithMatcher(identity.MatchClaim("ref_protected", "true")))
	if err != nil {
		panic(err)
	}

	tok, err := tokens.Mint(ctx, oidc.Job{Claims: identity.Claims{Platform: "ztci", Repository: "octo-org/app", RefProtected: true}}, "spiffe://ci.example.com")
	if err != nil {
		panic(err)
	}
	s, err := ex.X509SVID(ctx, tok.Reveal())
	fmt.Println(s.ID, err)
	// Output: spiffe://ci.example.com/ci/ztci/octo-org/app <nil>
}
