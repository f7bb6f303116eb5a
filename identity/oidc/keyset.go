package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/go-jose/go-jose/v4"
	"github.com/titanous/rocacheck"
	"github.com/ztci/ztci/internal/clip"
)

// maxKeys bounds how many keys a JWKS may hold.
const maxKeys = 64

// verificationKey is a public key and the algorithms it may verify.
type verificationKey struct {
	id   string
	pub  crypto.PublicKey
	algs []Algorithm
}

func (k *verificationKey) allows(a Algorithm) bool { return slices.Contains(k.algs, a) }

// KeySet is an issuer's verification keys, parsed from a JWKS with the
// verifier's rules: a set that holds any private or secret key material
// (a private key, or a symmetric key) is refused whole ([ErrPrivateKey]);
// only asymmetric signature keys (RSA of 2048 to 8192
// bits with an odd exponent >= 3 and not ROCA-vulnerable, P-256/P-384/P-521, Ed25519); a key's "alg", "use" and "key_ops"
// members narrow what it may verify; keys that may verify nothing are
// dropped; duplicate key ids make the whole set invalid. A KeySet is
// immutable and safe for concurrent use.
type KeySet struct {
	byID map[string]*verificationKey
	keys []*verificationKey
}

// registeredJWK are the member names of a JWK Set and its keys (RFC 7517
// §4, §5; RFC 7518 §6) spelt case-sensitively.
var registeredJWK = [...]string{"keys", "kty", "use", "key_ops", "alg", "kid", "x5u", "x5c", "x5t", "x5t#S256",
	"crv", "x", "y", "d", "n", "e", "p", "q", "dp", "dq", "qi", "oth", "r", "t", "k"}

// ParseKeySet parses a JWKS document (RFC 7517 §5). A document with a
// repeated member, member names differing only in case, or a registered
// member name in another case is refused with [ErrAmbiguousJSON].
func ParseKeySet(jwks []byte) (*KeySet, error) {
	// go-jose reads a key's members case-sensitively and encoding/json
	// (kid, key_ops, the keys array) does not: refuse any document the two
	// could read differently before either sees it.
	if err := strict(jwks, registeredJWK[:]...); err != nil {
		return nil, fmt.Errorf("%w: JWKS: %w", ErrKeySet, err)
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &doc); err != nil {
		return nil, fmt.Errorf("%w: JWKS: %v", ErrKeySet, clip.Error(err, maxQuoted))
	}
	if len(doc.Keys) > maxKeys {
		return nil, fmt.Errorf("%w: JWKS has %d keys, more than %d", ErrKeySet, len(doc.Keys), maxKeys)
	}
	ks := &KeySet{byID: map[string]*verificationKey{}}
	seen := map[string]bool{}
	for i, raw := range doc.Keys {
		if err := checkNoPrivate(raw); err != nil {
			return nil, fmt.Errorf("%w: key %d: %w", ErrPrivateKey, i, err)
		}
		k, kid, err := parseVerificationKey(raw)
		if kid != "" {
			if seen[kid] {
				return nil, fmt.Errorf("%w: JWKS has duplicate kid %s", ErrKeySet, clip.Quote(kid, maxQuoted))
			}
			seen[kid] = true
		}
		if err != nil {
			continue // unusable key (encryption-only, unknown type): skip it
		}
		ks.keys = append(ks.keys, k)
		if k.id != "" {
			ks.byID[k.id] = k
		}
	}
	if len(ks.keys) == 0 {
		return nil, fmt.Errorf("%w: JWKS has no usable signature key", ErrKeySet)
	}
	return ks, nil
}

// privateMembers are the JWK members that hold private or secret key
// material (RFC 7518 §6.2.2, §6.3.2 and §6.4, RFC 8037 §2).
var privateMembers = [...]string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// checkNoPrivate refuses a JWK that holds any private member, whatever its
// value or key type. It reads the raw members rather than go-jose's result:
// go-jose reads an RSA key without "d" as public however many of p, q and
// the CRT values it carries (any of which factors the modulus), and skips
// members a key type does not use. The error names the member, never its
// value. A raw key that is not an object passes: the key parser refuses it.
func checkNoPrivate(raw json.RawMessage) error {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	for _, name := range privateMembers {
		if _, ok := m[name]; ok {
			var meta struct {
				Kid string `json:"kid"`
			}
			_ = json.Unmarshal(raw, &meta)
			return fmt.Errorf("kid %s holds the private member %s", clip.Quote(meta.Kid, maxQuoted), name)
		}
	}
	return nil
}

func parseVerificationKey(raw json.RawMessage) (*verificationKey, string, error) {
	var meta struct {
		Kid    string   `json:"kid"`
		KeyOps []string `json:"key_ops"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, "", err
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return nil, meta.Kid, err
	}
	if jwk.Use != "" && jwk.Use != "sig" {
		return nil, meta.Kid, fmt.Errorf("key use %q", jwk.Use)
	}
	if meta.KeyOps != nil && !slices.Contains(meta.KeyOps, "verify") {
		return nil, meta.Kid, fmt.Errorf("key_ops %v lack verify", meta.KeyOps)
	}
	pub := publicOf(jwk.Key)
	if rk, ok := pub.(*rsa.PublicKey); ok && (rk.E < 3 || rk.E%2 == 0 || rocacheck.IsWeak(rk)) {
		return nil, meta.Kid, fmt.Errorf("weak RSA key (bad exponent or ROCA-vulnerable)")
	}
	algs := algorithmsForKey(pub)
	if jwk.Algorithm != "" {
		a := Algorithm(jwk.Algorithm)
		if !slices.Contains(algs, a) {
			return nil, meta.Kid, fmt.Errorf("key alg %q does not fit the key", jwk.Algorithm)
		}
		algs = []Algorithm{a}
	}
	if len(algs) == 0 {
		return nil, meta.Kid, fmt.Errorf("unsupported key")
	}
	return &verificationKey{id: meta.Kid, pub: pub, algs: algs}, meta.Kid, nil
}

// publicOf returns k when it is an asymmetric public key, else nil: a
// private key never becomes a verification key (checkNoPrivate refuses its
// JWK first).
func publicOf(k any) crypto.PublicKey {
	switch k := k.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
		return k
	}
	return nil
}

// Len returns the number of usable keys.
func (ks *KeySet) Len() int {
	if ks == nil {
		return 0
	}
	return len(ks.keys)
}

// lookup returns the key for kid. A token without kid matches only when the
// set holds exactly one key.
func (ks *KeySet) lookup(kid string) *verificationKey {
	if kid == "" {
		if len(ks.keys) == 1 {
			return ks.keys[0]
		}
		return nil
	}
	return ks.byID[kid]
}
