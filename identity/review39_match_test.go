package identity_test

import (
	"testing"

	"github.com/ztci/ztci/identity"
)

// TestReview39MatchCombinatorsCopy: All and Any kept the caller's slice,
// so a vendor that built a grant's matcher from a slice and reused the
// slice afterwards (appending to it, resetting an element) changed whom
// the grant matches after the Guard was built.
func TestReview39MatchCombinatorsCopy(t *testing.T) {
	t.Parallel()
	who := identity.Identity{Issuer: "https://evil.example", Subject: "job"}
	for _, tc := range []struct {
		name    string
		combine func(...identity.Matcher) identity.Matcher
	}{
		{name: "All", combine: identity.All},
		{name: "Any", combine: identity.Any},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ms := []identity.Matcher{identity.MatchIssuer("https://ci.example")}
			m := tc.combine(ms...)
			ms[0] = identity.MatchIssuer("https://evil.example")
			if m.Match(who) {
				t.Fatalf("%s matched %q after its argument slice changed", tc.name, who.ID())
			}
		})
	}
}
