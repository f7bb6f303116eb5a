package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Wycheproof primitive vectors run through verifySignature, the verifier's
// only signature path. Expectations come from the data ("result"), with the
// deviations below, each a deliberate JWS rule.

type wpFile struct {
	TestGroups []struct {
		Type         string          `json:"type"`
		SHA          string          `json:"sha"`
		MGFSha       string          `json:"mgfSha"`
		SLen         *int            `json:"sLen"`
		PublicKeyDer string          `json:"publicKeyDer"`
		PublicKey    json.RawMessage `json:"publicKey"`
		Tests        []struct {
			TcID    int      `json:"tcId"`
			Comment string   `json:"comment"`
			Msg     string   `json:"msg"`
			Sig     string   `json:"sig"`
			Result  string   `json:"result"`
			Flags   []string `json:"flags"`
		} `json:"tests"`
	} `json:"testGroups"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func algFor(t *testing.T, typ, sha string, pub crypto.PublicKey) Algorithm {
	t.Helper()
	n := map[string]string{"SHA-256": "256", "SHA-384": "384", "SHA-512": "512"}[sha]
	switch {
	case strings.HasPrefix(typ, "Ecdsa"):
		return Algorithm("ES" + n)
	case typ == "EddsaVerify":
		return EdDSA
	case typ == "RsassaPkcs1Verify":
		return Algorithm("RS" + n)
	case typ == "RsassaPssVerify":
		return Algorithm("PS" + n)
	}
	t.Fatalf("unknown group type %s", typ)
	return ""
}

// derToP1363 re-encodes a strictly DER-encoded ECDSA signature as the fixed
// width r||s that JWS uses; it fails when r or s does not fit.
func derToP1363(der []byte, size int) ([]byte, bool) {
	var r, s []byte
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	var rb, sb big.Int
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() || !seq.ReadASN1Integer(&rb) || !seq.ReadASN1Integer(&sb) || !seq.Empty() {
		return nil, false
	}
	if rb.Sign() < 0 || sb.Sign() < 0 {
		return nil, false
	}
	r, s = rb.Bytes(), sb.Bytes()
	if len(r) > size || len(s) > size {
		return nil, false
	}
	out := make([]byte, 2*size)
	copy(out[size-len(r):size], r)
	copy(out[2*size-len(s):], s)
	return out, true
}

// jwsSaltExceptions lists cases of a non-JWS salt-length group whose
// signature happens to use salt length == hash length: the vector calls it
// invalid relative to the group's sLen, but under RFC 7518 §3.5 it is a
// correct PS256 signature, so the JWS path must accept it.
var jwsSaltExceptions = map[string]map[int]bool{
	"rsa_pss_2048_sha256_mgf1_0_test.json": {69: true}, // "s_len changed to 32"
}

func TestWycheproofSignatures(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/wycheproof/*_test.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasPrefix(name, "json_web") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var wf wpFile
			readJSON(t, f, &wf)
			der := strings.HasPrefix(name, "ecdsa") && !strings.Contains(name, "p1363")
			counts := map[string]int{}
			for _, g := range wf.TestGroups {
				pub, err := x509.ParsePKIXPublicKey(mustHex(t, g.PublicKeyDer))
				if err != nil {
					t.Fatalf("group key: %v", err)
				}
				alg := algFor(t, g.Type, g.SHA, pub)
				// RFC 7518 §3.5: PS* salt length equals the hash length. A group
				// with another salt length must never verify through the JWS path.
				saltMismatch := g.Type == "RsassaPssVerify" && *g.SLen != alg.hash().Size()
				if g.MGFSha != "" && g.MGFSha != g.SHA {
					t.Fatalf("group MGF hash %s differs from %s: not a JWS case", g.MGFSha, g.SHA)
				}
				for _, tc := range g.Tests {
					msg, sig := mustHex(t, tc.Msg), mustHex(t, tc.Sig)
					want := tc.Result
					if der {
						// JWS signatures are raw r||s: a DER signature must never
						// verify as-is (format confusion) ...
						if verifySignature(alg, pub, msg, sig) {
							t.Errorf("tc %d (%s): DER signature accepted as a JWS signature", tc.TcID, tc.Comment)
						}
						// ... and, re-encoded, must be decided as the vector says.
						// Cases whose flaw is only in the DER encoding have no JWS
						// equivalent and are skipped.
						p, ok := derToP1363(sig, (pub.(*ecdsa.PublicKey).Curve.Params().BitSize+7)/8)
						if !ok {
							counts["der-only"]++
							continue
						}
						sig = p
					}
					if saltMismatch {
						want = "invalid"
						if jwsSaltExceptions[name][tc.TcID] {
							want = "valid"
						}
					}
					got := verifySignature(alg, pub, msg, sig)
					switch {
					case want == "acceptable":
						counts["acceptable"]++
					case got != (want == "valid"):
						t.Errorf("tc %d (%s, %v): accepted=%v, want %s", tc.TcID, tc.Comment, tc.Flags, got, want)
					default:
						counts[want]++
					}
				}
			}
			t.Logf("%s: %v", name, counts)
		})
	}
}

// JWS policy: "valid" Wycheproof and RFC 7520 cases the verifier refuses on
// purpose. Each is a rule of the verifier, not a gap.
var jwsPolicyRejects = map[string]map[int]string{
	"json_web_signature_test.json": {
		1: "HMAC is never accepted (no shared-secret job tokens)", 348: "HMAC", 352: "HMAC",
		357: "HMAC", 358: "HMAC", 359: "HMAC", 376: "HMAC", 377: "HMAC",
		// Wycheproof calls these valid; go-jose rejects them too (vectors README §3):
		// a '?' inside a segment is not base64url, and strict parsing refuses it.
		372: "non-base64url character in header", 373: "non-base64url character in payload",
		// RFC 7520 figures whose key pins an unregistered "ES521" (ES512 is meant):
		// a key's alg member pins it, and ES521 is not an algorithm.
		347: `key alg "ES521" is not registered`, 351: `key alg "ES521" is not registered`,
		// RFC 7520 figure 20 signed with PS384 by a key whose alg member says
		// PS256: the per-key pin refuses the other algorithm (vectors README §3).
		346: "key alg pins PS256, token uses PS384", 350: "key alg pins PS256, token uses PS384",
	},
	"json_web_key_test.json": {
		2: "HMAC key set", 13: "HMAC", 14: "HMAC", 15: "HMAC",
	},
}

type jwsFile struct {
	TestGroups []struct {
		Comment string          `json:"comment"`
		Public  json.RawMessage `json:"public"`
		Private json.RawMessage `json:"private"`
		Tests   []struct {
			TcID    int             `json:"tcId"`
			Comment string          `json:"comment"`
			JWS     json.RawMessage `json:"jws"`
			Result  string          `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// jwksOf wraps a JWK or JWK set as a JWKS.
func jwksOf(key json.RawMessage) []byte {
	var probe struct {
		Keys json.RawMessage `json:"keys"`
	}
	if json.Unmarshal(key, &probe) == nil && probe.Keys != nil {
		return key
	}
	return []byte(`{"keys":[` + string(key) + `]}`)
}

// TestWycheproofJOSE runs the Wycheproof JWS and JWK sets through the
// verifier's JWS layer (strict parsing, header policy, key selection from the
// group's JWKS, signature). The claim checks are not involved: the payloads
// are not JWT claims.
func TestWycheproofJOSE(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"json_web_signature_test.json", "json_web_key_test.json"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var f jwsFile
			readJSON(t, filepath.Join("testdata/wycheproof", name), &f)
			counts := map[string]int{}
			for _, g := range f.TestGroups {
				key := g.Public
				if key == nil {
					key = g.Private
				}
				ks, ksErr := ParseKeySet(jwksOf(key))
				for _, tc := range g.Tests {
					var compact string
					if err := json.Unmarshal(tc.JWS, &compact); err != nil {
						compact = string(tc.JWS) // JSON serialization: never accepted
					}
					accepted := false
					if ksErr == nil {
						v, err := NewVerifier("https://issuer.test", "aud", WithKeySet(ks))
						if err != nil {
							t.Fatal(err)
						}
						_, err = v.verifySignature(t.Context(), compact)
						accepted = err == nil
						if err != nil && !errors.Is(err, ErrInvalidToken) {
							t.Errorf("tc %d: error %v does not wrap ErrInvalidToken", tc.TcID, err)
						}
					}
					want := tc.Result
					if why, ok := jwsPolicyRejects[name][tc.TcID]; ok {
						if accepted {
							t.Errorf("tc %d (%s): accepted, want policy rejection: %s", tc.TcID, tc.Comment, why)
						}
						counts["policy-reject"]++
						continue
					}
					switch {
					case want == "acceptable":
						counts["acceptable"]++
					case accepted != (want == "valid"):
						t.Errorf("tc %d (%s/%s): accepted=%v, want %s (key set error: %v)", tc.TcID, g.Comment, tc.Comment, accepted, want, ksErr)
					default:
						counts[want]++
					}
				}
			}
			t.Logf("%s: %v", name, counts)
		})
	}
}

