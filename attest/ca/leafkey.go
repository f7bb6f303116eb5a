package ca

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"

	"github.com/ztci/ztci/internal/x509ca"
)

// rsaExponent is the only RSA public exponent certified: the one Go,
// OpenSSL and every KMS generate, and the one Let's Encrypt's key policy
// (which Fulcio applied until it relied on the proof alone) requires.
const rsaExponent = 65537

// checkLeafKey accepts the public keys a certificate is issued for:
// x509ca.CheckKey's, with RSA moduli of 2048, 3072 or 4096 bits only, the
// sizes Fulcio certifies and sigstore-go verifies with. A larger modulus
// certified nothing any Sigstore verifier reads, yet cost the CA a proof
// check per request that grows with its square: a 64 KiB request carries
// a modulus of some 190,000 bits and seconds of CPU, for any token holder.
// The handler checks it before verifying any signature with the key.
//
// Beyond size, a key under which anyone can sign is refused (ErrWeakKey):
// [CA.Issue] certifies the key it is given without a proof, and a
// certificate for such a key names its identity on signatures nobody
// needed a private key to make.
func checkLeafKey(pub crypto.PublicKey) error {
	if err := x509ca.CheckKey(pub); err != nil {
		return err
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return checkRSA(k)
	case *ecdsa.PublicKey:
		// ECDH validates the point: on the curve, not the identity. A key
		// built in code (not parsed) may be neither.
		if _, err := k.ECDH(); err != nil {
			return fmt.Errorf("%w: ECDSA public key is not a point of its curve", ErrWeakKey)
		}
	case ed25519.PublicKey:
		if smallOrderEd25519(k) {
			return fmt.Errorf("%w: Ed25519 public key is a point of small order", ErrWeakKey)
		}
	}
	return nil
}

// checkRSA refuses moduli of other sizes than Sigstore's and keys whose
// parameters break RSA: an exponent of 1 makes every value its own
// signature; an even exponent or modulus has no private key (or a
// trivially factored one); small exponents such as 3 invite the forgeries
// sloppy PKCS #1 v1.5 verifiers allow. Only 65537 is certified.
func checkRSA(k *rsa.PublicKey) error {
	switch k.Size() * 8 {
	case 2048, 3072, 4096:
	default:
		return fmt.Errorf("%w: RSA-%d, only 2048, 3072 or 4096 bits are certified", ErrUnsupportedKey, k.N.BitLen())
	}
	if k.E != rsaExponent {
		return fmt.Errorf("%w: RSA public exponent %d, only %d is certified", ErrWeakKey, k.E, rsaExponent)
	}
	if k.N.Bit(0) == 0 {
		return fmt.Errorf("%w: RSA modulus is even", ErrWeakKey)
	}
	return nil
}

// ed25519SmallOrder lists the encodings of the points of order 1, 2, 4
// and 8 (the y coordinate, with non-canonical y+p forms; the sign bit is
// masked off before comparing). Under such a key, R = [S]B with any S is
// a valid signature on a share of all messages (on every message for the
// identity), and crypto/ed25519 verifies them: Go follows RFC 8032, which
// does not refuse these keys. The list is libsodium's (has_small_order).
var ed25519SmallOrder = [][ed25519.PublicKeySize]byte{
	{0x00}, // y = 0, order 4
	{0x01}, // y = 1, the identity
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05}, // order 8
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a}, // order 8
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, // y = p-1, order 2
	{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, // y = p (0), order 4
	{0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, // y = p+1 (1), the identity
}

func smallOrderEd25519(k ed25519.PublicKey) bool {
	var y [ed25519.PublicKeySize]byte
	copy(y[:], k)
	y[len(y)-1] &= 0x7f
	for _, bad := range ed25519SmallOrder {
		if bytes.Equal(y[:], bad[:]) {
			return true
		}
	}
	return false
}
