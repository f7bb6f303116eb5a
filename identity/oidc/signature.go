package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// verifySignature checks sig over signingInput with pub under alg, strictly:
// ES* signatures must be exactly 2·len(n) bytes of r||s (RFC 7518 §3.4), and
// PS* signatures must use a salt as long as the hash (RFC 7518 §3.5), which
// the standard library and go-jose would otherwise auto-detect. The caller
// has already checked that alg is allowed for pub.
func verifySignature(alg Algorithm, pub crypto.PublicKey, signingInput, sig []byte) bool {
	if alg == EdDSA {
		k, ok := pub.(ed25519.PublicKey)
		return ok && len(k) == ed25519.PublicKeySize && ed25519.Verify(k, signingInput, sig)
	}
	h := alg.hash()
	if h == 0 {
		return false
	}
	hasher := h.New()
	hasher.Write(signingInput)
	var buf [64]byte
	digest := hasher.Sum(buf[:0])
	switch alg {
	case ES256, ES384, ES512:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || k.Curve != alg.curve() {
			return false
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return false
		}
		der, ok := p1363ToASN1(sig[:size], sig[size:])
		return ok && ecdsa.VerifyASN1(k, digest, der)
	case RS256, RS384, RS512:
		k, ok := pub.(*rsa.PublicKey)
		return ok && rsaSizeOK(k) && rsa.VerifyPKCS1v15(k, h, digest, sig) == nil
	case PS256, PS384, PS512:
		k, ok := pub.(*rsa.PublicKey)
		return ok && rsaSizeOK(k) &&
			rsa.VerifyPSS(k, h, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}) == nil
	}
	return false
}

// p1363ToASN1 re-encodes the fixed-width r and s of a JWS ECDSA signature as
// the DER SEQUENCE the standard library verifies (zero values are encoded
// and then refused by the verifier).
func p1363ToASN1(r, s []byte) ([]byte, bool) {
	// SEQUENCE and two INTEGERs: at most 3 headers of 3 bytes and 2 sign bytes.
	b := cryptobyte.NewBuilder(make([]byte, 0, len(r)+len(s)+11))
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addASN1Unsigned(b, r)
		addASN1Unsigned(b, s)
	})
	der, err := b.Bytes()
	return der, err == nil
}

// addASN1Unsigned appends a non-negative big-endian integer as a minimal
// DER INTEGER.
func addASN1Unsigned(b *cryptobyte.Builder, n []byte) {
	b.AddASN1(asn1.INTEGER, func(b *cryptobyte.Builder) {
		for len(n) > 1 && n[0] == 0 {
			n = n[1:]
		}
		if len(n) > 0 && n[0]&0x80 != 0 {
			b.AddUint8(0)
		}
		b.AddBytes(n)
	})
}

// rsaSizeOK reports whether k's modulus is within [minRSABits, maxRSABits].
func rsaSizeOK(k *rsa.PublicKey) bool {
	b := k.N.BitLen()
	return b >= minRSABits && b <= maxRSABits
}
