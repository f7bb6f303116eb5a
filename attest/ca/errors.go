package ca

import (
	"errors"
	"fmt"
	"time"

	"github.com/ztci/ztci/internal/x509ca"
)

// Errors. Issue and the HTTP handler return errors wrapping one of
// ErrUnavailable or ErrInvalidRequest (and a finer sentinel).
var (
	// ErrUnavailable: the CA itself cannot issue now.
	ErrUnavailable = errors.New("ca: cannot issue")
	// ErrExpired: the CA's root certificate has expired (see *ValidityError).
	ErrExpired = fmt.Errorf("%w: CA certificate expired", ErrUnavailable)
	// ErrNotYetValid: the CA's root certificate is not valid yet (see *ValidityError).
	ErrNotYetValid = fmt.Errorf("%w: CA certificate not yet valid", ErrUnavailable)

	// ErrInvalidRequest: the request cannot be certified.
	ErrInvalidRequest = errors.New("ca: invalid certificate request")
	// ErrWeakKey: the public key to certify is too weak (RSA < 2048 bits,
	// small curves) or one anyone can sign under (RSA e != 65537 or an even
	// modulus, an ECDSA point off its curve, a small-order Ed25519 point).
	// The same value as attest.ErrWeakKey.
	ErrWeakKey = x509ca.ErrWeakKey
	// ErrUnsupportedKey: the public key is not ECDSA, Ed25519 or RSA, or
	// (for a key to certify) an RSA key of another size than 2048, 3072 or
	// 4096 bits.
	ErrUnsupportedKey = x509ca.ErrUnsupportedKey
	// ErrIdentity: the identity has nothing a certificate can name (no
	// SPIFFE ID, no URI or email subject) or no issuer.
	ErrIdentity = fmt.Errorf("%w: identity cannot be certified", ErrInvalidRequest)
	// ErrSubjectDomain: the identity's subject is a URI whose scheme and
	// host are not those of the subject domain configured for its issuer
	// ([WithSubjectDomain]), or no domain is configured for that issuer.
	ErrSubjectDomain = fmt.Errorf("%w: subject outside its issuer's subject domain", ErrIdentity)
	// ErrEmailUnverified: the identity's subject is an email address that
	// its token does not say is verified ([Token].EmailVerified), or that
	// a plain [Authenticator], which cannot say so, authenticated.
	ErrEmailUnverified = fmt.Errorf("%w: email subject not verified by its issuer", ErrIdentity)
	// ErrTokenValidity: the token gives no expiry, or leaves no whole
	// second in which a certificate could be valid (see [CA.IssueToken]).
	ErrTokenValidity = fmt.Errorf("%w: the token's validity leaves no certificate lifetime", ErrInvalidRequest)
	// ErrProofOfPossession: the signing-certificate request's proof of
	// possession does not verify with its public key, or is a CSR signed
	// over SHA-1.
	ErrProofOfPossession = fmt.Errorf("%w: proof of possession does not verify", ErrInvalidRequest)
	// ErrUnauthenticated: the bearer token was missing or rejected.
	ErrUnauthenticated = fmt.Errorf("%w: unauthenticated", ErrInvalidRequest)

	// ErrExternalKey: the CA signs with a caller's key ([WithSigner]) and
	// cannot rotate it itself.
	ErrExternalKey = errors.New("ca: the key is held by an external signer; rotate it there")
	// ErrConfig: New was given an invalid option.
	ErrConfig = errors.New("ca: invalid configuration")
	// ErrKeyMissing: the [WithDir] directory holds a root or retired roots
	// but no ca.key. New refuses it rather than create a new CA over the
	// roots that existing certificates verify against.
	ErrKeyMissing = x509ca.ErrKeyMissing
	// ErrUnsafeKeyFile: the [WithDir] directory's ca.key is a symbolic
	// link, not a regular file, not owned by the process's user, or
	// readable or writable by group or others.
	ErrUnsafeKeyFile = x509ca.ErrUnsafeKeyFile
)

// ValidityError reports a CA used outside its validity window. It matches
// ErrExpired or ErrNotYetValid.
type ValidityError struct {
	NotBefore, NotAfter, Now time.Time
	expired                  bool
}

func (e *ValidityError) Error() string {
	return fmt.Sprintf("ca: CA certificate valid %s to %s, now %s", e.NotBefore.Format(time.RFC3339), e.NotAfter.Format(time.RFC3339), e.Now.Format(time.RFC3339))
}

// Is matches ErrExpired or ErrNotYetValid, and ErrUnavailable.
func (e *ValidityError) Is(target error) bool {
	if target == ErrUnavailable {
		return true
	}
	if e.expired {
		return target == ErrExpired
	}
	return target == ErrNotYetValid
}
