package oidc

import (
	"errors"
	"slices"
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

// FuzzParsePublishedKey feeds arbitrary key-store records to the decoder: it
// must never panic, and whatever it accepts is a public, verifier-usable
// key pinned to one fitting algorithm that encodes back to an equal record.
func FuzzParsePublishedKey(f *testing.F) {
	ec, _, _ := testKeys(f)
	nb := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	good, err := PublishedKey{ID: "ec1", Algorithm: ES256, Key: &ec.PublicKey, NotBefore: nb, NotAfter: nb.Add(time.Hour)}.MarshalJSON()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"jwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"ed","alg":"EdDSA"},"nbf":"2026-03-01T12:00:00Z","exp":"2026-03-01T13:00:00Z"}`))
	f.Add([]byte(`{"jwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"ed","alg":"ES256"},"nbf":"2026-03-01T12:00:00Z","exp":"2026-03-01T13:00:00Z"}`))
	f.Add([]byte(`{"jwk":{"kty":"oct","k":"c2VjcmV0","kid":"h","alg":"HS256"},"nbf":"2026-03-01T12:00:00Z","exp":"2026-03-01T13:00:00Z"}`))
	f.Add([]byte(`{"jwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","kid":"ed","alg":"EdDSA"},"nbf":"2026-03-01T12:00:00Z","exp":"2026-03-01T13:00:00Z"}`))
	f.Add([]byte(`{"jwk":{},"jwk":{},"nbf":"2026-03-01T12:00:00Z","exp":"2026-03-01T13:00:00Z"}`))
	f.Add([]byte(`{"JWK":{"kty":"OKP"},"nbf":"2026-03-01T12:00:00Z","exp":"2026-03-01T11:00:00Z"}`))
	f.Add([]byte(`{"jwk":null,"nbf":0,"exp":1}`))
	f.Add(append(good[:len(good)-1:len(good)-1], []byte(`,"extra":1}`)...))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParsePublishedKey(b)
		if err != nil {
			if !errors.Is(err, ErrKeyRecord) {
				t.Fatalf("error outside ErrKeyRecord: %v", err)
			}
			return
		}
		if !isPublicKey(k.Key) || !slices.Contains(algorithmsForKey(k.Key), k.Algorithm) || !k.NotBefore.Before(k.NotAfter) {
			t.Fatalf("accepted an unusable record: %+v", k)
		}
		again, err := k.MarshalJSON()
		if err != nil {
			t.Fatalf("accepted record does not encode: %v", err)
		}
		k2, err := ParsePublishedKey(again)
		if err != nil || !k2.sameKey(k) || !k2.NotAfter.Equal(k.NotAfter) || !k2.NotBefore.Equal(k.NotBefore) {
			t.Fatalf("record changed on a round trip: %v", err)
		}
	})
}
