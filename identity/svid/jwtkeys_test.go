package svid_test

import (
	"context"
	"crypto"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/svid"
)

var jobID = spiffeid.RequireFromPath(td, "/job/42")

// headerKID returns the kid and alg of a JWT-SVID's header.
func headerKID(t *testing.T, s *jwtsvid.SVID) (string, string) {
	t.Helper()
	tok, err := jose.ParseSigned(s.Marshal(), []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.PS256})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Signatures[0].Header.KeyID, tok.Signatures[0].Header.Algorithm
}

func TestWithJWTSigner(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		signer  crypto.Signer
		kid     string
		wantAlg string
		wantErr bool
	}{
		{name: "KMS P-256", signer: kms{caKey(t, "P-256")}, kid: "kms-1", wantAlg: "ES256"},
		{name: "P-384, derived kid", signer: caKey(t, "P-384"), wantAlg: "ES384"},
		{name: "KMS P-521", signer: kms{caKey(t, "P-521")}, wantAlg: "ES512"},
		{name: "KMS RSA-2048", signer: kms{caKey(t, "RSA-2048")}, wantAlg: "PS256"},
		{name: "Ed25519: no EdDSA in JWT-SVIDs", signer: caKey(t, "Ed25519"), wantErr: true},
		{name: "RSA-1024", signer: caKey(t, "RSA-1024"), wantErr: true},
		{name: "signer that lies about its key", signer: otherPublic{caKey(t, "P-256")}, wantErr: true},
		{name: "nil", wantErr: true},
		{name: "kid too long", signer: caKey(t, "P-256"), kid: strings.Repeat("k", 257), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			iss, err := svid.NewIssuer(td, svid.WithJWTSigner(tc.signer, tc.kid))
			if tc.wantErr {
				if !errors.Is(err, svid.ErrConfig) {
					t.Fatalf("NewIssuer = %v, want ErrConfig", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s, err := iss.JWTSVID(t.Context(), jobID, time.Time{}, "aud")
			if err != nil {
				t.Fatal(err)
			}
			kid, alg := headerKID(t, s)
			if alg != tc.wantAlg || (tc.kid != "" && kid != tc.kid) || kid == "" {
				t.Fatalf("header kid %q alg %q, want kid %q alg %s", kid, alg, tc.kid, tc.wantAlg)
			}
			if _, err := svid.ParseAndValidateJWT(s.Marshal(), iss, []string{"aud"}); err != nil {
				t.Fatal(err)
			}
			// The same Signer on another issuer (a replica, or a restart)
			// publishes the same key under the same id.
			again, err := svid.NewIssuer(td, svid.WithJWTSigner(tc.signer, tc.kid))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svid.ParseAndValidateJWT(s.Marshal(), again, []string{"aud"}); err != nil {
				t.Fatalf("a replica with the same Signer: %v", err)
			}
		})
	}
}

// clock is a settable clock for the issuer and the key store. JWT-SVIDs
// are checked against the wall clock by go-spiffe, so it stays at the
// wall clock while they are issued and verified.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// TestJWTKeyStoreReplicas: two replicas sharing a key store each sign with
// their own key, and each one's bundle verifies the other's JWT-SVIDs; a
// rotated-out key stays in every bundle until its SVIDs have expired, then
// leaves.
func TestJWTKeyStoreReplicas(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := &clock{}
	store := oidc.NewMemoryKeyStore(c.now)
	const ttl = time.Minute
	opts := []svid.Option{svid.WithJWTKeyStore(store), svid.WithJWTTTL(ttl), svid.WithClock(c.now)}
	a, err := svid.NewIssuer(td, opts...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := svid.NewIssuer(td, opts...)
	if err != nil {
		t.Fatal(err)
	}
	// Before A published, B's bundle does not hold A's key.
	fromA, err := a.JWTSVID(ctx, jobID, time.Time{}, "aud") // publishes first
	if err != nil {
		t.Fatal(err)
	}
	if err := b.PublishJWTKey(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(b.JWTBundle().JWTAuthorities()); n != 2 {
		t.Fatalf("B's bundle holds %d keys, want A's and B's", n)
	}
	if _, err := svid.ParseAndValidateJWT(fromA.Marshal(), b, []string{"aud"}); err != nil {
		t.Fatalf("A's SVID with B's bundle: %v", err)
	}
	oldKID, _ := headerKID(t, fromA)

	if err := a.RotateJWTKey(ctx, nil, ""); err != nil {
		t.Fatal(err)
	}
	fromA2, err := a.JWTSVID(ctx, jobID, time.Time{}, "aud")
	if err != nil {
		t.Fatal(err)
	}
	if newKID, _ := headerKID(t, fromA2); newKID == oldKID {
		t.Fatal("rotation did not change the signing key")
	}
	for name, bundle := range map[string]*svid.Issuer{"A": a, "B": b} {
		for _, s := range []*jwtsvid.SVID{fromA, fromA2} {
			if _, err := svid.ParseAndValidateJWT(s.Marshal(), bundle, []string{"aud"}); err != nil {
				t.Fatalf("after rotation, with %s's bundle: %v", name, err)
			}
		}
	}
	if err := a.RotateJWTKey(ctx, nil, ""); err != nil { // no error for a second rotation
		t.Fatal(err)
	}
	// Past the old SVID's expiry and the grace, A's own keys no longer
	// hold the first key; its record in the store lapses one publication
	// margin (a JWT-SVID lifetime) later, and then it has left every
	// bundle while the current keys, renewed, stay.
	c.advance(ttl + time.Minute + time.Second)
	if _, ok := a.JWTBundle().FindJWTAuthority(oldKID); !ok {
		t.Fatal("the first key left the store before its record lapsed")
	}
	c.advance(ttl)
	for name, iss := range map[string]*svid.Issuer{"A": a, "B": b} {
		if err := iss.PublishJWTKey(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok := iss.JWTBundle().FindJWTAuthority(oldKID); ok {
			t.Fatalf("%s's bundle still holds the key rotated out %v ago", name, 2*ttl+time.Minute)
		}
	}
	if n := len(b.JWTBundle().JWTAuthorities()); n != 2 {
		t.Fatalf("B's bundle holds %d keys, want A's current key and B's", n)
	}
}

// TestRotateJWTKeySameKey: rotating to the signing key itself is refused.
func TestRotateJWTKeySameKey(t *testing.T) {
	t.Parallel()
	k := caKey(t, "P-256")
	iss, err := svid.NewIssuer(td, svid.WithJWTSigner(k, ""))
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.RotateJWTKey(t.Context(), k, ""); !errors.Is(err, svid.ErrConfig) {
		t.Fatalf("RotateJWTKey(same key) = %v, want ErrConfig", err)
	}
	if err := iss.RotateJWTKey(t.Context(), caKey(t, "Ed25519"), ""); !errors.Is(err, svid.ErrConfig) {
		t.Fatalf("RotateJWTKey(Ed25519) = %v, want ErrConfig", err)
	}
}

// TestJWTKeyConflictNotServed: a fleet record that reuses this issuer's
// kid with another key is left out of the bundle.
func TestJWTKeyConflictNotServed(t *testing.T) {
	t.Parallel()
	store := oidc.NewMemoryKeyStore(nil)
	mine, other := caKey(t, "P-256"), caKey(t, "P-256")
	now := time.Now()
	if err := store.Publish(t.Context(), oidc.PublishedKey{ID: "shared", Algorithm: oidc.ES256, Key: other.Public(), NotBefore: now, NotAfter: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	iss, err := svid.NewIssuer(td, svid.WithJWTSigner(mine, "shared"), svid.WithJWTKeyStore(store))
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.PublishJWTKey(t.Context()); !errors.Is(err, oidc.ErrNotPublished) || !errors.Is(err, svid.ErrIssue) {
		t.Fatalf("PublishJWTKey over another key's kid = %v, want ErrNotPublished", err)
	}
	if _, err := iss.JWTSVID(t.Context(), jobID, time.Time{}, "aud"); !errors.Is(err, oidc.ErrNotPublished) {
		t.Fatalf("JWTSVID with an unpublished key = %v, want ErrNotPublished", err)
	}
	k, ok := iss.JWTBundle().FindJWTAuthority("shared")
	if !ok || !k.(interface{ Equal(crypto.PublicKey) bool }).Equal(mine.Public()) {
		t.Fatal("the bundle must hold this issuer's own key under its kid, not the conflicting record")
	}
}

// TestJWTBundleRefusesNonJWTSVIDAlgorithm: an EdDSA key in the fleet's
// store (an OIDC issuer's, say) never enters a JWT bundle.
func TestJWTBundleRefusesNonJWTSVIDAlgorithm(t *testing.T) {
	t.Parallel()
	store := oidc.NewMemoryKeyStore(nil)
	now := time.Now()
	if err := store.Publish(t.Context(), oidc.PublishedKey{ID: "ed", Algorithm: oidc.EdDSA, Key: caKey(t, "Ed25519").Public(), NotBefore: now, NotAfter: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	iss, err := svid.NewIssuer(td, svid.WithJWTKeyStore(store))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := iss.JWTBundle().FindJWTAuthority("ed"); ok {
		t.Fatal("an EdDSA key entered the JWT bundle")
	}
	if n := len(iss.JWTBundle().JWTAuthorities()); n != 1 {
		t.Fatalf("bundle holds %d keys, want this issuer's only", n)
	}
}

func TestJWTOptionsRefuseNil(t *testing.T) {
	t.Parallel()
	if _, err := svid.NewIssuer(td, svid.WithJWTKeyStore(nil)); !errors.Is(err, svid.ErrConfig) {
		t.Fatalf("WithJWTKeyStore(nil) = %v, want ErrConfig", err)
	}
	if _, err := svid.NewIssuer(td, svid.WithJWTSigner(nil, "")); !errors.Is(err, svid.ErrConfig) {
		t.Fatalf("WithJWTSigner(nil) = %v, want ErrConfig", err)
	}
}

// TestJWTBundleOtherTrustDomain: the issuer is a bundle source for its own
// trust domain only.
func TestJWTBundleOtherTrustDomain(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.GetJWTBundleForTrustDomain(spiffeid.RequireTrustDomainFromString("other.test")); err == nil {
		t.Fatal("a JWT bundle for another trust domain")
	}
	if _, err := iss.FleetJWTBundle(context.Background()); err != nil {
		t.Fatalf("FleetJWTBundle without a store: %v", err)
	}
}

// TestRotateJWTKeyRetainedKID: rotating to a key id a retired key still
// holds in the bundle is refused (the two keys would share one bundle
// entry, and tokens of the new key would not verify); once the retired
// key has left the bundle the id is free again.
func TestRotateJWTKeyRetainedKID(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	iss, err := svid.NewIssuer(td, svid.WithJWTSigner(caKey(t, "P-256"), "k1"), svid.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.RotateJWTKey(t.Context(), caKey(t, "P-256"), "k2"); err != nil {
		t.Fatal(err)
	}
	if err := iss.RotateJWTKey(t.Context(), caKey(t, "P-256"), "k1"); !errors.Is(err, svid.ErrConfig) {
		t.Fatalf("RotateJWTKey to a retained key id = %v, want ErrConfig", err)
	}
	now = now.Add(24 * time.Hour)
	if err := iss.RotateJWTKey(t.Context(), caKey(t, "P-256"), "k1"); err != nil {
		t.Fatalf("RotateJWTKey to a key id no longer held: %v", err)
	}
}
