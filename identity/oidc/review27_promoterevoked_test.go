package oidc_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/identity/oidc"
)

// outageStore is a KeyStore that fails every call once down is set.
type outageStore struct {
	oidc.KeyStore
	down atomic.Bool
}

var errOutage = errors.New("key store down")

func (s *outageStore) Publish(ctx context.Context, k oidc.PublishedKey) error {
	if s.down.Load() {
		return errOutage
	}
	return s.KeyStore.Publish(ctx, k)
}

func (s *outageStore) Keys(ctx context.Context) ([]oidc.PublishedKey, error) {
	if s.down.Load() {
		return nil, errOutage
	}
	return s.KeyStore.Keys(ctx)
}

// A rotating issuer promoted its next key at the scheduled rotation
// without asking the key store: a next key revoked (KeyStore.Revoke)
// before then signed until its first renewal, half a token lifetime
// later. The promotion must check with the store; a revoked next key never
// signs, and a store that cannot answer fails the Mint closed.
func TestReview27PromoteRevokedNextKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// step is how the issuer reaches the rotation time.
		step func(*testing.T, *oidc.Issuer, *clock)
	}{
		{name: "mint at rotation", step: func(_ *testing.T, _ *oidc.Issuer, c *clock) { c.Add(time.Hour) }},
		{name: "publish at rotation", step: func(t *testing.T, iss *oidc.Issuer, c *clock) {
			c.Add(time.Hour)
			_ = iss.Publish(t.Context()) // the promotion happens here, the Mint below signs
		}},
		{name: "renewals before rotation", step: func(t *testing.T, iss *oidc.Issuer, c *clock) {
			for range 7 {
				c.Add(oidc.DefaultTTL)
				if _, err := iss.Mint(t.Context(), fleetJob, "gate"); err != nil {
					t.Fatal(err)
				}
			}
			c.Add(time.Hour - 7*oidc.DefaultTTL)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			store := oidc.NewMemoryKeyStore(clk.Now)
			iss, kids := rotatingReplica(t, store, clk)
			if len(kids) != 2 {
				t.Fatalf("JWKS kids %q, want the active and the next key", kids)
			}
			next := kids[1]
			if err := store.Revoke(t.Context(), next); err != nil {
				t.Fatal(err)
			}
			tc.step(t, iss, clk)
			tok, err := iss.Mint(t.Context(), fleetJob, "gate")
			if errors.Is(err, oidc.ErrKeyRevoked) {
				return // failing closed is acceptable; signing with the revoked key is not
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, kid := headerAlg(t, tok.Reveal()); slices.Contains(kids, kid) {
				t.Fatalf("signed with kid %q, want a fresh key (the active one retired, the next one %q revoked)", kid, next)
			}
		})
	}
}

// When the store cannot answer at the scheduled rotation, the promoted key
// is not confirmed unrevoked: the Mint fails with ErrNotPublished rather
// than signing with it, and signs once the store answers again.
func TestReview27PromoteFailsClosedWhenStoreDown(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := &outageStore{KeyStore: oidc.NewMemoryKeyStore(clk.Now)}
	iss, kids := rotatingReplica(t, store, clk)
	store.down.Store(true)
	clk.Add(time.Hour)
	if tok, err := iss.Mint(t.Context(), fleetJob, "gate"); !errors.Is(err, oidc.ErrNotPublished) || !errors.Is(err, oidc.ErrKeyStore) {
		kid := ""
		if err == nil {
			_, kid = headerAlg(t, tok.Reveal())
		}
		t.Fatalf("Mint at rotation with the store down: kid %q, error %v; want ErrNotPublished", kid, err)
	}
	store.down.Store(false)
	clk.Add(10 * time.Second) // past the publish retry delay
	tok, err := iss.Mint(t.Context(), fleetJob, "gate")
	if err != nil {
		t.Fatal(err)
	}
	if _, kid := headerAlg(t, tok.Reveal()); kid != kids[1] {
		t.Fatalf("signed with kid %q, want the promoted next key %q", kid, kids[1])
	}
}
