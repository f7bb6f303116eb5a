package svid_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/svid"
)

// TestReview11JWTSVIDAudienceBound: the issuer signed a JWT-SVID of any
// size its caller's audiences made it (a workload chooses them over the
// Workload API), tokens ParseAndValidateJWT then refuses as longer than
// MaxJWTSize. Now audiences that would make the token too large are
// refused with ErrJWTTooLarge and ErrConfig, before signing when their own
// length says so and after encoding when JSON escaping does; a token just
// within the bound is still issued and verifies.
func TestReview11JWTSVIDAudienceBound(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td, svid.WithMultipleAudiences()) // many audiences: the size bound, not the count
	if err != nil {
		t.Fatal(err)
	}
	id := spiffeid.RequireFromPath(td, "/job/a")
	many := make([]string, 2000)
	for i := range many {
		many[i] = "audience"
	}
	for name, tc := range map[string]struct {
		aud []string
		ok  bool
	}{
		"8 KiB":             {[]string{strings.Repeat("a", 8<<10)}, true},
		"17 KiB":            {[]string{strings.Repeat("a", 17<<10)}, false},
		"2000 audiences":    {many, false},
		"escaped 6x (4KiB)": {[]string{strings.Repeat("<", 4<<10)}, false},
		"1 MiB":             {[]string{strings.Repeat("a", 1<<20)}, false},
	} {
		s, err := iss.JWTSVID(t.Context(), id, time.Time{}, tc.aud[0], tc.aud[1:]...)
		if !tc.ok {
			if !errors.Is(err, svid.ErrJWTTooLarge) || !errors.Is(err, svid.ErrConfig) {
				n := 0
				if s != nil {
					n = len(s.Marshal())
				}
				t.Errorf("%s: JWTSVID = %d-byte token, %v; want ErrJWTTooLarge and ErrConfig", name, n, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := svid.ParseAndValidateJWT(s.Marshal(), iss, tc.aud[:1]); err != nil {
			t.Errorf("%s: issued token (%d bytes) does not verify: %v", name, len(s.Marshal()), err)
		}
	}
}

// TestReview11FleetJWTBundleMaxAge: every record the issuer publishes
// lapses within FleetJWTBundleMaxAge of its publication, which is what
// lets the Workload API's JWT bundle stream drop a stale fleet bundle
// after that long.
func TestReview11FleetJWTBundleMaxAge(t *testing.T) {
	t.Parallel()
	now := time.Now()
	clock := func() time.Time { return now }
	store := oidc.NewMemoryKeyStore(clock)
	const ttl = 10 * time.Minute
	iss, err := svid.NewIssuer(td, svid.WithJWTKeyStore(store), svid.WithJWTTTL(ttl), svid.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := iss.FleetJWTBundleMaxAge(), 2*ttl+time.Minute; got != want {
		t.Fatalf("FleetJWTBundleMaxAge = %v, want %v", got, want)
	}
	if err := iss.PublishJWTKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	keys, err := store.Keys(t.Context())
	if err != nil || len(keys) != 1 {
		t.Fatalf("store: %v, %v", keys, err)
	}
	if lapse := keys[0].NotAfter; lapse.After(now.Add(iss.FleetJWTBundleMaxAge())) {
		t.Fatalf("record published until %v, later than FleetJWTBundleMaxAge (%v) after publication", lapse.Sub(now), iss.FleetJWTBundleMaxAge())
	}
}
