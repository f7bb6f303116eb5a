package svid_test

import (
	"errors"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/svid"
)

// TestParseAndValidateJWTNeedsAnAudience: go-spiffe (through go-jose)
// skips the audience check when the expected list is empty, so
// ParseAndValidateJWT(tok, iss, nil) used to accept a JWT-SVID minted for
// "https://vault.example.com" as if it were this relying party's. An empty
// list, or an empty expected audience, is now refused.
func TestParseAndValidateJWTNeedsAnAudience(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(spiffeid.RequireTrustDomainFromString("ci.test"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := iss.JWTSVID(t.Context(), spiffeid.RequireFromString("spiffe://ci.test/job/a"), time.Time{}, "https://vault.example.com")
	if err != nil {
		t.Fatal(err)
	}
	tok := s.Marshal()
	for name, aud := range map[string][]string{"nil": nil, "empty list": {}, "empty audience": {""}, "empty among others": {"deployer", ""}} {
		if _, err := svid.ParseAndValidateJWT(tok, iss, aud); !errors.Is(err, svid.ErrInvalidSVID) || !errors.Is(err, svid.ErrConfig) {
			t.Errorf("%s: a JWT-SVID for another audience: %v, want ErrInvalidSVID and ErrConfig", name, err)
		}
	}
	if _, err := svid.ParseAndValidateJWT(tok, iss, []string{"deployer", "https://vault.example.com"}); err != nil {
		t.Errorf("one of the expected audiences: %v", err)
	}
	if _, err := svid.ParseAndValidateJWT(tok, iss, []string{"deployer"}); !errors.Is(err, svid.ErrInvalidSVID) {
		t.Errorf("another audience: %v", err)
	}
}