// TestRFC7520Cookbook verifies the RFC 7520 §4 compact examples with the key
// from each example. HMAC (§4.4) is refused by policy; every other example
// must verify, and must fail once a payload byte changes.
func TestRFC7520Cookbook(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		file   string
		accept bool
	}{
		{name: "RS256", file: "4_1.rsa_v15_signature.json", accept: true},
		{name: "PS384", file: "4_2.rsa-pss_signature.json", accept: true},
		{name: "ES512", file: "4_3.ecdsa_signature.json", accept: true},
		{name: "HS256 refused", file: "4_4.hmac-sha2_integrity_protection.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ex struct {
				Input struct {
					Key json.RawMessage `json:"key"`
				} `json:"input"`
				Output struct {
					Compact string `json:"compact"`
				} `json:"output"`
			}
			readJSON(t, filepath.Join("testdata/jose-cookbook/jws", tc.file), &ex)
			ks, err := ParseKeySet(jwksOf(publicHalf(t, ex.Input.Key)))
			if !tc.accept {
				if err == nil {
					t.Fatal("HMAC key accepted into a key set")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v, err := NewVerifier("https://issuer.test", "aud", WithKeySet(ks))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.verifySignature(t.Context(), ex.Output.Compact); err != nil {
				t.Fatalf("RFC 7520 example rejected: %v", err)
			}
			h, rest, _ := strings.Cut(ex.Output.Compact, ".")
			tampered := h + ".A" + rest[1:]
			if _, err := v.verifySignature(t.Context(), tampered); !errors.Is(err, ErrSignature) {
				t.Fatalf("tampered example: err = %v, want ErrSignature", err)
			}
		})
	}
}

// publicHalf drops the private members of a JWK, as an issuer publishes it
// (a symmetric key keeps its "k": it has no public half).
func publicHalf(t *testing.T, key json.RawMessage) json.RawMessage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(key, &m); err != nil {
		t.Fatal(err)
	}
	if m["kty"] != "oct" {
		for _, name := range privateMembers {
			delete(m, name)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRFC7520Keys parses the RFC 7520 §3 keys: the public EC and RSA keys
// give usable verification keys; the private and symmetric ones never do
// (a JWKS holding one is refused whole).
func TestRFC7520Keys(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/jose-cookbook/jwk/*.json")
	if len(files) != 6 {
		t.Fatalf("found %d cookbook keys, want 6", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ParseKeySet(jwksOf(b))
			refused := strings.Contains(f, "symmetric") || strings.Contains(f, "private")
			if refused != (err != nil) {
				t.Fatalf("ParseKeySet err = %v, want refused = %v", err, refused)
			}
			if refused && !errors.Is(err, ErrPrivateKey) {
				t.Fatalf("ParseKeySet err = %v, want ErrPrivateKey", err)
			}
		})
	}
}
