package natskeys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/identity/oidc"
)

// FuzzDecodeRecord feeds arbitrary (key, value) pairs, as a writer to the
// bucket could store them, to the record decoder: it never panics, refuses
// with ErrRecord, and accepts only a public key stored under the key its
// kid hashes to.
func FuzzDecodeRecord(f *testing.F) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	nb := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	good, err := json.Marshal(oidc.PublishedKey{ID: "replica-1", Algorithm: oidc.ES256, Key: ec.Public(), NotBefore: nb, NotAfter: nb.Add(time.Hour)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(Key("replica-1"), good)
	f.Add(Key("replica-2"), good) // copied under another kid's key
	f.Add(Key("x"), []byte(`{"jwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"x","alg":"EdDSA"},"nbf":"2026-03-01T12:00:00Z","exp":"2026-03-01T13:00:00Z"}`))
	f.Add(Key("x"), []byte(`{"jwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","kid":"x","alg":"EdDSA"},"nbf":"2026-03-01T12:00:00Z","exp":"2026-03-01T13:00:00Z"}`))
	f.Add(Key("h"), []byte(`{"jwk":{"kty":"oct","k":"c2VjcmV0","kid":"h","alg":"HS256"},"nbf":"2026-03-01T12:00:00Z","exp":"2026-03-01T13:00:00Z"}`))
	f.Add(Key("x"), []byte(`{"jwk":{"kid":"x"},"Jwk":{},"nbf":"2026-03-01T12:00:00Z","exp":"2026-03-01T13:00:00Z"}`))
	f.Add(Key("x"), []byte(`{"jwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"x","alg":"EdDSA"},"nbf":"2026-03-01T13:00:00Z","exp":"2026-03-01T12:00:00Z"}`))
	f.Add("", []byte{})
	f.Add(Key("big"), make([]byte, oidc.MaxPublishedKeySize+1))
	f.Fuzz(func(t *testing.T, key string, value []byte) {
		k, err := decodeRecord(key, value)
		if err != nil {
			if !errors.Is(err, ErrRecord) || !errors.Is(err, oidc.ErrKeyRecord) {
				t.Fatalf("error outside ErrRecord: %v", err)
			}
			return
		}
		if Key(k.ID) != key {
			t.Fatalf("accepted kid %q under key %q", k.ID, key)
		}
		if len(value) > oidc.MaxPublishedKeySize {
			t.Fatalf("accepted a %d-byte record", len(value))
		}
		if _, err := json.Marshal(k); err != nil {
			t.Fatalf("accepted record does not encode: %v", err)
		}
	})
}
