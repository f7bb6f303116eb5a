package oidc_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/identity/oidc"
)

// TestReview23RevokedOwnKeyWithdrawn: when a replica's key is revoked in
// the fleet's store (its private half may be stolen), the replica's own
// JWKS drops it at once (it used to serve it from memory until its
// publication lapsed, up to two token lifetimes later, so a verifier
// fetching that replica's JWKS took forged tokens), and the replica never
// signs with it again.
func TestReview23RevokedOwnKeyWithdrawn(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := oidc.NewMemoryKeyStore(clk.Now)
	newReplica := func() *oidc.Issuer {
		iss, err := oidc.NewIssuer(fleetURL, oidc.WithSigner(genKey(t, "P-256"), ""), oidc.WithKeyStore(store), oidc.WithClock(clk.Now))
		if err != nil {
			t.Fatal(err)
		}
		if err := iss.Publish(t.Context()); err != nil {
			t.Fatal(err)
		}
		return iss
	}
	a, b := newReplica(), newReplica()
	stolen, err := a.Mint(t.Context(), fleetJob, "gate")
	if err != nil {
		t.Fatal(err)
	}
	_, kid := headerAlg(t, stolen.Reveal())
	if err := store.Revoke(t.Context(), kid); err != nil {
		t.Fatal(err)
	}
	for name, iss := range map[string]*oidc.Issuer{"owner": a, "other": b} {
		if err := verifyWithJWKS(t, iss.JWKS(), clk.Now, stolen.Reveal()); !errors.Is(err, oidc.ErrUnknownKey) {
			t.Errorf("token of the revoked kid at the %s replica's JWKS: %v, want ErrUnknownKey", name, err)
		}
	}
	if _, err := a.Mint(t.Context(), fleetJob, "gate"); !errors.Is(err, oidc.ErrKeyRevoked) || !errors.Is(err, oidc.ErrNotPublished) {
		t.Errorf("Mint with a revoked key = %v, want ErrNotPublished and ErrKeyRevoked", err)
	}
	if err := a.Publish(t.Context()); !errors.Is(err, oidc.ErrKeyRevoked) {
		t.Errorf("Publish of a revoked key = %v, want ErrKeyRevoked", err)
	}
	clk.Add(time.Hour) // well past every renewal: the key never comes back
	if _, err := a.Mint(t.Context(), fleetJob, "gate"); !errors.Is(err, oidc.ErrKeyRevoked) {
		t.Errorf("Mint an hour later = %v, want ErrKeyRevoked", err)
	}
	if err := verifyWithJWKS(t, a.JWKS(), clk.Now, stolen.Reveal()); err == nil {
		t.Error("the revoked key is served again")
	}
}

// TestReview23RevokedKeyLearnedAtRenewal: a replica that serves no JWKS
// request learns of the revocation when it renews its publication, and
// stops signing then rather than when its publication lapses.
func TestReview23RevokedKeyLearnedAtRenewal(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := oidc.NewMemoryKeyStore(clk.Now)
	iss, err := oidc.NewIssuer(fleetURL, oidc.WithSigner(genKey(t, "P-256"), "k1"), oidc.WithKeyStore(store), oidc.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.Publish(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := store.Revoke(t.Context(), "k1"); err != nil {
		t.Fatal(err)
	}
	clk.Add(oidc.DefaultTTL/2 + time.Second) // renewal due, publication still covers a token
	if _, err := iss.Mint(t.Context(), fleetJob, "gate"); !errors.Is(err, oidc.ErrKeyRevoked) {
		t.Errorf("Mint after renewal = %v, want ErrKeyRevoked", err)
	}
}

// TestReview23RotatingIssuerLeavesRevokedKey: a rotating replica whose
// active key is revoked rotates to a key that is not, and its tokens
// verify at the other replicas.
func TestReview23RotatingIssuerLeavesRevokedKey(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := oidc.NewMemoryKeyStore(clk.Now)
	var reps [2]*oidc.Issuer
	for r := range reps {
		iss, err := oidc.NewIssuer(fleetURL, oidc.WithKeyStore(store), oidc.WithClock(clk.Now), oidc.WithRotation(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := iss.Publish(t.Context()); err != nil {
			t.Fatal(err)
		}
		reps[r] = iss
	}
	tok, err := reps[0].Mint(t.Context(), fleetJob, "gate")
	if err != nil {
		t.Fatal(err)
	}
	_, old := headerAlg(t, tok.Reveal())
	if err := store.Revoke(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	_ = reps[0].JWKS() // a verifier's fetch: the replica sees its key gone
	var fresh oidc.Token
	for range 2 { // the first Mint may only learn of the revocation
		if fresh, err = reps[0].Mint(t.Context(), fleetJob, "gate"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("rotating replica after revocation: %v", err)
	}
	if _, kid := headerAlg(t, fresh.Reveal()); kid == old {
		t.Fatalf("minted with the revoked kid %q", kid)
	}
	for r, iss := range reps {
		if err := verifyWithJWKS(t, iss.JWKS(), clk.Now, fresh.Reveal()); err != nil {
			t.Errorf("fresh token at replica %d: %v", r, err)
		}
		if err := verifyWithJWKS(t, iss.JWKS(), clk.Now, tok.Reveal()); err == nil {
			t.Errorf("revoked kid still verifies at replica %d", r)
		}
	}
}
