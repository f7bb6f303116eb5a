package tsa_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/tsa"
)

// review38Cert issues a certificate for pub valid [from, to], signed by
// parent's key (self-signed when parent is nil); a CA unless tsaLeaf, which
// gets the critical timeStamping-only extended key usage.
func review38Cert(t *testing.T, serial int64, pub crypto.PublicKey, parent *x509.Certificate, parentKey crypto.Signer, from, to time.Time, tsaLeaf bool) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: "review38 " + big.NewInt(serial).String()},
		NotBefore:             from,
		NotAfter:              to,
		BasicConstraintsValid: true,
	}
	if tsaLeaf {
		eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
		if err != nil {
			t.Fatal(err)
		}
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}}
	} else {
		tmpl.IsCA, tmpl.KeyUsage = true, x509.KeyUsageCertSign
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func review38Key(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestReview38ChainExpiredAtGenTime: a WithSigner chain whose intermediate
// or root expires before the signing certificate passes New (the chain is
// checked at the leaf's NotBefore), but no token is issued once a
// certificate above the leaf has expired: a verifier checks the whole
// chain at genTime, so such a token verifies nowhere. Timestamp fails with
// ErrUnavailable instead; before the expiry it stamps.
func TestReview38ChainExpiredAtGenTime(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC().Truncate(time.Second)
	from, long, short := now.Add(-3*time.Hour), now.Add(24*time.Hour), now.Add(-time.Hour)
	rootKey, interKey, leafKey := review38Key(t), review38Key(t), review38Key(t)
	tests := []struct {
		name  string
		chain func() []*x509.Certificate
	}{
		{name: "root expires first", chain: func() []*x509.Certificate {
			root := review38Cert(t, 1, rootKey.Public(), nil, rootKey, from, short, false)
			return []*x509.Certificate{review38Cert(t, 2, leafKey.Public(), root, rootKey, from, long, true), root}
		}},
		{name: "intermediate expires first", chain: func() []*x509.Certificate {
			root := review38Cert(t, 1, rootKey.Public(), nil, rootKey, from, long, false)
			inter := review38Cert(t, 3, interKey.Public(), root, rootKey, from, short, false)
			return []*x509.Certificate{review38Cert(t, 2, leafKey.Public(), inter, interKey, from, long, true), inter, root}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			chain := tt.chain()
			for _, c := range []struct {
				at   time.Time
				want error
			}{
				{at: short.Add(-time.Minute)},
				{at: short.Add(time.Minute), want: tsa.ErrUnavailable},
			} {
				a, err := tsa.New(tsa.WithSigner(leafKey, chain), tsa.WithClock(func() time.Time { return c.at }))
				if err != nil {
					t.Fatal(err)
				}
				_, err = a.Timestamp(t.Context(), query(t, "x", true, 1))
				if c.want == nil && err != nil {
					t.Fatalf("at %v: %v", c.at, err)
				}
				if c.want != nil && !errors.Is(err, c.want) {
					t.Fatalf("at %v: err = %v, want %v", c.at, err, c.want)
				}
			}
		})
	}
}
