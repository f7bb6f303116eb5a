package oidc_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
)

const fleetURL = "https://ci.example.com"

var fleetJob = oidc.Job{Claims: identity.Claims{Repository: "octo-org/app", Ref: "refs/heads/main"}}

// clock is a settable time source shared by issuers, stores and verifiers.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// kmsSigner stands for a KMS key: only Public and Sign, never the key, and
// it counts signatures.
type kmsSigner struct {
	key   crypto.Signer
	signs atomic.Int64
}

func (k *kmsSigner) Public() crypto.PublicKey { return k.key.Public() }

func (k *kmsSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	k.signs.Add(1)
	return k.key.Sign(r, digest, opts)
}

func genKey(t testing.TB, kind string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch kind {
	case "P-256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "P-384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "P-521":
		k, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "Ed25519":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	case "RSA-2048":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "RSA-1024":
		k, err = rsa.GenerateKey(rand.Reader, 1024)
	default:
		t.Fatalf("no key kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// verifyWithJWKS verifies raw against the JWKS jwks, at now.
func verifyWithJWKS(t testing.TB, jwks []byte, now func() time.Time, raw string) error {
	t.Helper()
	ks, err := oidc.ParseKeySet(jwks)
	if err != nil {
		return err
	}
	v, err := oidc.NewVerifier(fleetURL, "gate", oidc.WithKeySet(ks), oidc.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(context.Background(), raw)
	return err
}

func headerAlg(t testing.TB, raw string) (alg, kid string) {
	t.Helper()
	sig, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.RS256, jose.PS256, jose.PS384})
	if err != nil {
		t.Fatal(err)
	}
	h := sig.Signatures[0].Header
	return h.Algorithm, h.KeyID
}

func TestSignerAlgorithmFromKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		key  string
		alg  oidc.Algorithm // asked, "" for the key's default
		want oidc.Algorithm
	}{
		{name: "P-256", key: "P-256", want: oidc.ES256},
		{name: "P-384", key: "P-384", want: oidc.ES384},
		{name: "P-521", key: "P-521", want: oidc.ES512},
		{name: "Ed25519", key: "Ed25519", want: oidc.EdDSA},
		{name: "RSA default PSS", key: "RSA-2048", want: oidc.PS256},
		{name: "RSA PKCS1 on request", key: "RSA-2048", alg: oidc.RS256, want: oidc.RS256},
		{name: "RSA PS384 on request", key: "RSA-2048", alg: oidc.PS384, want: oidc.PS384},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &kmsSigner{key: genKey(t, tc.key)}
			opts := []oidc.Option{oidc.WithSigner(s, "kms-key-1")}
			if tc.alg != "" {
				opts = append(opts, oidc.WithAlgorithm(tc.alg))
			}
			iss, err := oidc.NewIssuer(fleetURL, opts...)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := iss.Mint(t.Context(), fleetJob, "gate")
			if err != nil {
				t.Fatal(err)
			}
			if alg, kid := headerAlg(t, tok.Reveal()); alg != string(tc.want) || kid != "kms-key-1" {
				t.Errorf("header alg %q kid %q, want %q kms-key-1", alg, kid, tc.want)
			}
			if err := verifyWithJWKS(t, iss.JWKS(), time.Now, tok.Reveal()); err != nil {
				t.Errorf("verify: %v", err)
			}
			if n := s.signs.Load(); n != 2 { // the self-test and the token
				t.Errorf("signer used %d times, want 2", n)
			}
		})
	}
}

// mismatchedSigner claims one public key and signs with another.
type mismatchedSigner struct{ crypto.Signer }

func (m mismatchedSigner) Public() crypto.PublicKey {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return k.Public()
}

