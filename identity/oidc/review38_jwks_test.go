package oidc

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// TestReview38JWKSURIInternalAddress: a discovery document (a compromised or
// hostile issuer) must not point the verifier's key fetch at an internal
// address (the cloud metadata service, loopback, a private network) on a
// host other than the issuer's: before, any https jwks_uri was fetched, a
// blind request from the verifier's network position whose status line and
// parse errors came back in errors and audit events.
func TestReview38JWKSURIInternalAddress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, issuer, jwks string
		ok                 bool
	}{
		{name: "metadata", issuer: "https://ci.example.com", jwks: "https://169.254.169.254/latest/meta-data"},
		{name: "loopback", issuer: "https://ci.example.com", jwks: "https://127.0.0.1:8443/keys"},
		{name: "loopback6", issuer: "https://ci.example.com", jwks: "https://[::1]/keys"},
		{name: "mapped", issuer: "https://ci.example.com", jwks: "https://[::ffff:10.0.0.1]/keys"},
		{name: "private", issuer: "https://ci.example.com", jwks: "https://10.1.2.3/keys"},
		{name: "cgnat", issuer: "https://ci.example.com", jwks: "https://100.64.0.1/keys"},
		{name: "localhost name", issuer: "https://ci.example.com", jwks: "https://localhost/keys"},
		{name: "localhost subdomain", issuer: "https://ci.example.com", jwks: "https://a.localhost./keys"},
		{name: "internal issuer to other internal", issuer: "https://10.0.0.5", jwks: "https://10.0.0.6/keys"},
		{name: "public other host", issuer: "https://accounts.example.com", jwks: "https://keys.example.net/certs", ok: true},
		{name: "public literal", issuer: "https://ci.example.com", jwks: "https://8.8.8.8/keys", ok: true},
		{name: "internal issuer same host", issuer: "https://10.0.0.5", jwks: "https://10.0.0.5:8443/keys", ok: true},
		{name: "loopback issuer same host", issuer: "http://127.0.0.1:8080", jwks: "http://127.0.0.1:9090/keys", ok: true},
		{name: "localhost issuer same host", issuer: "https://localhost:8443", jwks: "https://LOCALHOST/keys", ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := checkJWKSURI(tc.issuer, tc.jwks)
			if tc.ok && err != nil {
				t.Fatalf("checkJWKSURI(%q, %q) = %v, want nil", tc.issuer, tc.jwks, err)
			}
			if !tc.ok && !errors.Is(err, ErrKeySet) {
				t.Fatalf("checkJWKSURI(%q, %q) = %v, want ErrKeySet", tc.issuer, tc.jwks, err)
			}
		})
	}
}

