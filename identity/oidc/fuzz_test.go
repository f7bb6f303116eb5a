package oidc

import (
	"errors"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary strings to the whole verifier: it must never
// panic, never accept a token it did not see signed, and reject with errors
// inside ErrInvalidToken.
func FuzzVerify(f *testing.F) {
	ec, _, _ := testKeys(f)
	valid := signES256(f, ec, []byte(`{"alg":"ES256","kid":"ec1"}`), mustJSON(f, goodClaims()))
	f.Add(valid)
	f.Add(valid + "=")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("..")
	f.Add("a.b.c.d")
	f.Add(b64([]byte(`{"alg":"ES256","kid":"ec1","jwk":{}}`)) + ".e30.AAAA")
	f.Add(b64([]byte(`{"alg":"ES256","kid":"ec1"}`)) + "." + b64([]byte(`{"exp":1e400}`)) + ".AAAA")
	// Ambiguous member names, signed with the real key.
	f.Add(signES256(f, ec, []byte(`{"ALG":"ES256","KID":"ec1"}`), mustJSON(f, goodClaims())))
	f.Add(signES256(f, ec, []byte(`{"alg":"ES256","kid":"ec1","kid":"rsa1"}`), mustJSON(f, goodClaims())))
	f.Add(signES256(f, ec, []byte(`{"alg":"ES256","kid":"ec1"}`), []byte(`{"ISS":"x",`+string(mustJSON(f, goodClaims()))[1:])))
	v, err := NewVerifier("https://issuer.test", "vault", WithKeySet(testKeySet(f)), WithClock(func() time.Time { return testNow }))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		id, err := v.Verify(t.Context(), raw)
		if err == nil {
			if raw != valid {
				t.Fatalf("accepted a token that was never signed: %q", raw)
			}
			if id.IsZero() {
				t.Fatal("accepted token gave no identity")
			}
			return
		}
		if !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("error %v is not an ErrInvalidToken", err)
		}
	})
}

// FuzzParseKeySet feeds arbitrary JWKS documents to the key set parser.
func FuzzParseKeySet(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"KSexBRK64-3c_kZ4KBKLrSkDJpkZ9whgacjE32xzKDg","y":"x3h5ZOqsAOWSH7FJimD0YGdms9loUAFVjRqXTnNBUT4","kid":"a"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"AAAA"}]}`))
	f.Add([]byte(`{"keys":[{"kid":"a"},{"kid":"a"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"KSexBRK64-3c_kZ4KBKLrSkDJpkZ9whgacjE32xzKDg","y":"x3h5ZOqsAOWSH7FJimD0YGdms9loUAFVjRqXTnNBUT4","KID":"a","kid":"b"}]}`))
	f.Add([]byte(`{"Keys":[],"keys":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ks, err := ParseKeySet(b)
		if err != nil {
			if !errors.Is(err, ErrKeySet) {
				t.Fatalf("error %v outside ErrKeySet", err)
			}
			return
		}
		for _, k := range ks.keys {
			if len(k.algs) == 0 || k.pub == nil {
				t.Fatal("key set holds a key that can verify nothing")
			}
		}
	})
}
