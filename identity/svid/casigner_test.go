package svid_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/ztci/ztci/identity/svid"
)

// kms stands for a KMS-held CA key: only Public and Sign.
type kms struct{ key crypto.Signer }

func (k kms) Public() crypto.PublicKey { return k.key.Public() }
func (k kms) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return k.key.Sign(r, d, o)
}

// otherPublic signs with one key and claims another.
type otherPublic struct{ crypto.Signer }

func (o otherPublic) Public() crypto.PublicKey {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return k.Public()
}

func caKey(t *testing.T, kind string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch kind {
	case "P-256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "P-384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "P-521":
		k, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "Ed25519":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	case "RSA-2048":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "RSA-1024":
		k, err = rsa.GenerateKey(rand.Reader, 1024)
	}
	if err != nil || k == nil {
		t.Fatalf("%s: %v", kind, err)
	}
	return k
}

func TestCASignerAlgorithms(t *testing.T) {
	t.Parallel()
	id := spiffeid.RequireFromPath(td, "/ci/job/1")
	for _, tc := range []struct {
		kind string
		want x509.SignatureAlgorithm
	}{
		{"P-256", x509.ECDSAWithSHA256},
		{"P-384", x509.ECDSAWithSHA384},
		{"Ed25519", x509.PureEd25519},
		{"RSA-2048", x509.SHA256WithRSAPSS},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			signer := kms{caKey(t, tc.kind)}
			iss, err := svid.NewIssuer(td, svid.WithCASigner(signer))
			if err != nil {
				t.Fatal(err)
			}
			s, err := iss.X509SVID(t.Context(), id, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Certificates[0].SignatureAlgorithm; got != tc.want {
				t.Errorf("leaf signed with %v, want %v", got, tc.want)
			}
			if got, _, err := x509svid.Verify(s.Certificates, iss); err != nil || got != id {
				t.Errorf("verify: %v, %v", got, err)
			}
			// A restart with the same Signer: the old SVID chains to the
			// new CA certificate.
			again, err := svid.NewIssuer(td, svid.WithCASigner(signer))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := x509svid.Verify(s.Certificates, again); err != nil {
				t.Errorf("SVID from before the restart: %v", err)
			}
		})
	}
}

func TestCASignerRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		signer func(t *testing.T) crypto.Signer
	}{
		{"P-521", func(t *testing.T) crypto.Signer { return caKey(t, "P-521") }},
		{"RSA-1024", func(t *testing.T) crypto.Signer { return caKey(t, "RSA-1024") }},
		{"Public does not match the key", func(t *testing.T) crypto.Signer { return otherPublic{caKey(t, "P-256")} }},
		{"nil", func(*testing.T) crypto.Signer { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := svid.NewIssuer(td, svid.WithCASigner(tc.signer(t))); !errors.Is(err, svid.ErrConfig) {
				t.Errorf("err = %v, want ErrConfig", err)
			}
		})
	}
}
