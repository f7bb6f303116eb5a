package oidc

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// privateJWK returns key (a private key) as a JWK map with kid, and the
// values of its private members: the canaries no error may quote.
func privateJWK(t *testing.T, key any, kid string, drop ...string) (map[string]any, []string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(mustJSON(t, jose.JSONWebKey{Key: key, KeyID: kid}), &m); err != nil {
		t.Fatal(err)
	}
	for _, d := range drop {
		delete(m, d)
	}
	var canaries []string
	for _, name := range privateMembers {
		if v, ok := m[name].(string); ok {
			canaries = append(canaries, v)
		}
	}
	if len(canaries) == 0 {
		t.Fatalf("%s: no private member to test", kid)
	}
	return m, canaries
}

func jwksJSON(t *testing.T, keys ...any) []byte {
	t.Helper()
	return mustJSON(t, map[string]any{"keys": keys})
}

// TestReview17PrivateKeyMaterialRefused: a JWKS that publishes private or
// secret key material was accepted. go-jose parses an EC, Ed25519 or RSA
// private JWK, and the verifier took its public half; an RSA JWK with the
// prime factors but no "d" reads as public in go-jose; an oct key was
// skipped while the rest of the set stood. An issuer that publishes such a
// key has published the power to forge every token the set verifies, so
// the whole set is refused with ErrPrivateKey, and no error quotes the
// material.
func TestReview17PrivateKeyMaterialRefused(t *testing.T) {
	t.Parallel()
	ec, rk, _ := testKeys(t)
	good := map[string]any{}
	if err := json.Unmarshal(mustJSON(t, jose.JSONWebKey{Key: ec.Public(), KeyID: "ec1", Algorithm: "ES256", Use: "sig"}), &good); err != nil {
		t.Fatal(err)
	}
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leakedEC, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPriv, ecCanary := privateJWK(t, leakedEC, "leaked-ec")
	edJWK, edCanary := privateJWK(t, edPriv, "leaked-ed")
	rsaJWK, rsaCanary := privateJWK(t, rk, "leaked-rsa")
	factors, factorsCanary := privateJWK(t, rk, "rsa-factors", "d")
	oct := map[string]any{"kty": "oct", "kid": "hmac", "alg": "HS256", "use": "sig", "k": "Y2FuYXJ5LXN5bW1ldHJpYy1zZWNyZXQtMDEyMzQ1Njc4OQ"}
	octNoAlg := map[string]any{"kty": "oct", "k": "Y2FuYXJ5LXN5bW1ldHJpYy1zZWNyZXQtMDEyMzQ1Njc4OQ"}
	for name, tc := range map[string]struct {
		key      map[string]any
		canaries []string
	}{
		"EC private key":              {ecPriv, ecCanary},
		"Ed25519 private key":         {edJWK, edCanary},
		"RSA private key":             {rsaJWK, rsaCanary},
		"RSA prime factors without d": {factors, factorsCanary},
		"symmetric HS256 key":         {oct, []string{oct["k"].(string)}},
		"symmetric key without alg":   {octNoAlg, []string{octNoAlg["k"].(string)}},
	} {
		for _, order := range [][]any{{good, tc.key}, {tc.key, good}} {
			ks, err := ParseKeySet(jwksJSON(t, order...))
			if !errors.Is(err, ErrPrivateKey) || !errors.Is(err, ErrKeySet) {
				t.Errorf("%s: ParseKeySet = %d keys, %v; want ErrPrivateKey", name, ks.Len(), err)
				continue
			}
			msg := fmt.Sprintf("%v | %+v | %#v", err, err, err)
			for _, c := range tc.canaries {
				if strings.Contains(msg, c) {
					t.Errorf("%s: error quotes private material: %s", name, msg)
				}
			}
		}
	}

	// A fleet record carrying the RSA factors without "d" is refused too.
	rec := mustJSON(t, map[string]any{"jwk": with(factors, "alg", "RS256", "use", "sig"),
		"nbf": testNow.Format(time.RFC3339), "exp": testNow.Add(time.Hour).Format(time.RFC3339)})
	if k, err := ParsePublishedKey(rec); !errors.Is(err, ErrKeyRecord) {
		t.Errorf("record with RSA factors: ParsePublishedKey = %v, %v; want ErrKeyRecord", k.ID, err)
	} else {
		for _, c := range factorsCanary {
			if strings.Contains(err.Error(), c) {
				t.Errorf("record error quotes private material: %v", err)
			}
		}
	}
}

// TestReview17PrivateKeyDropsCachedSet: once the issuer's JWKS publishes
// the private half of its signing key, anyone can forge its tokens. The
// verifier fell back to its last good set (which holds that very key) for
// one more TTL, as for an unreachable issuer, and accepted the forgeries.
// The set is dropped instead; neither the error nor the debug log quotes
// the key.
func TestReview17PrivateKeyDropsCachedSet(t *testing.T) {
	t.Parallel()
	ec, _, _ := testKeys(t)
	var jwks atomic.Pointer[[]byte]
	pub := jwksJSON(t, jose.JSONWebKey{Key: ec.Public(), KeyID: "ec1", Algorithm: "ES256", Use: "sig"})
	jwks.Store(&pub)
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_, _ = w.Write(mustJSON(t, map[string]string{"issuer": srv.URL, "jwks_uri": srv.URL + "/jwks"}))
		case "/jwks":
			_, _ = w.Write(*jwks.Load())
		default:
			http.NotFound(w, r)
		}
	})
	clock := &fakeClock{now: testNow}
	var logs bytes.Buffer
	v, err := NewVerifier(srv.URL, "vault", WithClock(clock.Now), WithCacheTTL(10*time.Minute),
		WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	token := func() string {
		now := clock.Now()
		c := with(goodClaims(), "iss", srv.URL, "exp", now.Add(5*time.Minute).Unix(), "iat", now.Unix(), "nbf", now.Unix())
		return signES256(t, ec, []byte(`{"alg":"ES256","kid":"ec1","typ":"JWT"}`), mustJSON(t, c))
	}
	if _, err := v.Verify(t.Context(), token()); err != nil {
		t.Fatal(err)
	}

	leaked, canaries := privateJWK(t, ec, "ec1")
	bad := jwksJSON(t, leaked)
	jwks.Store(&bad)
	clock.Add(11 * time.Minute) // stale: the next token refreshes
	forged := token()
	for range 2 {
		_, err = v.Verify(t.Context(), forged)
		if !errors.Is(err, ErrKeySet) {
			t.Fatalf("token after the issuer published its private key: err = %v, want ErrKeySet", err)
		}
	}
	out := fmt.Sprintf("%v | %+v | %s", err, err, logs.String())
	for _, c := range canaries {
		if strings.Contains(out, c) {
			t.Errorf("error or log quotes the private key: %.400s", out)
		}
	}
}
