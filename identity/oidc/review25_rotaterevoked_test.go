package oidc_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ztci/ztci/identity/oidc"
)

// rotatingReplica returns a published WithRotation issuer on store, and
// the kids its JWKS serves (the active key, then the next).
func rotatingReplica(t *testing.T, store oidc.KeyStore, clk *clock) (*oidc.Issuer, []string) {
	t.Helper()
	iss, err := oidc.NewIssuer(fleetURL, oidc.WithKeyStore(store), oidc.WithClock(clk.Now), oidc.WithRotation(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.Publish(t.Context()); err != nil {
		t.Fatal(err)
	}
	return iss, jwksKIDs(t, iss.JWKS())
}

func jwksKIDs(t *testing.T, jwks []byte) []string {
	t.Helper()
	var set struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KID)
	}
	return kids
}

// A rotating replica's Mint that learned its active key was revoked (at a
// renewal, or after a JWKS fetch dropped it) failed, and only the next
// Mint rotated: every job minting in between failed although the next
// key was published. That same Mint must sign with the next key.
func TestReview25RotatingMintLeavesRevokedKeyAtOnce(t *testing.T) {
	t.Parallel()
	for name, learn := range map[string]func(*oidc.Issuer, *clock){
		"renewal":    func(_ *oidc.Issuer, c *clock) { c.Add(oidc.DefaultTTL/2 + time.Second) },
		"jwks fetch": func(iss *oidc.Issuer, _ *clock) { _ = iss.JWKS() },
	} {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			store := oidc.NewMemoryKeyStore(clk.Now)
			iss, kids := rotatingReplica(t, store, clk)
			other, _ := rotatingReplica(t, store, clk)
			old, err := iss.Mint(t.Context(), fleetJob, "gate")
			if err != nil {
				t.Fatal(err)
			}
			_, oldKID := headerAlg(t, old.Reveal())
			if err := store.Revoke(t.Context(), oldKID); err != nil {
				t.Fatal(err)
			}
			learn(iss, clk)
			tok, err := iss.Mint(t.Context(), fleetJob, "gate")
			if err != nil {
				t.Fatalf("the Mint that learned of the revocation: %v, want a token signed with the next key", err)
			}
			_, kid := headerAlg(t, tok.Reveal())
			if kid == oldKID || !slices.Contains(kids, kid) {
				t.Fatalf("signed with kid %q; want the next key, published ahead (one of %q, not %q)", kid, kids, oldKID)
			}
			if err := verifyWithJWKS(t, other.JWKS(), clk.Now, tok.Reveal()); err != nil {
				t.Errorf("the token at another replica: %v", err)
			}
		})
	}
}

// The next key, promoted early, is published again before it signs: if it
// was revoked too, that same Mint learns of it, rotates to a fresh key and
// signs, never with a revoked key.
func TestReview25RotatingMintNeverSignsWithRevokedNextKey(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := oidc.NewMemoryKeyStore(clk.Now)
	iss, kids := rotatingReplica(t, store, clk)
	for _, kid := range kids {
		if err := store.Revoke(t.Context(), kid); err != nil {
			t.Fatal(err)
		}
	}
	clk.Add(oidc.DefaultTTL/2 + time.Second)
	tok, err := iss.Mint(t.Context(), fleetJob, "gate")
	if errors.Is(err, oidc.ErrKeyRevoked) {
		return // failing closed is acceptable; signing with a revoked key is not
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, kid := headerAlg(t, tok.Reveal()); slices.Contains(kids, kid) {
		t.Fatalf("signed with the revoked kid %q", kid)
	}
}