func TestSignerRefusedAtConstruction(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts func(t *testing.T) []oidc.Option
		want error
	}{
		{"P-256 key asked for ES384", func(t *testing.T) []oidc.Option {
			return []oidc.Option{oidc.WithSigner(genKey(t, "P-256"), ""), oidc.WithAlgorithm(oidc.ES384)}
		}, oidc.ErrSigner},
		{"Ed25519 key asked for ES256", func(t *testing.T) []oidc.Option {
			return []oidc.Option{oidc.WithAlgorithm(oidc.ES256), oidc.WithSigner(genKey(t, "Ed25519"), "")}
		}, oidc.ErrSigner},
		{"RSA key asked for ES256", func(t *testing.T) []oidc.Option {
			return []oidc.Option{oidc.WithSigner(genKey(t, "RSA-2048"), ""), oidc.WithAlgorithm(oidc.ES256)}
		}, oidc.ErrSigner},
		{"RSA-1024", func(t *testing.T) []oidc.Option { return []oidc.Option{oidc.WithSigner(genKey(t, "RSA-1024"), "")} }, oidc.ErrSigner},
		{"Public does not match the key", func(t *testing.T) []oidc.Option {
			return []oidc.Option{oidc.WithSigner(mismatchedSigner{genKey(t, "P-256")}, "")}
		}, oidc.ErrSigner},
		{"nil signer", func(*testing.T) []oidc.Option { return []oidc.Option{oidc.WithSigner(nil, "")} }, oidc.ErrConfig},
		{"signer and rotation", func(t *testing.T) []oidc.Option {
			return []oidc.Option{oidc.WithSigner(genKey(t, "P-256"), ""), oidc.WithRotation(time.Hour)}
		}, oidc.ErrConfig},
		{"rotation shorter than TTL", func(*testing.T) []oidc.Option {
			return []oidc.Option{oidc.WithRotation(time.Minute), oidc.WithTTL(10 * time.Minute)}
		}, oidc.ErrConfig},
		{"signer on a verifier", nil, oidc.ErrConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var err error
			if tc.opts == nil {
				_, err = oidc.NewVerifier(fleetURL, "gate", oidc.WithSigner(genKey(t, "P-256"), ""))
			} else {
				_, err = oidc.NewIssuer(fleetURL, tc.opts(t)...)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	iss, err := oidc.NewIssuer(fleetURL, oidc.WithSigner(genKey(t, "P-256"), ""))
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.Rotate(); !errors.Is(err, oidc.ErrConfig) {
		t.Errorf("Rotate with a caller's Signer = %v, want ErrConfig", err)
	}
}

// signRaw signs claims as a compact JWS with key under alg and kid, as an
// attacker holding key would.
func signRaw(t *testing.T, key crypto.Signer, alg jose.SignatureAlgorithm, kid string) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	payload, _ := json.Marshal(map[string]any{"iss": fleetURL, "sub": "repo:octo-org/app", "aud": "gate",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": "x"})
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestPublishedAlgorithmIsPinned(t *testing.T) {
	t.Parallel()
	rsaKey := genKey(t, "RSA-2048")
	ecIss, err := oidc.NewIssuer(fleetURL, oidc.WithSigner(genKey(t, "P-256"), "ec"))
	if err != nil {
		t.Fatal(err)
	}
	psIss, err := oidc.NewIssuer(fleetURL, oidc.WithSigner(rsaKey, "rsa"))
	if err != nil {
		t.Fatal(err)
	}
	store := oidc.NewMemoryKeyStore(nil)
	for _, iss := range []*oidc.Issuer{ecIss, psIss} {
		if err := store.Publish(t.Context(), publishedOf(t, iss)); err != nil {
			t.Fatal(err)
		}
	}
	fleet, err := oidc.NewIssuer(fleetURL, oidc.WithKeyStore(store))
	if err != nil {
		t.Fatal(err)
	}
	if err := fleet.Publish(t.Context()); err != nil {
		t.Fatal(err)
	}
	jwks := fleet.JWKS()
	for _, tc := range []struct {
		name string
		raw  string
	}{
		{"RS256 under the ES256 kid", signRaw(t, rsaKey, jose.RS256, "ec")},
		{"PS256 under the ES256 kid", signRaw(t, rsaKey, jose.PS256, "ec")},
		{"RS256 with the PS256-published RSA key", signRaw(t, rsaKey, jose.RS256, "rsa")},
		{"PS384 with the PS256-published RSA key", signRaw(t, rsaKey, jose.PS384, "rsa")},
	} {
		if err := verifyWithJWKS(t, jwks, time.Now, tc.raw); !errors.Is(err, oidc.ErrAlgorithm) {
			t.Errorf("%s: err = %v, want ErrAlgorithm", tc.name, err)
		}
	}
	if err := verifyWithJWKS(t, jwks, time.Now, signRaw(t, rsaKey, jose.PS256, "rsa")); err != nil {
		t.Errorf("PS256 with the PS256-published key: %v", err)
	}
}

// publishedOf returns iss's active key as a record published for an hour.
func publishedOf(t *testing.T, iss *oidc.Issuer) oidc.PublishedKey {
	t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(iss.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	k := set.Keys[0]
	now := time.Now()
	return oidc.PublishedKey{ID: k.KeyID, Algorithm: oidc.Algorithm(k.Algorithm), Key: k.Key, NotBefore: now, NotAfter: now.Add(time.Hour)}
}

func serve(t *testing.T, iss *oidc.Issuer) string {
	t.Helper()
	srv := httptest.NewServer(iss.Handler())
	t.Cleanup(srv.Close)
	return srv.URL + oidc.JWKSPath
}

func fetch(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestRestartKeepsOutstandingTokens(t *testing.T) {
	t.Parallel()
	t.Run("same Signer, no store", func(t *testing.T) {
		t.Parallel()
		kms := &kmsSigner{key: genKey(t, "P-384")}
		before, err := oidc.NewIssuer(fleetURL, oidc.WithSigner(kms, ""))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := before.Mint(t.Context(), fleetJob, "gate")
		if err != nil {
			t.Fatal(err)
		}
		after, err := oidc.NewIssuer(fleetURL, oidc.WithSigner(kms, "")) // the restarted process
		if err != nil {
			t.Fatal(err)
		}
		_, jwks := fetch(t, serve(t, after))
		if err := verifyWithJWKS(t, jwks, time.Now, tok.Reveal()); err != nil {
			t.Errorf("token from before the restart: %v", err)
		}
	})
	t.Run("generated keys, shared store", func(t *testing.T) {
		t.Parallel()
		store := oidc.NewMemoryKeyStore(nil)
		before, err := oidc.NewIssuer(fleetURL, oidc.WithKeyStore(store))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := before.Mint(t.Context(), fleetJob, "gate")
		if err != nil {
			t.Fatal(err)
		}
		after, err := oidc.NewIssuer(fleetURL, oidc.WithKeyStore(store)) // new key, same store
		if err != nil {
			t.Fatal(err)
		}
		if err := after.Publish(t.Context()); err != nil {
			t.Fatal(err)
		}
		_, jwks := fetch(t, serve(t, after))
		if err := verifyWithJWKS(t, jwks, time.Now, tok.Reveal()); err != nil {
			t.Errorf("token from before the restart: %v", err)
		}
		tok2, err := after.Mint(t.Context(), fleetJob, "gate")
		if err != nil {
			t.Fatal(err)
		}
		if _, k1 := headerAlg(t, tok.Reveal()); func() bool { _, k2 := headerAlg(t, tok2.Reveal()); return k1 == k2 }() {
			t.Error("the restarted issuer signs with the old key")
		}
	})
}

func TestThreeReplicasInMemory(t *testing.T) {
	t.Parallel()
	store := oidc.NewMemoryKeyStore(nil)
	var urls []string
	var issuers []*oidc.Issuer
	for _, kind := range []string{"P-256", "Ed25519", "RSA-2048"} {
		iss, err := oidc.NewIssuer(fleetURL, oidc.WithSigner(genKey(t, kind), ""), oidc.WithKeyStore(store))
		if err != nil {
			t.Fatal(err)
		}
		if err := iss.Publish(t.Context()); err != nil {
			t.Fatal(err)
		}
		issuers, urls = append(issuers, iss), append(urls, serve(t, iss))
	}
	// Discovery advertises every algorithm of the fleet, so a verifier
	// that accepts only those (go-oidc does) takes every replica's tokens.
	_, doc := fetch(t, strings.TrimSuffix(urls[0], oidc.JWKSPath)+oidc.DiscoveryPath)
	var disc struct {
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := json.Unmarshal(doc, &disc); err != nil {
		t.Fatal(err)
	}
	if disc.Algs[0] != "ES256" {
		t.Errorf("discovery lists %q first, want the replica's own ES256", disc.Algs)
	}
	slices.Sort(disc.Algs)
	if got := strings.Join(disc.Algs, ","); got != "ES256,EdDSA,PS256" {
		t.Errorf("discovery algorithms %q, want ES256,EdDSA,PS256", got)
	}
	for i, iss := range issuers {
		tok, err := iss.Mint(t.Context(), fleetJob, "gate")
		if err != nil {
			t.Fatal(err)
		}
		for j, u := range urls {
			_, jwks := fetch(t, u)
			if err := verifyWithJWKS(t, jwks, time.Now, tok.Reveal()); err != nil {
				t.Errorf("token of replica %d at replica %d's JWKS: %v", i, j, err)
			}
		}
	}
}

// failingStore answers nothing.
type failingStore struct{}

func (failingStore) Publish(context.Context, oidc.PublishedKey) error {
	return errors.New("store down")
}

func (failingStore) Keys(context.Context) ([]oidc.PublishedKey, error) {
	return nil, errors.New("store down")
}

func (failingStore) Revoke(context.Context, string) error { return errors.New("store down") }

// switchStore is a MemoryKeyStore that can be taken down.
type switchStore struct {
	*oidc.MemoryKeyStore
	down atomic.Bool
}

func (s *switchStore) Publish(ctx context.Context, k oidc.PublishedKey) error {
	if s.down.Load() {
		return errors.New("store down")
	}
	return s.MemoryKeyStore.Publish(ctx, k)
}

func (s *switchStore) Keys(ctx context.Context) ([]oidc.PublishedKey, error) {
	if s.down.Load() {
		return nil, errors.New("store down")
	}
	return s.MemoryKeyStore.Keys(ctx)
}

func TestKeyStoreDownFailsClosed(t *testing.T) {
	t.Parallel()
	t.Run("never published: no token, JWKS 503", func(t *testing.T) {
		t.Parallel()
		iss, err := oidc.NewIssuer(fleetURL, oidc.WithKeyStore(failingStore{}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := iss.Mint(t.Context(), fleetJob, "gate"); !errors.Is(err, oidc.ErrNotPublished) || !errors.Is(err, oidc.ErrKeyStore) {
			t.Errorf("Mint = %v, want ErrNotPublished", err)
		}
		if err := iss.Publish(t.Context()); !errors.Is(err, oidc.ErrNotPublished) {
			t.Errorf("Publish = %v, want ErrNotPublished", err)
		}
		if code, _ := fetch(t, serve(t, iss)); code != http.StatusServiceUnavailable {
			t.Errorf("JWKS status %d, want 503", code)
		}
		if got := iss.JWKS(); string(got) != `{"keys":[]}` {
			t.Errorf("JWKS() = %s, want no key (none is published)", got)
		}
	})
	t.Run("down after publishing: mints while the publication covers the token, then stops", func(t *testing.T) {
		t.Parallel()
		clk := newClock()
		store := &switchStore{MemoryKeyStore: oidc.NewMemoryKeyStore(clk.Now)}
		iss, err := oidc.NewIssuer(fleetURL, oidc.WithKeyStore(store), oidc.WithClock(clk.Now), oidc.WithTTL(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if err := iss.Publish(t.Context()); err != nil {
			t.Fatal(err)
		}
		store.down.Store(true)
		var last error
		minted := 0
		for range 30 {
			clk.Add(time.Minute)
			if _, last = iss.Mint(t.Context(), fleetJob, "gate"); last != nil {
				break
			}
			minted++
		}
		// Published until publish time + TTL + 1m + TTL: tokens of 10m fit
		// for the first 10 minutes.
		if minted != 10 || !errors.Is(last, oidc.ErrNotPublished) {
			t.Errorf("minted %d tokens then %v, want 10 then ErrNotPublished", minted, last)
		}
		store.down.Store(false)
		clk.Add(10 * time.Second) // the issuer retries a failed store after a few seconds
		if _, err := iss.Mint(t.Context(), fleetJob, "gate"); err != nil {
			t.Errorf("Mint after the store came back: %v", err)
		}
	})
}

// TestScheduledRotation mints and verifies continuously across several
// rotations of two replicas, each token checked against the other replica's
// JWKS, with a fake clock: no verification may fail, a key leaves the JWKS
// only after its last token expired, and a token of a withdrawn key fails.
func TestScheduledRotation(t *testing.T) {
	t.Parallel()
	clk := newClock()
	const ttl, every = 10 * time.Minute, 30 * time.Minute
	store := oidc.NewMemoryKeyStore(clk.Now)
	var replicas [2]*oidc.Issuer
	for r := range replicas {
		iss, err := oidc.NewIssuer(fleetURL, oidc.WithKeyStore(store), oidc.WithClock(clk.Now), oidc.WithTTL(ttl), oidc.WithRotation(every))
		if err != nil {
			t.Fatal(err)
		}
		if err := iss.Publish(t.Context()); err != nil {
			t.Fatal(err)
		}
		replicas[r] = iss
	}
	type minted struct {
		raw string
		kid string
		exp time.Time
	}
	var live []minted
	lastExp := map[string]time.Time{} // kid -> expiry of its newest token
	lastTok := map[string]minted{}    // kid -> its newest token
	withdrawn := map[string]minted{}  // kid -> one of its tokens
	kidsSeen := map[string]bool{}
	verified := 0
	for step := range 6 * 60 { // six hours, a mint per replica per minute
		now := clk.Now()
		for r, iss := range replicas {
			tok, err := iss.Mint(t.Context(), fleetJob, "gate")
			if err != nil {
				t.Fatalf("step %d: replica %d: %v", step, r, err)
			}
			_, kid := headerAlg(t, tok.Reveal())
			kidsSeen[kid] = true
			live = append(live, minted{raw: tok.Reveal(), kid: kid, exp: tok.Expiry()})
			lastExp[kid] = tok.Expiry()
			lastTok[kid] = live[len(live)-1]
		}
		jwks := [2][]byte{replicas[0].JWKS(), replicas[1].JWKS()}
		inSet := map[string]bool{}
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(jwks[0], &set); err != nil {
			t.Fatal(err)
		}
		for _, k := range set.Keys {
			inSet[k.KeyID] = true
		}
		for kid, exp := range lastExp {
			if !inSet[kid] {
				if now.Before(exp) {
					t.Fatalf("step %d: kid %s withdrawn before its last token expired (%s)", step, kid, exp)
				}
				withdrawn[kid] = lastTok[kid]
				delete(lastExp, kid)
			}
		}
		keep := live[:0]
		for i, m := range live {
			if !now.Before(m.exp) {
				continue
			}
			keep = append(keep, m)
			if err := verifyWithJWKS(t, jwks[(i+1)%2], clk.Now, m.raw); err != nil {
				t.Fatalf("step %d: token of kid %s failed verification: %v", step, m.kid, err)
			}
			verified++
		}
		live = keep
		clk.Add(time.Minute)
	}
	rotations := len(kidsSeen)
	t.Logf("%d keys used across 2 replicas, %d verifications, 0 failed, %d keys withdrawn", rotations, verified, len(withdrawn))
	if rotations < 2*6*60/int(every/time.Minute) {
		t.Errorf("only %d keys used in six hours with a %v rotation", rotations, every)
	}
	if len(withdrawn) == 0 {
		t.Fatal("no key was ever withdrawn")
	}
	// A token signed by a withdrawn key fails even for a verifier whose
	// clock says it is still fresh: its key is gone.
	jwks := replicas[1].JWKS()
	for kid, m := range withdrawn {
		stillFresh := func() time.Time { return m.exp.Add(-time.Minute) }
		if err := verifyWithJWKS(t, jwks, stillFresh, m.raw); !errors.Is(err, oidc.ErrUnknownKey) {
			t.Errorf("token of withdrawn kid %s: err = %v, want ErrUnknownKey", kid, err)
		}
	}
}

// TestMemoryKeyStoreRevoke: a revoked kid leaves the set and is never
// published again, not even when revoked before its first publish;
// revoking again is not an error; an invalid kid is refused.
func TestMemoryKeyStoreRevoke(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := oidc.NewMemoryKeyStore(clk.Now)
	now := clk.Now()
	rec := oidc.PublishedKey{ID: "stolen", Algorithm: oidc.ES256, Key: genKey(t, "P-256").Public(), NotBefore: now, NotAfter: now.Add(time.Hour)}
	if err := store.Publish(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := store.Revoke(t.Context(), "stolen"); err != nil {
			t.Fatal(err)
		}
	}
	if keys, _ := store.Keys(t.Context()); len(keys) != 0 {
		t.Fatalf("Keys after the revocation: %+v", keys)
	}
	if err := store.Revoke(t.Context(), "early"); err != nil {
		t.Fatal(err)
	}
	early := rec
	early.ID = "early"
	for _, k := range []oidc.PublishedKey{rec, early} {
		if err := store.Publish(t.Context(), k); !errors.Is(err, oidc.ErrKeyRevoked) {
			t.Errorf("publishing revoked kid %q = %v, want ErrKeyRevoked", k.ID, err)
		}
	}
	if err := store.Revoke(t.Context(), ""); !errors.Is(err, oidc.ErrKeyRecord) {
		t.Errorf("revoking an empty kid = %v, want ErrKeyRecord", err)
	}
}

func TestMemoryKeyStoreRules(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := oidc.NewMemoryKeyStore(clk.Now)
	ec := genKey(t, "P-256")
	now := clk.Now()
	rec := oidc.PublishedKey{ID: "a", Algorithm: oidc.ES256, Key: ec.Public(), NotBefore: now, NotAfter: now.Add(time.Hour)}
	if err := store.Publish(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	shorter := rec
	shorter.NotAfter = now.Add(time.Minute)
	if err := store.Publish(t.Context(), shorter); err != nil {
		t.Fatal(err)
	}
	keys, _ := store.Keys(t.Context())
	if len(keys) != 1 || !keys[0].NotAfter.Equal(rec.NotAfter) {
		t.Errorf("a record was shortened: %+v", keys)
	}
	for _, tc := range []struct {
		name string
		k    oidc.PublishedKey
		want error
	}{
		{"same kid, other key", oidc.PublishedKey{ID: "a", Algorithm: oidc.ES256, Key: genKey(t, "P-256").Public(), NotBefore: now, NotAfter: now.Add(time.Hour)}, oidc.ErrKeyConflict},
		{"same kid, other algorithm", oidc.PublishedKey{ID: "a", Algorithm: oidc.ES384, Key: ec.Public(), NotBefore: now, NotAfter: now.Add(time.Hour)}, oidc.ErrKeyRecord},
		{"private key", oidc.PublishedKey{ID: "p", Algorithm: oidc.ES256, Key: ec, NotBefore: now, NotAfter: now.Add(time.Hour)}, oidc.ErrKeyRecord},
		{"expired", oidc.PublishedKey{ID: "e", Algorithm: oidc.ES256, Key: ec.Public(), NotBefore: now.Add(-time.Hour), NotAfter: now}, oidc.ErrKeyRecord},
		{"too far ahead", oidc.PublishedKey{ID: "f", Algorithm: oidc.ES256, Key: ec.Public(), NotBefore: now, NotAfter: now.Add(oidc.MaxKeyHorizon + time.Second)}, oidc.ErrKeyRecord},
		{"weak RSA", oidc.PublishedKey{ID: "w", Algorithm: oidc.RS256, Key: genKey(t, "RSA-1024").Public(), NotBefore: now, NotAfter: now.Add(time.Hour)}, oidc.ErrKeyRecord},
		{"no kid", oidc.PublishedKey{Algorithm: oidc.ES256, Key: ec.Public(), NotBefore: now, NotAfter: now.Add(time.Hour)}, oidc.ErrKeyRecord},
	} {
		if err := store.Publish(t.Context(), tc.k); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	for i := 1; i < oidc.MaxFleetKeys; i++ {
		k := oidc.PublishedKey{ID: string(rune('A'+i%26)) + time.Duration(i).String(), Algorithm: oidc.ES256, Key: ec.Public(), NotBefore: now, NotAfter: now.Add(time.Hour)}
		if err := store.Publish(t.Context(), k); err != nil {
			t.Fatal(err)
		}
	}
	over := oidc.PublishedKey{ID: "one-too-many", Algorithm: oidc.ES256, Key: ec.Public(), NotBefore: now, NotAfter: now.Add(time.Hour)}
	if err := store.Publish(t.Context(), over); !errors.Is(err, oidc.ErrTooManyKeys) {
		t.Errorf("key %d: err = %v, want ErrTooManyKeys", oidc.MaxFleetKeys+1, err)
	}
	clk.Add(2 * time.Hour) // everything expired: room again
	over.NotBefore, over.NotAfter = clk.Now(), clk.Now().Add(time.Hour)
	if err := store.Publish(t.Context(), over); err != nil {
		t.Errorf("after expiry: %v", err)
	}
}

func TestPublishedKeyRoundTrip(t *testing.T) {
	t.Parallel()
	now := time.Now().Truncate(time.Second)
	for _, kind := range []string{"P-256", "P-384", "Ed25519", "RSA-2048"} {
		key := genKey(t, kind)
		iss, err := oidc.NewIssuer(fleetURL, oidc.WithSigner(key, "k-"+kind))
		if err != nil {
			t.Fatal(err)
		}
		rec := publishedOf(t, iss)
		rec.NotBefore, rec.NotAfter = now, now.Add(time.Hour)
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		got, err := oidc.ParsePublishedKey(b)
		if err != nil {
			t.Fatalf("%s: %v\n%s", kind, err, b)
		}
		if got.ID != rec.ID || got.Algorithm != rec.Algorithm || !got.NotAfter.Equal(rec.NotAfter) || !got.Key.(interface{ Equal(crypto.PublicKey) bool }).Equal(key.Public()) {
			t.Errorf("%s: round trip changed the record: %+v", kind, got)
		}
	}
}

// countingStore fails every call and counts the publishes.
type countingStore struct{ publishes atomic.Int64 }

func (c *countingStore) Publish(context.Context, oidc.PublishedKey) error {
	c.publishes.Add(1)
	return errors.New("store down")
}

func (c *countingStore) Keys(context.Context) ([]oidc.PublishedKey, error) {
	return nil, errors.New("store down")
}

func (c *countingStore) Revoke(context.Context, string) error { return errors.New("store down") }

func TestStoreOutageIsNotRetriedOnEveryMint(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := &countingStore{}
	iss, err := oidc.NewIssuer(fleetURL, oidc.WithKeyStore(store), oidc.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if _, err := iss.Mint(t.Context(), fleetJob, "gate"); !errors.Is(err, oidc.ErrNotPublished) {
			t.Fatalf("Mint = %v, want ErrNotPublished", err)
		}
	}
	if n := store.publishes.Load(); n != 1 {
		t.Errorf("%d publish attempts for 100 mints in one instant, want 1", n)
	}
	clk.Add(10 * time.Second)
	_, _ = iss.Mint(t.Context(), fleetJob, "gate")
	if n := store.publishes.Load(); n != 2 {
		t.Errorf("%d publish attempts after the retry delay, want 2", n)
	}
}

// hostileStore returns whatever keys it holds, checked or not, as a
// vendor's buggy or compromised KeyStore could.
type hostileStore struct{ keys []oidc.PublishedKey }

func (h *hostileStore) Publish(context.Context, oidc.PublishedKey) error { return nil }

func (h *hostileStore) Keys(context.Context) ([]oidc.PublishedKey, error) { return h.keys, nil }

func (h *hostileStore) Revoke(context.Context, string) error { return nil }

// errorCount counts error records.
type errorCount struct{ n atomic.Int64 }

func (e *errorCount) Enabled(context.Context, slog.Level) bool { return true }
func (e *errorCount) WithAttrs([]slog.Attr) slog.Handler       { return e }
func (e *errorCount) WithGroup(string) slog.Handler            { return e }
func (e *errorCount) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		e.n.Add(1)
	}
	return nil
}

// TestIssuerServesOnlyValidFleetKeys: whatever a KeyStore returns, the
// issuer serves only keys that pass PublishedKey.Validate and do not
// collide with its own kid.
func TestIssuerServesOnlyValidFleetKeys(t *testing.T) {
	t.Parallel()
	now := time.Now()
	ec := genKey(t, "P-256")
	good := oidc.PublishedKey{ID: "good", Algorithm: oidc.ES256, Key: ec.Public(), NotBefore: now, NotAfter: now.Add(time.Hour)}
	own := genKey(t, "P-256")
	store := &hostileStore{}
	logs := &errorCount{}
	iss, err := oidc.NewIssuer(fleetURL, oidc.WithSigner(own, "own"), oidc.WithKeyStore(store), oidc.WithLogger(slog.New(logs)))
	if err != nil {
		t.Fatal(err)
	}
	bad := []oidc.PublishedKey{
		{ID: "private", Algorithm: oidc.ES256, Key: ec, NotBefore: now, NotAfter: now.Add(time.Hour)},
		{ID: "misfit", Algorithm: oidc.RS256, Key: ec.Public(), NotBefore: now, NotAfter: now.Add(time.Hour)},
		{ID: "far", Algorithm: oidc.ES256, Key: ec.Public(), NotBefore: now, NotAfter: now.Add(oidc.MaxKeyHorizon + time.Hour)},
		{ID: "own", Algorithm: oidc.ES256, Key: ec.Public(), NotBefore: now, NotAfter: now.Add(time.Hour)}, // our kid, another key
		{ID: "weak", Algorithm: oidc.RS256, Key: genKey(t, "RSA-1024").Public(), NotBefore: now, NotAfter: now.Add(time.Hour)},
		{ID: "nokey", Algorithm: oidc.ES256, NotBefore: now, NotAfter: now.Add(time.Hour)},
	}
	store.keys = append([]oidc.PublishedKey{good}, bad...)
	if err := iss.Publish(t.Context()); err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(iss.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KeyID)
		if !k.IsPublic() {
			t.Errorf("kid %s served with private material", k.KeyID)
		}
		if k.KeyID == "own" && !k.Key.(*ecdsa.PublicKey).Equal(own.Public()) {
			t.Error("a fleet key replaced the issuer's own key under its kid")
		}
	}
	if strings.Join(kids, ",") != "own,good" {
		t.Errorf("served kids %v, want [own good]", kids)
	}
	if n := logs.n.Load(); n != int64(len(bad)) {
		t.Errorf("%d keys refused with an error log, want %d", n, len(bad))
	}
	// More live keys than a verifier accepts: no JWKS rather than a choice.
	// (The store lists the issuer's own key, or the issuer withdraws it.)
	store.keys = []oidc.PublishedKey{{ID: "own", Algorithm: oidc.ES256, Key: own.Public(), NotBefore: now, NotAfter: now.Add(time.Hour)}}
	for i := range oidc.MaxFleetKeys {
		k := good
		k.ID = fmt.Sprintf("k%d", i)
		store.keys = append(store.keys, k)
	}
	if code, _ := fetch(t, serve(t, iss)); code != http.StatusServiceUnavailable {
		t.Errorf("JWKS of %d keys: status %d, want 503", oidc.MaxFleetKeys+1, code)
	}
}