// TestReview38JWKSURIInternalAddressEndToEnd: the check is on the fetch
// path: the verifier never requests the internal jwks_uri.
func TestReview38JWKSURIInternalAddressEndToEnd(t *testing.T) {
	t.Parallel()
	var internalHits atomic.Int32
	internal := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { internalHits.Add(1) }))
	t.Cleanup(internal.Close)
	// The issuer is reached by name (example.com, which the test
	// certificate covers, dialled on loopback) and names the internal
	// server by its loopback literal: another host.
	var issuer string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, issuer, internal.URL+"/keys")
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	issuer = "https://example.com:" + port
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if h, p, _ := net.SplitHostPort(addr); h == "example.com" {
			addr = net.JoinHostPort("127.0.0.1", p)
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	v, err := NewVerifier(issuer, "aud", WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(t.Context(), signedTestToken(t))
	if !errors.Is(err, ErrKeySet) {
		t.Fatalf("Verify = %v, want ErrKeySet", err)
	}
	if n := internalHits.Load(); n != 0 {
		t.Fatalf("internal jwks_uri fetched %d times", n)
	}
}

// TestReview38HostileTextClipped: text from the discovery document or JWKS
// (the issuer it names, the jwks_uri, a kid) reaches errors, logs and audit
// events bounded, not as the issuer sent it (up to 1 MiB).
func TestReview38HostileTextClipped(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("A", 100_000)
	for _, tc := range []struct {
		name string
		disc string
	}{
		{name: "issuer", disc: `{"issuer":"https://` + long + `","jwks_uri":"https://x.example/k"}`},
		{name: "jwks_uri", disc: `{"issuer":%q,"jwks_uri":"ftp://` + long + `"}`},
		{name: "jwks_uri no host", disc: `{"issuer":%q,"jwks_uri":"https:///` + long + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				d := tc.disc
				if strings.Contains(d, "%q") {
					d = fmt.Sprintf(d, srv.URL)
				}
				w.Write([]byte(d))
			}))
			t.Cleanup(srv.Close)
			v, err := NewVerifier(srv.URL, "aud")
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(t.Context(), signedTestToken(t))
			if !errors.Is(err, ErrKeySet) {
				t.Fatalf("Verify = %v, want ErrKeySet", err)
			}
			if n := len(err.Error()); n > 2000 {
				t.Fatalf("error is %d bytes long: hostile text unbounded", n)
			}
		})
	}
	for _, tc := range []struct {
		name, jwks string
		want       error
	}{
		{name: "duplicate kid", jwks: `{"keys":[` + testJWK(t, long) + `,` + testJWK(t, long) + `]}`, want: ErrKeySet},
		{name: "private kid", jwks: `{"keys":[{"kty":"oct","kid":"` + long + `","k":"AAAA"}]}`, want: ErrPrivateKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseKeySet([]byte(tc.jwks))
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParseKeySet = %v, want %v", err, tc.want)
			}
			if n := len(err.Error()); n > 2000 {
				t.Fatalf("error is %d bytes long: hostile kid unbounded", n)
			}
		})
	}
}

// TestReview38OversizedRSAKey: an RSA key far larger than any issuer uses
// makes every verification against it (by any token naming its kid, signed
// or not) cost CPU time the key's publisher chooses; the standard library
// sets no upper bound. Such a key verifies nothing.
func TestReview38OversizedRSAKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		bits int
		ok   bool
	}{
		{name: "4096", bits: 4096, ok: true},
		{name: "8192", bits: 8192, ok: true},
		{name: "8200", bits: 8200},
		{name: "65536", bits: 65536},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := oddModulus(t, tc.bits)
			jwk := fmt.Sprintf(`{"kty":"RSA","kid":"big","n":%q,"e":"AQAB"}`, base64.RawURLEncoding.EncodeToString(n.Bytes()))
			ks, err := ParseKeySet([]byte(`{"keys":[` + jwk + `]}`))
			if tc.ok {
				if err != nil || ks.lookup("big") == nil {
					t.Fatalf("ParseKeySet(%d-bit key) = %v", tc.bits, err)
				}
				return
			}
			if !errors.Is(err, ErrKeySet) {
				t.Fatalf("ParseKeySet(%d-bit key) = %v, want ErrKeySet (no usable key)", tc.bits, err)
			}
			if algs := algorithmsForKey(publicOfModulus(n)); len(algs) != 0 {
				t.Fatalf("algorithmsForKey(%d-bit key) = %v, want none", tc.bits, algs)
			}
		})
	}
}

func oddModulus(t *testing.T, bits int) *big.Int {
	t.Helper()
	b := make([]byte, bits/8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	b[0] |= 0x80
	b[len(b)-1] |= 1
	return new(big.Int).SetBytes(b)
}

// signedTestToken is a well-formed ES256 token naming kid ec1.
func signedTestToken(t *testing.T) string {
	t.Helper()
	ec, _, _ := testKeys(t)
	return signES256(t, ec, mustJSON(t, map[string]any{"alg": "ES256", "kid": "ec1", "typ": "JWT"}), mustJSON(t, goodClaims()))
}

// testJWK is the public test EC key as a JWK with the given kid.
func testJWK(t *testing.T, kid string) string {
	t.Helper()
	ec, _, _ := testKeys(t)
	return string(mustJSON(t, jose.JSONWebKey{Key: ec.Public(), KeyID: kid, Algorithm: "ES256", Use: "sig"}))
}

func publicOfModulus(n *big.Int) *rsa.PublicKey { return &rsa.PublicKey{N: n, E: 65537} }
