package oidc_test

import (
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/identity/oidc"
)

// TestConcurrentMintRotateJWKS runs Mint, Rotate and JWKS at once on a
// publishing, rotating issuer (for the race detector) and checks every
// token verifies against the issuer's JWKS afterwards.
func TestConcurrentMintRotateJWKS(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := oidc.NewMemoryKeyStore(clk.Now)
	iss, err := oidc.NewIssuer(fleetURL, oidc.WithKeyStore(store), oidc.WithClock(clk.Now), oidc.WithRotation(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	toks := make([][]string, 4)
	for g := range toks {
		wg.Go(func() {
			for range 25 {
				tok, err := iss.Mint(t.Context(), fleetJob, "gate")
				if err != nil {
					t.Error(err)
					return
				}
				toks[g] = append(toks[g], tok.Reveal())
			}
		})
	}
	wg.Go(func() {
		for range 5 {
			if err := iss.Rotate(); err != nil {
				t.Error(err)
			}
			clk.Add(time.Minute)
		}
	})
	wg.Go(func() {
		for range 25 {
			_ = iss.JWKS()
		}
	})
	wg.Wait()
	jwks := iss.JWKS()
	for _, ts := range toks {
		for _, raw := range ts {
			if err := verifyWithJWKS(t, jwks, clk.Now, raw); err != nil {
				t.Fatalf("token minted during rotation: %v", err)
			}
		}
	}
}
