package natskeys_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/oidc/natskeys"
	"github.com/ztci/ztci/internal/itest"
)

// TestReview27RevokedKeyNeverSigns: a replica kept signing with a key
// revoked in the bucket until its next renewal or JWKS request. The Store
// answers oidc.RevocationChecker from its watched cache, so the issuer's
// next Mint is refused; after Close the store cannot answer and nothing is
// signed.
func TestReview27RevokedKeyNeverSigns(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	clk := &clock{now: time.Now()}
	store := newStore(t, js, natskeys.WithClock(clk.Now))
	admin := newStore(t, js, natskeys.WithClock(clk.Now))
	iss, err := oidc.NewIssuer(issuerURL, oidc.WithKeyStore(store), oidc.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	publish(t, iss)
	tok, err := iss.Mint(t.Context(), job, "gate")
	if err != nil {
		t.Fatal(err)
	}
	kid := kidOf(t, tok.Reveal())
	if err := admin.Revoke(t.Context(), kid); err != nil {
		t.Fatal(err)
	}
	// The revocation reaches store through its watch (or its next read).
	itest.Create(t, "watch delivers the revocation", func(ctx context.Context) (struct{}, error) {
		revoked, err := store.Revoked(ctx, kid)
		if err == nil && !revoked {
			err = errors.New("not yet")
		}
		return struct{}{}, err
	})
	if _, err := iss.Mint(t.Context(), job, "gate"); !errors.Is(err, oidc.ErrKeyRevoked) {
		t.Fatalf("Mint after the revocation: %v, want ErrKeyRevoked", err)
	}
	_ = admin.Close()
	if _, err := admin.Revoked(t.Context(), kid); !errors.Is(err, natskeys.ErrUnavailable) {
		t.Fatalf("Revoked after Close: %v, want ErrUnavailable", err)
	}
}

// kidOf returns the kid of a compact JWS's protected header.
func kidOf(t testing.TB, raw string) string {
	t.Helper()
	head, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		KID string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h.KID
}

// TestReview27RevocationIsSticky: a writer of the bucket could lift a
// revocation by putting a record (or a delete) over the tombstone, and
// every replica served and signed with the revoked key again. A Store that
// has seen the revocation keeps it: the key is not served, not published
// and reported revoked, whatever the bucket holds since.
func TestReview27RevocationIsSticky(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	clk := &clock{now: time.Now()}
	store := newStore(t, js, natskeys.WithClock(clk.Now), natskeys.WithRefresh(100*time.Millisecond))
	iss, err := oidc.NewIssuer(issuerURL, oidc.WithKeyStore(store), oidc.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	publish(t, iss)
	tok, err := iss.Mint(t.Context(), job, "gate")
	if err != nil {
		t.Fatal(err)
	}
	kid := kidOf(t, tok.Reveal())
	var rec []byte
	{
		keys, err := store.Keys(t.Context())
		if err != nil || len(keys) != 1 {
			t.Fatalf("Keys: %v, %v", keys, err)
		}
		rec = mustRecord(t, kid, keys[0].Key, keys[0].NotBefore, keys[0].NotAfter)
	}
	if err := store.Revoke(t.Context(), kid); err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(t.Context(), natskeys.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		unmark func() error
	}{
		{name: "record over the tombstone", unmark: func() error { _, err := kv.Put(t.Context(), natskeys.Key(kid), rec); return err }},
		{name: "delete of the tombstone", unmark: func() error { return kv.Delete(t.Context(), natskeys.Key(kid)) }},
		{name: "purge of the tombstone", unmark: func() error { return kv.Purge(t.Context(), natskeys.Key(kid)) }},
	} {
		if err := tc.unmark(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		// A marker written after it: once the store lists the marker, its
		// watch (ordered) or a full read has applied the un-revocation.
		marker := genKey(t, "P-256")
		mkid := tc.name
		mrec := mustRecord(t, mkid, marker.Public(), clk.Now().Add(-time.Minute), clk.Now().Add(time.Hour))
		if _, err := kv.Put(t.Context(), natskeys.Key(mkid), mrec); err != nil {
			t.Fatal(err)
		}
		itest.Create(t, "the store sees the marker", func(ctx context.Context) (struct{}, error) {
			keys, err := store.Keys(ctx)
			for _, k := range keys {
				if k.ID == mkid {
					return struct{}{}, err
				}
			}
			return struct{}{}, errors.New("not yet")
		})
		keys, err := store.Keys(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if k.ID == kid {
				t.Errorf("%s: Keys serves the revoked kid again", tc.name)
			}
		}
		if revoked, err := store.Revoked(t.Context(), kid); err != nil || !revoked {
			t.Errorf("%s: Revoked = %v, %v; want true", tc.name, revoked, err)
		}
		if _, err := iss.Mint(t.Context(), job, "gate"); !errors.Is(err, oidc.ErrKeyRevoked) {
			t.Errorf("%s: Mint = %v, want ErrKeyRevoked", tc.name, err)
		}
		if err := iss.Publish(t.Context()); !errors.Is(err, oidc.ErrKeyRevoked) {
			t.Errorf("%s: Publish = %v, want ErrKeyRevoked", tc.name, err)
		}
	}
}
