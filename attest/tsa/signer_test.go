package tsa_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/ztci/ztci/attest/tsa"
)

// An external key: the TSA stamps with it under the given chain, refuses
// to rotate or persist it, and refuses a chain that is not a timestamping
// chain for that key.
func TestWithSigner(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rootKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := tsa.NewCertificateChain(rsaKey, rootKey, "fleet TSA", time.Now().Add(-2*time.Hour), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour)
	a, err := tsa.New(tsa.WithSigner(rsaKey, chain), tsa.WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := a.Timestamp(t.Context(), query(t, "x", true, 7))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := timestamp.ParseResponse(resp)
	if err != nil || !ts.Certificates[0].Equal(chain[0]) {
		t.Fatalf("token not signed under the given chain: %v", err)
	}
	if err := a.Rotate(); !errors.Is(err, tsa.ErrExternalKey) {
		t.Fatalf("Rotate = %v, want ErrExternalKey", err)
	}

	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherChain, err := tsa.NewCertificateChain(other, other, "other", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string][]tsa.Option{
		"chain of another key":         {tsa.WithSigner(rsaKey, otherChain)},
		"leaf without its root":        {tsa.WithSigner(rsaKey, chain[:1])},
		"root alone":                   {tsa.WithSigner(rsaKey, chain[1:])},
		"unrelated certificate inside": {tsa.WithSigner(rsaKey, []*x509.Certificate{chain[0], otherChain[1], chain[1]})},
		"leaf without timestamping":    {tsa.WithSigner(other, []*x509.Certificate{codeSigningLeaf(t, other, rootKey, chain[1]), chain[1]})},
		"signer that cannot sign":      {tsa.WithSigner(brokenSigner{rsaKey}, chain)},
		"nil signer":                   {tsa.WithSigner(nil, chain)},
		"nil certificate":              {tsa.WithSigner(rsaKey, []*x509.Certificate{chain[0], nil})},
		"signer and directory":         {tsa.WithSigner(rsaKey, chain), tsa.WithDir(t.TempDir())},
		"retired without signer":       {tsa.WithRetiredAuthorities(tsa.Authority{Chain: otherChain, End: time.Now()})},
		"retired without its end":      {tsa.WithSigner(rsaKey, chain), tsa.WithRetiredAuthorities(tsa.Authority{Chain: otherChain})},
	} {
		if a, err := tsa.New(opts...); !errors.Is(err, tsa.ErrConfig) || a != nil {
			t.Errorf("%s: New = %v, %v; want nil, ErrConfig", name, a, err)
		}
	}
	a2, err := tsa.New(tsa.WithSigner(rsaKey, chain), tsa.WithRetiredAuthorities(tsa.Authority{Chain: otherChain, Start: time.Now().Add(-time.Hour), End: time.Now()}))
	if err != nil || len(a2.Authorities()) != 2 {
		t.Fatalf("WithRetiredAuthorities: %v", err)
	}
}

// codeSigningLeaf is a leaf for key certified by root, with the code-signing
// extended key usage instead of timestamping.
func codeSigningLeaf(t *testing.T, key, rootKey crypto.Signer, root *x509.Certificate) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "not a TSA"},
		NotBefore: root.NotBefore, NotAfter: root.NotAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root, key.Public(), rootKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type brokenSigner struct{ crypto.Signer }

func (brokenSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("kms: key disabled")
}
