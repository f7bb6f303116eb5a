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
	tokens, _ := oidc.NewIssuer("https://ci.example.com")
	verifier, _ := oidc.NewVerifier("https://ci.example.com", "spiffe://ci.example.com", oidc.WithKeySet(tokens.KeySet()))
	ca, _ := svid.NewIssuer(spiffeid.RequireTrustDomainFromString("ci.example.com"))
	tmpl, _ := exchange.ParseTemplate("/ci/{platform}/{repository...}")
	ex, _ := exchange.New(verifier, ca, tmpl, exchange.WithMatcher(identity.MatchClaim("ref_protected", "true")))

	tok, _ := tokens.Mint(ctx, oidc.Job{Claims: identity.Claims{Platform: "ztci", Repository: "octo-org/app", RefProtected: true}}, "spiffe://ci.example.com")
	s, err := ex.X509SVID(ctx, tok.Reveal())
	fmt.Println(s.ID, err)
	// Output: spiffe://ci.example.com/ci/ztci/octo-org/app <nil>
}
