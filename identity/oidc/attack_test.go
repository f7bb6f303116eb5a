package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

var (
	testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	keysMu  sync.Mutex
	ecKey   *ecdsa.PrivateKey
	rsaKey  *rsa.PrivateKey
	evilKey *ecdsa.PrivateKey
)

func testKeys(t testing.TB) (*ecdsa.PrivateKey, *rsa.PrivateKey, *ecdsa.PrivateKey) {
	t.Helper()
	keysMu.Lock()
	defer keysMu.Unlock()
	if ecKey == nil {
		var err error
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			t.Fatal(err)
		}
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
		if evilKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	return ecKey, rsaKey, evilKey
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signES256 signs header.claims with key as raw r||s.
func signES256(t testing.TB, key *ecdsa.PrivateKey, header, claims []byte) string {
	t.Helper()
	in := b64(header) + "." + b64(claims)
	d := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + b64(sig)
}

func goodClaims() map[string]any {
	return map[string]any{
		"iss": "https://issuer.test", "sub": "repo:octo-org/octo-repo:ref:refs/heads/main", "aud": []string{"vault"},
		"exp": testNow.Add(5 * time.Minute).Unix(), "iat": testNow.Unix(), "nbf": testNow.Unix(), "jti": "id-1",
		"repository": "octo-org/octo-repo", "ref": "refs/heads/main", "sha": "abc",
	}
}

func with(c map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func testKeySet(t testing.TB) *KeySet {
	t.Helper()
	ec, rk, _ := testKeys(t)
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: ec.Public(), KeyID: "ec1", Algorithm: "ES256", Use: "sig"},
		{Key: rk.Public(), KeyID: "rsa1", Use: "sig"},
	}}
	ks, err := ParseKeySet(mustJSON(t, set))
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func TestJWTAttacks(t *testing.T) {
	t.Parallel()
	ec, rk, evil := testKeys(t)
	hdr := func(kv ...any) []byte {
		h := map[string]any{"alg": "ES256", "kid": "ec1", "typ": "JWT"}
		for i := 0; i < len(kv); i += 2 {
			h[kv[i].(string)] = kv[i+1]
		}
		return mustJSON(t, h)
	}
	good := goodClaims()
	valid := signES256(t, ec, hdr(), mustJSON(t, good))
	pubDER, _ := x509.MarshalPKIXPublicKey(ec.Public())
	hs256 := func(key []byte) string {
		in := b64(mustJSON(t, map[string]any{"alg": "HS256", "kid": "ec1"})) + "." + b64(mustJSON(t, good))
		m := hmac.New(sha256.New, key)
		m.Write([]byte(in))
		return in + "." + b64(m.Sum(nil))
	}
	evilJWK := json.RawMessage(mustJSON(t, jose.JSONWebKey{Key: evil.Public(), KeyID: "ec1"}))
	rsaSign := func(alg string, salt int) string {
		in := b64(mustJSON(t, map[string]any{"alg": alg, "kid": "rsa1"})) + "." + b64(mustJSON(t, good))
		d := sha256.Sum256([]byte(in))
		var sig []byte
		var err error
		if alg == "RS256" {
			sig, err = rsa.SignPKCS1v15(rand.Reader, rk, crypto.SHA256, d[:])
		} else {
			sig, err = rsa.SignPSS(rand.Reader, rk, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: salt})
		}
		if err != nil {
			t.Fatal(err)
		}
		return in + "." + b64(sig)
	}
	derSig := func() string {
		in := b64(hdr()) + "." + b64(mustJSON(t, good))
		d := sha256.Sum256([]byte(in))
		sig, _ := ecdsa.SignASN1(rand.Reader, ec, d[:])
		return in + "." + b64(sig)
	}
	parts := strings.Split(valid, ".")
	claims := func(kv ...any) string { return signES256(t, ec, hdr(), mustJSON(t, with(good, kv...))) }

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{name: "valid", token: valid},
		{name: "valid RS256", token: rsaSign("RS256", 0)},
		{name: "valid PS256 salt = hash length", token: rsaSign("PS256", 32)},
		{name: "exp within leeway", token: claims("exp", testNow.Add(-10*time.Second).Unix())},

		{name: "alg none", token: b64([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".", want: ErrAlgorithm},
		{name: "alg none with signature", token: b64([]byte(`{"alg":"none","kid":"ec1"}`)) + "." + parts[1] + "." + parts[2], want: ErrAlgorithm},
		{name: "alg NONE", token: b64([]byte(`{"alg":"NONE"}`)) + "." + parts[1] + ".", want: ErrAlgorithm},
		{name: "alg missing", token: b64([]byte(`{"kid":"ec1"}`)) + "." + parts[1] + "." + parts[2], want: ErrAlgorithm},
		{name: "HS256 keyed with public key DER", token: hs256(pubDER), want: ErrAlgorithm},
		{name: "HS256 keyed with public key JWK", token: hs256(mustJSON(t, jose.JSONWebKey{Key: ec.Public()})), want: ErrAlgorithm},
		{name: "alg confusion RS256 on EC key", token: b64(mustJSON(t, map[string]any{"alg": "RS256", "kid": "ec1"})) + "." + parts[1] + "." + parts[2], want: ErrAlgorithm},
		{name: "embedded jwk", token: signES256(t, evil, hdr("jwk", evilJWK), mustJSON(t, good)), want: ErrForbiddenHeader},
		{name: "jku", token: signES256(t, evil, hdr("jku", "https://evil.test/jwks"), mustJSON(t, good)), want: ErrForbiddenHeader},
		{name: "x5u", token: signES256(t, evil, hdr("x5u", "https://evil.test/cert"), mustJSON(t, good)), want: ErrForbiddenHeader},
		{name: "x5c", token: signES256(t, evil, hdr("x5c", []string{"MIIB"}), mustJSON(t, good)), want: ErrForbiddenHeader},
		{name: "crit", token: signES256(t, ec, hdr("crit", []string{"exp"}), mustJSON(t, good)), want: ErrForbiddenHeader},
		{name: "typ at+jwt", token: signES256(t, ec, hdr("typ", "at+jwt"), mustJSON(t, good)), want: ErrForbiddenHeader},
		{name: "b64 false", token: signES256(t, ec, hdr("b64", false), mustJSON(t, good)), want: ErrForbiddenHeader},
		{name: "kid path traversal", token: signES256(t, evil, hdr("kid", "../../../../dev/null"), mustJSON(t, good)), want: ErrUnknownKey},
		{name: "kid SQL injection", token: signES256(t, evil, hdr("kid", "' OR '1'='1"), mustJSON(t, good)), want: ErrUnknownKey},
		{name: "kid with NUL", token: signES256(t, evil, hdr("kid", "ec1\x00"), mustJSON(t, good)), want: ErrUnknownKey},
		{name: "attacker key, right kid", token: signES256(t, evil, hdr(), mustJSON(t, good)), want: ErrSignature},
		{name: "ES256 DER signature", token: derSig(), want: ErrSignature},
		{name: "PS256 salt 16", token: rsaSign("PS256", 16), want: ErrSignature},
		{name: "PS256 salt max", token: rsaSign("PS256", rsa.PSSSaltLengthAuto), want: ErrSignature},
		{name: "expired", token: claims("exp", testNow.Add(-time.Hour).Unix()), want: ErrExpired},
		{name: "exp missing", token: claims("exp", nil), want: ErrExpired},
		{name: "exp not a number", token: claims("exp", "tomorrow"), want: ErrExpired},
		{name: "nbf in future", token: claims("nbf", testNow.Add(time.Hour).Unix()), want: ErrNotYetValid},
		{name: "iat in future", token: claims("iat", testNow.Add(time.Hour).Unix()), want: ErrNotYetValid},
		{name: "wrong iss", token: claims("iss", "https://evil.test"), want: ErrIssuer},
		{name: "iss with trailing slash", token: claims("iss", "https://issuer.test/"), want: ErrIssuer},
		{name: "iss missing", token: claims("iss", nil), want: ErrIssuer},
		{name: "wrong aud", token: claims("aud", "sigstore"), want: ErrAudience},
		{name: "empty aud string", token: claims("aud", ""), want: ErrAudience},
		{name: "empty aud list", token: claims("aud", []string{}), want: ErrAudience},
		{name: "aud list of empty", token: claims("aud", []string{""}), want: ErrAudience},
		{name: "aud missing", token: claims("aud", nil), want: ErrAudience},
		{name: "aud not a string", token: claims("aud", 42), want: ErrAudience},
		{name: "sub missing", token: claims("sub", nil), want: ErrSubject},
		{name: "oversized", token: claims("pad", strings.Repeat("A", DefaultMaxTokenSize)), want: ErrTooLarge},
		{name: "two segments", token: parts[0] + "." + parts[1], want: ErrMalformed},
		{name: "four segments", token: valid + ".x", want: ErrMalformed},
		{name: "empty", token: "", want: ErrMalformed},
		{name: "padding", token: valid + "==", want: ErrMalformed},
		{name: "whitespace", token: parts[0] + ". " + parts[1] + "." + parts[2], want: ErrMalformed},
		{name: "std base64 alphabet", token: parts[0] + "." + parts[1] + "+." + parts[2], want: ErrMalformed},
		{name: "header not JSON", token: b64([]byte("not json")) + "." + parts[1] + "." + parts[2], want: ErrMalformed},
		{name: "header JSON array", token: b64([]byte(`["ES256"]`)) + "." + parts[1] + "." + parts[2], want: ErrMalformed},
		{name: "claims not JSON", token: signES256(t, ec, hdr(), []byte("hello")), want: ErrMalformed},
		{name: "claims JSON array", token: signES256(t, ec, hdr(), []byte(`[1]`)), want: ErrMalformed},
		{name: "jti not a string", token: claims("jti", 7), want: ErrMalformed},
	}
	v, err := NewVerifier("https://issuer.test", "vault", WithKeySet(testKeySet(t)), WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id, err := v.Verify(t.Context(), tc.token)
			if tc.want == nil {
				if err != nil || id.IsZero() {
					t.Fatalf("Verify = %v, %v; want success", id, err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("err = %v, want %v (within ErrInvalidToken)", err, tc.want)
			}
			if !id.IsZero() {
				t.Fatalf("rejected token returned identity %v", id)
			}
		})
	}
}

