package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// ErrSigner: a caller-supplied [crypto.Signer] cannot sign job tokens (a key
// type or size the verifier would refuse, an algorithm that does not fit the
// key, or a self-test signature that does not verify under the key it
// claims). It wraps [ErrConfig].
var ErrSigner = fmt.Errorf("%w: unusable signer", ErrConfig)

// signerAlgorithm picks the algorithm for pub: the one explicitly asked for
// (which must fit the key) or the key's natural one (ES256 for P-256,
// ES384 for P-384, ES512 for P-521, EdDSA for Ed25519, PS256 for RSA of at
// least 2048 bits).
func signerAlgorithm(pub crypto.PublicKey, asked Algorithm) (Algorithm, error) {
	algs := algorithmsForKey(pub)
	if len(algs) == 0 {
		return "", fmt.Errorf("%w: key type %T (or its size) is not one the verifier accepts: use P-256, P-384, P-521, Ed25519 or RSA of %d to %d bits", ErrSigner, pub, minRSABits, maxRSABits)
	}
	// The verifier's own key rules (RSA exponent, ROCA) decide, so the
	// issuer never mints with a key its verifiers would refuse.
	raw, err := json.Marshal(jose.JSONWebKey{Key: pub, Use: "sig"})
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrSigner, err)
	}
	if _, _, err := parseVerificationKey(raw); err != nil {
		return "", fmt.Errorf("%w: %s key refused by the verifier's rules: %v", ErrSigner, keyKind(pub), err)
	}
	if asked == "" {
		if slices.Contains(algs, PS256) {
			return PS256, nil
		}
		return algs[0], nil
	}
	if !slices.Contains(algs, asked) {
		return "", fmt.Errorf("%w: algorithm %s does not fit a %s key (it fits %v)", ErrSigner, asked, keyKind(pub), algs)
	}
	return asked, nil
}

func keyKind(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	}
	return fmt.Sprintf("%T", pub)
}

// keyID returns kid, or the RFC 7638 SHA-256 thumbprint of pub when kid is
// empty: stable across restarts for the same key.
func keyID(pub crypto.PublicKey, kid string) (string, error) {
	if kid != "" {
		return kid, nil
	}
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("%w: key thumbprint: %v", ErrSigner, err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// newSignerKey wraps a caller's crypto.Signer as a signing key for alg
// (derived from the key when empty). The private key is used only through
// s.Sign. A self-test signature is made and verified under s.Public() with
// the verifier's own strict rules, so a signer whose Public does not match
// its key, or whose signatures the verifier would refuse, is refused here
// instead of minting tokens nobody can verify.
func newSignerKey(s crypto.Signer, kid string, asked Algorithm) (*signingKey, error) {
	pub := s.Public()
	alg, err := signerAlgorithm(pub, asked)
	if err != nil {
		return nil, err
	}
	if kid, err = keyID(pub, kid); err != nil {
		return nil, err
	}
	os := &opaque{s: s, alg: alg, pub: jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: string(alg), Use: "sig"}}
	probe := []byte("ztci oidc signer self-test")
	sig, err := os.SignPayload(probe, jose.SignatureAlgorithm(alg))
	if err != nil {
		return nil, fmt.Errorf("%w: self-test signature: %v", ErrSigner, err)
	}
	if !verifySignature(alg, pub, probe, sig) {
		return nil, fmt.Errorf("%w: self-test %s signature does not verify under the signer's public key", ErrSigner, alg)
	}
	js, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: os},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSigner, err)
	}
	return &signingKey{alg: alg, signer: js, public: os.pub}, nil
}

// opaque adapts a crypto.Signer to go-jose's OpaqueSigner, producing JWS
// signatures: r||s for ES*, PSS with salt = hash length for PS*.
type opaque struct {
	s   crypto.Signer
	alg Algorithm
	pub jose.JSONWebKey
}

func (o *opaque) Public() *jose.JSONWebKey { pub := o.pub; return &pub }

func (o *opaque) Algs() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{jose.SignatureAlgorithm(o.alg)}
}

func (o *opaque) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	if Algorithm(alg) != o.alg {
		return nil, fmt.Errorf("oidc: signer pinned to %s asked for %s", o.alg, alg)
	}
	if o.alg == EdDSA {
		return o.s.Sign(rand.Reader, payload, crypto.Hash(0))
	}
	h := o.alg.hash()
	hasher := h.New()
	hasher.Write(payload)
	digest := hasher.Sum(nil)
	switch o.alg {
	case ES256, ES384, ES512:
		der, err := o.s.Sign(rand.Reader, digest, h)
		if err != nil {
			return nil, err
		}
		return asn1ToP1363(der, (o.alg.curve().Params().BitSize+7)/8)
	case PS256, PS384, PS512:
		return o.s.Sign(rand.Reader, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h})
	default: // RS*
		return o.s.Sign(rand.Reader, digest, h)
	}
}

var errECDSASignature = errors.New("oidc: signer returned a malformed ECDSA signature")

// asn1ToP1363 turns an ASN.1 ECDSA signature into the fixed-width r||s of
// JWS (RFC 7518 §3.4).
func asn1ToP1363(der []byte, size int) ([]byte, error) {
	var r, s []byte
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() {
		return nil, errECDSASignature
	}
	var ri, si cryptobyte.String
	if !seq.ReadASN1(&ri, asn1.INTEGER) || !seq.ReadASN1(&si, asn1.INTEGER) || !seq.Empty() {
		return nil, errECDSASignature
	}
	r, s = trimInt(ri), trimInt(si)
	if len(r) == 0 || len(s) == 0 || len(r) > size || len(s) > size {
		return nil, errECDSASignature
	}
	out := make([]byte, 2*size)
	copy(out[size-len(r):size], r)
	copy(out[2*size-len(s):], s)
	return out, nil
}

// trimInt drops the leading zero bytes of a non-negative DER integer; a
// negative one (high bit set without a leading zero) yields nil.
func trimInt(b []byte) []byte {
	if len(b) == 0 || b[0]&0x80 != 0 {
		return nil
	}
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}
