package oidc

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// steppingClock is a shared wall clock that tests move by hand.
type steppingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *steppingClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *steppingClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// slowClaim is a replay cache reached some time after the verifier checked
// exp: a loaded replica, a scheduler pause, a remote cache. It moves the
// shared clock by d before claiming.
type slowClaim struct {
	inner ReplayCache
	clock *steppingClock
	d     time.Duration
}

func (s slowClaim) Claim(ctx context.Context, key string, until time.Time) error {
	s.clock.set(s.clock.now().Add(s.d))
	return s.inner.Claim(ctx, key, until)
}

// takeOver is a third-party cache with pgreplay's rule: a key is claimed
// when it is absent or its record has lapsed by the cache's clock.
type takeOver struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]time.Time
}

func (c *takeOver) Claim(_ context.Context, key string, until time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[key]; ok && c.now().Before(old) {
		return &ClaimError{Claim: "jti", Err: ErrReplayed}
	}
	c.m[key] = until
	return nil
}

// TestReview12ReplayAtExpiry: a token replayed at the instant it expires
// passed the verifier's exp check, then reached a cache whose record of its
// first use had just lapsed. The cache took the record over, as it would
// for a new token reusing the jti, and the replay was accepted. The
// verifier now refuses it whatever the cache's rule.
func TestReview12ReplayAtExpiry(t *testing.T) {
	t.Parallel()
	for name, newCache := range map[string]func(func() time.Time) ReplayCache{
		"memory":    func(now func() time.Time) ReplayCache { return NewMemoryReplayCache(10, now) },
		"take-over": func(now func() time.Time) ReplayCache { return &takeOver{now: now, m: map[string]time.Time{}} },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			replayAtExpiry(t, newCache)
		})
	}
}

func replayAtExpiry(t *testing.T, newCache func(func() time.Time) ReplayCache) {
	ec, _, _ := testKeys(t)
	clk := &steppingClock{t: testNow}
	v, err := NewVerifier("https://issuer.test", "vault", WithKeySet(testKeySet(t)), WithClock(clk.now), WithLeeway(0),
		WithSingleUse(slowClaim{inner: newCache(clk.now), clock: clk, d: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	exp := testNow.Add(5 * time.Minute)
	tok := signES256(t, ec, []byte(`{"alg":"ES256","kid":"ec1"}`), mustJSON(t, with(goodClaims(), "exp", exp.Unix(), "jti", "boundary")))
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	clk.set(exp.Add(-time.Millisecond / 2)) // still valid when exp is checked, expired when claimed
	if _, err := v.Verify(t.Context(), tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("replay at expiry: err = %v, want ErrExpired", err)
	}
}

// TestReview12MemoryCacheRefusesExpiredClaim: the in-memory cache records
// nothing that has already expired by its own clock, so an expired record
// is taken over only by a token that is still valid (a reused jti), never
// by the same token replayed at its expiry.
func TestReview12MemoryCacheRefusesExpiredClaim(t *testing.T) {
	t.Parallel()
	clk := &steppingClock{t: testNow}
	c := NewMemoryReplayCache(10, clk.now)
	until := testNow.Add(time.Minute)
	if err := c.Claim(t.Context(), "iss\x00jti", until); err != nil {
		t.Fatal(err)
	}
	clk.set(until)
	if err := c.Claim(t.Context(), "iss\x00jti", until); !errors.Is(err, ErrExpired) {
		t.Fatalf("claim of the same record at its expiry: %v, want ErrExpired", err)
	}
	if err := c.Claim(t.Context(), "iss\x00jti", until.Add(time.Minute)); err != nil {
		t.Fatalf("a later token reusing the jti: %v", err)
	}
}

// TestReview12KeyUsePinsHeld pins what a JWKS says about its keys: a key
// for encryption ("use":"enc", or key_ops without "verify") verifies
// nothing, an RSA key pinned to RS256 does not verify PS256, ES256K is no
// algorithm, a token without kid selects no key among several, and two
// keys under one kid void the set. Each held before this round; the test
// keeps them held.
func TestReview12KeyUsePinsHeld(t *testing.T) {
	t.Parallel()
	ec, rk, _ := testKeys(t)
	set := func(keys ...jose.JSONWebKey) *KeySet {
		ks, err := ParseKeySet(mustJSON(t, jose.JSONWebKeySet{Keys: keys}))
		if err != nil {
			t.Fatal(err)
		}
		return ks
	}
	claims := mustJSON(t, goodClaims())
	es := func(kid string) string {
		return signES256(t, ec, mustJSON(t, map[string]any{"alg": "ES256", "kid": kid}), claims)
	}
	in := b64(mustJSON(t, map[string]any{"alg": "PS256", "kid": "rsa"})) + "." + b64(claims)
	d := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPSS(rand.Reader, rk, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	if err != nil {
		t.Fatal(err)
	}
	ps256 := in + "." + b64(sig)
	verifiers := []struct {
		name  string
		ks    *KeySet
		token string
		want  error
	}{
		{"use enc", set(jose.JSONWebKey{Key: ec.Public(), KeyID: "enc", Use: "enc"}, jose.JSONWebKey{Key: rk.Public(), KeyID: "rsa"}), es("enc"), ErrUnknownKey},
		{"RS256 pin", set(jose.JSONWebKey{Key: rk.Public(), KeyID: "rsa", Algorithm: "RS256"}), ps256, ErrAlgorithm},
		{"no kid, two keys", set(jose.JSONWebKey{Key: ec.Public(), KeyID: "a"}, jose.JSONWebKey{Key: rk.Public(), KeyID: "rsa"}), es(""), ErrUnknownKey},
		{"ES256K", set(jose.JSONWebKey{Key: ec.Public(), KeyID: "a"}), signES256(t, ec, []byte(`{"alg":"ES256K","kid":"a"}`), claims), ErrAlgorithm},
	}
	for _, c := range verifiers {
		v, err := NewVerifier("https://issuer.test", "vault", WithKeySet(c.ks), WithClock(func() time.Time { return testNow }))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(t.Context(), c.token); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	point, err := ec.PublicKey.Bytes() // 0x04 || x || y
	if err != nil {
		t.Fatal(err)
	}
	opsOnly := `{"keys":[{"kty":"EC","crv":"P-256","kid":"a","key_ops":["encrypt"],"x":"` +
		b64(point[1:33]) + `","y":"` + b64(point[33:]) + `"}]}`
	if _, err := ParseKeySet([]byte(opsOnly)); !errors.Is(err, ErrKeySet) {
		t.Errorf("key_ops without verify: %v, want ErrKeySet (no usable key)", err)
	}
	dup := mustJSON(t, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ec.Public(), KeyID: "a"}, {Key: rk.Public(), KeyID: "a"}}})
	if _, err := ParseKeySet(dup); !errors.Is(err, ErrKeySet) {
		t.Errorf("duplicate kid: %v, want ErrKeySet", err)
	}
}