func TestTypedErrors(t *testing.T) {
	t.Parallel()
	ec, _, _ := testKeys(t)
	v, err := NewVerifier("https://issuer.test", "vault", WithKeySet(testKeySet(t)), WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	tok := signES256(t, ec, []byte(`{"alg":"ES256","kid":"ec1"}`), mustJSON(t, with(goodClaims(), "aud", "sigstore")))
	_, err = v.Verify(t.Context(), tok)
	var ce *ClaimError
	if !errors.As(err, &ce) || ce.Claim != "aud" || ce.Got != "[sigstore]" {
		t.Fatalf("err = %#v, want *ClaimError for aud", err)
	}
	_, err = v.Verify(t.Context(), b64([]byte(`{"alg":"HS256"}`))+".e30.c2ln")
	var ae *AlgorithmError
	if !errors.As(err, &ae) || ae.Got != "HS256" {
		t.Fatalf("err = %#v, want *AlgorithmError", err)
	}
}

func TestSingleUse(t *testing.T) {
	t.Parallel()
	ec, _, _ := testKeys(t)
	clock := func() time.Time { return testNow }
	cache := NewMemoryReplayCache(2, clock)
	v, err := NewVerifier("https://issuer.test", "vault", WithKeySet(testKeySet(t)), WithClock(clock), WithSingleUse(cache))
	if err != nil {
		t.Fatal(err)
	}
	tok := func(kv ...any) string {
		return signES256(t, ec, []byte(`{"alg":"ES256","kid":"ec1"}`), mustJSON(t, with(goodClaims(), kv...)))
	}
	first := tok("jti", "a")
	if _, err := v.Verify(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), first); !errors.Is(err, ErrReplayed) {
		t.Fatalf("replay: err = %v, want ErrReplayed", err)
	}
	if _, err := v.Verify(t.Context(), tok("jti", nil)); !errors.Is(err, ErrReplayed) {
		t.Fatalf("no jti: err = %v, want ErrReplayed", err)
	}
	if _, err := v.Verify(t.Context(), tok("jti", "b")); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), tok("jti", "c")); !errors.Is(err, ErrReplayCacheFull) {
		t.Fatalf("full cache: err = %v, want ErrReplayCacheFull", err)
	}
}

