package x509ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
)

// ErrSignerMismatch: an external signer does not hold the key of the
// certificate it was given with, or cannot sign.
var ErrSignerMismatch = errors.New("signer does not match its certificate")

// CheckSigner verifies that s signs for cert: cert's public key is
// s.Public(), and a signature s makes now over a fresh challenge verifies
// under cert's key. The signature is made the way certificates and
// timestamps are signed with that kind of key (ECDSA and RSA PKCS #1 v1.5
// over SHA-256, Ed25519 over the message), so a KMS key of the wrong kind,
// a revoked KMS key or a permission missing fails here, at startup, rather
// than on the first job.
func CheckSigner(s crypto.Signer, cert *x509.Certificate) error {
	if s == nil || cert == nil {
		return fmt.Errorf("%w: nil signer or certificate", ErrSignerMismatch)
	}
	pub := s.Public()
	if err := CheckKey(pub); err != nil {
		return err
	}
	if !publicKeysEqual(pub, cert.PublicKey) {
		return fmt.Errorf("%w: the signer's public key is not the certificate's (subject %q)", ErrSignerMismatch, cert.Subject.CommonName)
	}
	challenge := make([]byte, 32)
	if _, err := rand.Read(challenge); err != nil {
		return err
	}
	digest := sha256.Sum256(challenge)
	var (
		sig []byte
		err error
		ok  bool
	)
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if sig, err = s.Sign(rand.Reader, digest[:], crypto.SHA256); err == nil {
			ok = ecdsa.VerifyASN1(k, digest[:], sig)
		}
	case *rsa.PublicKey:
		if sig, err = s.Sign(rand.Reader, digest[:], crypto.SHA256); err == nil {
			ok = rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig) == nil
		}
	case ed25519.PublicKey:
		if sig, err = s.Sign(rand.Reader, challenge, crypto.Hash(0)); err == nil {
			ok = ed25519.Verify(k, challenge, sig)
		}
	}
	if err != nil {
		return fmt.Errorf("%w: test signature: %w", ErrSignerMismatch, err)
	}
	if !ok {
		return fmt.Errorf("%w: the signer's test signature does not verify under the certificate's key", ErrSignerMismatch)
	}
	return nil
}
