package ca_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
)

// An external key: the CA issues with it, publishes the given root, refuses
// to rotate it or persist it, and refuses a root or signer that do not
// belong together.
func TestWithSigner(t *testing.T) {
	t.Parallel()
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	root, err := ca.NewRootCertificate(edKey, "fleet CA", time.Now().Add(-time.Minute), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.New(ca.WithSigner(edKey, root), ca.WithSubjectDomain("https://iss", "https://ci"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Certificate().Equal(root) {
		t.Fatal("the CA does not publish the given root")
	}
	chain, err := c.Issue(t.Context(), key(t).Public(), identity.Identity{Issuer: "https://iss", Subject: "https://ci/wf@refs/heads/main"})
	if err != nil {
		t.Fatal(err)
	}
	if err := chain[0].CheckSignatureFrom(root); err != nil || chain[0].SignatureAlgorithm != x509.PureEd25519 {
		t.Fatalf("leaf not signed by the external Ed25519 key: %v, %v", chain[0].SignatureAlgorithm, err)
	}
	if err := c.Rotate(); !errors.Is(err, ca.ErrExternalKey) {
		t.Fatalf("Rotate = %v, want ErrExternalKey", err)
	}

	other := key(t)
	otherRoot, err := ca.NewRootCertificate(other, "other", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	retired := ca.Root{Cert: otherRoot, Start: time.Now().Add(-time.Hour), End: time.Now()}
	c2, err := ca.New(ca.WithSigner(edKey, root), ca.WithRetiredRoots(retired))
	if err != nil || len(c2.Roots()) != 2 || !c2.Roots()[1].Cert.Equal(otherRoot) {
		t.Fatalf("WithRetiredRoots: %v, %d roots", err, len(c2.Roots()))
	}
	leafOnly := chain[0]
	for name, opts := range map[string][]ca.Option{
		"root of another key":          {ca.WithSigner(edKey, otherRoot)},
		"signer that cannot sign":      {ca.WithSigner(brokenSigner{edKey}, root)},
		"a leaf as root":               {ca.WithSigner(edKey, leafOnly)},
		"nil signer":                   {ca.WithSigner(nil, root)},
		"nil root":                     {ca.WithSigner(edKey, nil)},
		"signer and directory":         {ca.WithSigner(edKey, root), ca.WithDir(t.TempDir())},
		"retired roots without signer": {ca.WithRetiredRoots(retired)},
		"retired root without its end": {ca.WithSigner(edKey, root), ca.WithRetiredRoots(ca.Root{Cert: otherRoot})},
		"weak signer key":              {ca.WithSigner(p224(t), root)},
	} {
		if c, err := ca.New(opts...); !errors.Is(err, ca.ErrConfig) || c != nil {
			t.Errorf("%s: New = %v, %v; want nil, ErrConfig", name, c, err)
		}
	}
	if _, err := ca.NewRootCertificate(p224(t), "weak", time.Now(), time.Hour); !errors.Is(err, ca.ErrConfig) {
		t.Errorf("NewRootCertificate(P-224) = %v, want ErrConfig", err)
	}
}

type brokenSigner struct{ crypto.Signer }

func (brokenSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("kms: key disabled")
}

func p224(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
