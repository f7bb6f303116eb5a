package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
)

// Algorithm is a JWS signature algorithm the issuer can sign with and the
// verifier can accept. There are deliberately no "none" or HMAC algorithms.
type Algorithm string

// Supported algorithms.
const (
	ES256 Algorithm = "ES256"
	ES384 Algorithm = "ES384"
	ES512 Algorithm = "ES512"
	EdDSA Algorithm = "EdDSA"
	RS256 Algorithm = "RS256"
	RS384 Algorithm = "RS384"
	RS512 Algorithm = "RS512"
	PS256 Algorithm = "PS256"
	PS384 Algorithm = "PS384"
	PS512 Algorithm = "PS512"
)

var allAlgorithms = []Algorithm{ES256, ES384, ES512, EdDSA, RS256, RS384, RS512, PS256, PS384, PS512}

func (a Algorithm) valid() bool {
	switch a {
	case ES256, ES384, ES512, EdDSA, RS256, RS384, RS512, PS256, PS384, PS512:
		return true
	}
	return false
}

func (a Algorithm) hash() crypto.Hash {
	switch a {
	case ES256, RS256, PS256:
		return crypto.SHA256
	case ES384, RS384, PS384:
		return crypto.SHA384
	case ES512, RS512, PS512:
		return crypto.SHA512
	}
	return 0
}

// curve returns the curve an ECDSA algorithm requires.
func (a Algorithm) curve() elliptic.Curve {
	switch a {
	case ES256:
		return elliptic.P256()
	case ES384:
		return elliptic.P384()
	case ES512:
		return elliptic.P521()
	}
	return nil
}

// minRSABits is the smallest RSA modulus accepted or generated.
const minRSABits = 2048

// maxRSABits is the largest RSA modulus accepted: the standard library
// sets no bound, and a verification's cost grows with the cube of the
// modulus size, chosen by whoever publishes the key.
const maxRSABits = 8192

// algorithmsForKey returns the algorithms a public key may verify, before
// any "alg" pin: an EC key its curve's ES*, Ed25519 EdDSA, RSA (2048 to 8192 bits)
// RS* and PS*. Anything else (including symmetric keys) gets none.
func algorithmsForKey(pub crypto.PublicKey) []Algorithm {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return []Algorithm{ES256}
		case elliptic.P384():
			return []Algorithm{ES384}
		case elliptic.P521():
			return []Algorithm{ES512}
		}
	case ed25519.PublicKey:
		return []Algorithm{EdDSA}
	case *rsa.PublicKey:
		if b := k.N.BitLen(); b >= minRSABits && b <= maxRSABits {
			return []Algorithm{RS256, RS384, RS512, PS256, PS384, PS512}
		}
	}
	return nil
}