func TestBoundClaims(t *testing.T) {
	t.Parallel()
	ec, _, _ := testKeys(t)
	tok := signES256(t, ec, []byte(`{"alg":"ES256","kid":"ec1"}`), mustJSON(t, goodClaims()))
	tests := []struct {
		name string
		opt  Option
		want error
	}{
		{name: "exact match", opt: WithBoundClaims(map[string][]string{"repository": {"other/x", "octo-org/octo-repo"}})},
		{name: "exact mismatch", opt: WithBoundClaims(map[string][]string{"repository": {"octo-org/*"}}), want: ErrBoundClaims},
		{name: "glob match", opt: WithBoundClaimsGlob(map[string][]string{"repository": {"octo-org/*"}, "ref": {"refs/heads/*"}})},
		{name: "glob mismatch", opt: WithBoundClaimsGlob(map[string][]string{"ref": {"refs/tags/*"}}), want: ErrBoundClaims},
		{name: "absent claim", opt: WithBoundClaimsGlob(map[string][]string{"environment": {"*"}}), want: ErrBoundClaims},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewVerifier("https://issuer.test", "vault", WithKeySet(testKeySet(t)), WithClock(func() time.Time { return testNow }), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(t.Context(), tok)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestOptionsApplyToTheirTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		make func() error
	}{
		{name: "masker on verifier", make: func() error {
			_, err := NewVerifier("https://i.test", "a", WithMasker(nil))
			return err
		}},
		{name: "masker on verifier non-nil", make: func() error {
			_, err := NewVerifier("https://i.test", "a", WithMasker(maskerNop{}))
			return err
		}},
		{name: "key set on issuer", make: func() error {
			_, err := NewIssuer("https://i.test", WithKeySet(testKeySet(t)))
			return err
		}},
		{name: "empty audience", make: func() error { _, err := NewVerifier("https://i.test", ""); return err }},
		{name: "plain http issuer off loopback", make: func() error { _, err := NewIssuer("http://ci.example.com"); return err }},
		{name: "TTL too long", make: func() error { _, err := NewIssuer("https://i.test", WithTTL(2*time.Hour)); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := tc.make(); !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
}

type maskerNop struct{}

func (maskerNop) AddMask(string) {}
