package oidc_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/identity/oidc"
)

// A replica signed with a key another replica revoked (KeyStore.Revoke)
// until its next renewal or JWKS request, up to half a token lifetime. A
// store that can tell cheaply (RevocationChecker: MemoryKeyStore, natskeys)
// is asked before every signature: the next Mint never signs with the
// revoked key.
func TestReview27RevokedKeyNeverSigns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		rotating bool
	}{
		{name: "fixed key", rotating: false},
		{name: "rotating", rotating: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			store := oidc.NewMemoryKeyStore(clk.Now)
			opts := []oidc.Option{oidc.WithKeyStore(store), oidc.WithClock(clk.Now)}
			if tc.rotating {
				opts = append(opts, oidc.WithRotation(time.Hour))
			}
			iss, err := oidc.NewIssuer(fleetURL, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if err := iss.Publish(t.Context()); err != nil {
				t.Fatal(err)
			}
			tok, err := iss.Mint(t.Context(), fleetJob, "gate")
			if err != nil {
				t.Fatal(err)
			}
			_, kid := headerAlg(t, tok.Reveal())
			// Another replica (or an operator) revokes it through the store.
			if err := store.Revoke(t.Context(), kid); err != nil {
				t.Fatal(err)
			}
			clk.Add(time.Second) // no renewal due, no JWKS request
			for range 2 {
				tok, err = iss.Mint(t.Context(), fleetJob, "gate")
				if !tc.rotating {
					if !errors.Is(err, oidc.ErrKeyRevoked) {
						t.Fatalf("Mint after the revocation: %v, want ErrKeyRevoked", err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("Mint after the revocation: %v, want a token signed with the next key", err)
				}
				if _, got := headerAlg(t, tok.Reveal()); got == kid {
					t.Fatalf("signed with the revoked kid %q", kid)
				}
			}
		})
	}
}

// failingChecker is a store whose revocation check cannot answer.
type failingChecker struct{ *oidc.MemoryKeyStore }

var errNoAnswer = errors.New("cannot answer")

func (failingChecker) Revoked(context.Context, string) (bool, error) { return false, errNoAnswer }

// A store that cannot say whether the key is revoked: nothing is signed.
func TestReview27RevocationCheckFailsClosed(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := failingChecker{oidc.NewMemoryKeyStore(clk.Now)}
	iss, err := oidc.NewIssuer(fleetURL, oidc.WithKeyStore(store), oidc.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.Publish(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Mint(t.Context(), fleetJob, "gate"); !errors.Is(err, oidc.ErrKeyStore) || !errors.Is(err, errNoAnswer) {
		t.Fatalf("Mint: %v, want ErrKeyStore", err)
	}
}
