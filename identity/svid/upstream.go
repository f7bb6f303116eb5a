package svid

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// MaxCAPathLen is the largest path length [WithCAPathLen] accepts: room
// for a downstream SPIFFE server (SPIRE) and one intermediate of its own.
const MaxCAPathLen = 2

// ErrNotExportable: [Issuer.ExportCA] refused to hand out the CA key. It
// comes as an [*ExportError] saying why.
var ErrNotExportable = errors.New("svid: CA key not exportable")

// ExportError reports why [Issuer.ExportCA] refused.
type ExportError struct {
	// KeyType is the Go type of the CA key ("*ecdsa.PrivateKey", or the
	// caller's Signer type).
	KeyType string
	// PathLen is the CA's path length constraint.
	PathLen int
	// Reason says what to change.
	Reason string
}

func (e *ExportError) Error() string {
	return fmt.Sprintf("%v (%s, path length %d): %s", ErrNotExportable, e.KeyType, e.PathLen, e.Reason)
}

func (e *ExportError) Unwrap() error { return ErrNotExportable }

// WithCAPathLen lets the issuer's CA certificate sign n levels of
// intermediate CAs (0 to [MaxCAPathLen]; default 0). The default is the
// least privilege: a CA that can sign only leaves, so neither its key nor
// anything it signs can mint a CA for the trust domain. Raise it only to put
// a downstream SPIFFE server under this CA (SPIRE's "disk"
// UpstreamAuthority, see [Issuer.ExportCA]), which needs 1: with 0, spire-server refuses
// the CA it is handed ("x509: too many intermediates for path length
// constraint"). The SVIDs this issuer signs itself are unchanged.
func WithCAPathLen(n int) Option {
	return func(c *config) error {
		if n < 0 || n > MaxCAPathLen {
			return fmt.Errorf("%w: CA path length %d outside [0, %d]", ErrConfig, n, MaxCAPathLen)
		}
		c.pathLen = n
		return nil
	}
}

// ExportCA returns the CA certificate and its private key (PKCS #8), both
// PEM, for a downstream SPIFFE server to chain under this CA: SPIRE's
// "disk" UpstreamAuthority reads them as cert_file_path and key_file_path
// (no bundle_file_path: the certificate is self-signed). It is the one way
// the CA key leaves the issuer, and it is refused with an [*ExportError]
// ([ErrNotExportable]) unless both hold:
//
//   - the CA may sign intermediates ([WithCAPathLen] of 1 or more): a
//     path-length-0 CA is useless to a downstream CA, and keeping it
//     unexportable keeps the default issuer's key in memory only;
//   - the key is a software key in this process (the issuer's own P-256
//     key, or a [WithCASigner] of type *ecdsa.PrivateKey,
//     ed25519.PrivateKey or *rsa.PrivateKey). Any other crypto.Signer (a
//     KMS or HSM key) has no private key to give.
//
// keyPEM is a secret: write it with mode 0600 where only the downstream
// server reads it, and never log it. Anyone holding it can issue SVIDs for
// the whole trust domain for as long as the CA certificate is valid.
func (i *Issuer) ExportCA() (certPEM, keyPEM []byte, err error) {
	kind := fmt.Sprintf("%T", i.caKey)
	if i.cfg.pathLen == 0 {
		return nil, nil, &ExportError{KeyType: kind, Reason: "the CA has path length 0 and cannot sign a downstream CA: create the issuer WithCAPathLen(1)"}
	}
	switch i.caKey.(type) {
	case *ecdsa.PrivateKey, ed25519.PrivateKey, *rsa.PrivateKey:
	default:
		return nil, nil, &ExportError{KeyType: kind, PathLen: i.cfg.pathLen,
			Reason: "the CA key is a crypto.Signer held outside this process (KMS or HSM): configure the downstream server with that key store instead"}
	}
	der, err := x509.MarshalPKCS8PrivateKey(i.caKey)
	if err != nil {
		return nil, nil, &ExportError{KeyType: kind, PathLen: i.cfg.pathLen, Reason: "PKCS #8 encoding failed: " + err.Error()}
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: i.caCert.Raw})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	return certPEM, keyPEM, nil
}
