package x509ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"testing"
	"time"
)

// lyingSigner reports one public key and signs with another, as a KMS
// client configured with the wrong key id does.
type lyingSigner struct {
	pub  crypto.PublicKey
	sign crypto.Signer
}

func (l lyingSigner) Public() crypto.PublicKey { return l.pub }
func (l lyingSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return l.sign.Sign(r, d, o)
}

type failingSigner struct{ crypto.Signer }

func (failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("kms: permission denied")
}

func TestCheckSigner(t *testing.T) {
	t.Parallel()
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	root := func(k crypto.Signer) *x509.Certificate {
		c, err := NewRoot(k, pkix.Name{CommonName: "t"}, time.Now(), time.Hour, 0)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, k := range []crypto.Signer{p256, p384, ed, rsaKey} {
		if err := CheckSigner(k, root(k)); err != nil {
			t.Errorf("%T: %v", k.Public(), err)
		}
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, tc := range map[string]struct {
		s    crypto.Signer
		cert *x509.Certificate
	}{
		"other key's certificate": {p256, root(other)},
		"signs with another key":  {lyingSigner{pub: p256.Public(), sign: other}, root(p256)},
		"cannot sign":             {failingSigner{p256}, root(p256)},
		"nil signer":              {nil, root(p256)},
		"nil certificate":         {p256, nil},
	} {
		if err := CheckSigner(tc.s, tc.cert); !errors.Is(err, ErrSignerMismatch) {
			t.Errorf("%s: %v, want ErrSignerMismatch", name, err)
		}
	}
}
