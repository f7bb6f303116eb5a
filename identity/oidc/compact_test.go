package oidc

import (
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// The issuer joins go-jose's signature with the header segment go-jose
// serialized once per key; the result must be byte for byte what go-jose's
// CompactSerialize writes, and go-jose must parse and verify minted tokens.
func TestCompactMatchesGoJOSE(t *testing.T) {
	t.Parallel()
	for _, alg := range []Algorithm{ES256, ES384, ES512, EdDSA} {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			k, err := newSigningKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			payload := []byte(`{"iss":"https://ci.test","sub":"s","aud":["a"],"exp":1}`)
			sig, err := k.signer.Sign(payload)
			if err != nil {
				t.Fatal(err)
			}
			want, err := sig.CompactSerialize()
			if err != nil {
				t.Fatal(err)
			}
			got, err := k.compact(sig, payload)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("compact = %q, go-jose CompactSerialize = %q", got, want)
			}

			iss, err := NewIssuer("https://ci.test", WithAlgorithm(alg))
			if err != nil {
				t.Fatal(err)
			}
			tok, err := iss.Mint(t.Context(), testJob, "aud")
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := jose.ParseSigned(tok.Reveal(), []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if err != nil {
				t.Fatalf("go-jose cannot parse a minted token: %v", err)
			}
			h := parsed.Signatures[0].Protected
			if h.Algorithm != string(alg) || h.KeyID != iss.active.public.KeyID || h.ExtraHeaders["typ"] != "JWT" {
				t.Fatalf("minted header = alg %q kid %q typ %v, want %s, %s, JWT", h.Algorithm, h.KeyID, h.ExtraHeaders["typ"], alg, iss.active.public.KeyID)
			}
			if _, err := parsed.Verify(iss.active.public); err != nil {
				t.Fatalf("go-jose does not verify a minted token: %v", err)
			}
		})
	}
}
