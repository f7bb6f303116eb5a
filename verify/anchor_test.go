package verify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	sgca "github.com/sigstore/sigstore-go/pkg/testing/ca"

	"github.com/ztci/ztci/verify"
)

type certSpec struct {
	name       string
	ca         bool
	maxPathLen int // -1: unset
	notBefore  time.Time
	notAfter   time.Time
	eku        []x509.ExtKeyUsage
	permitted  []string // permitted DNS domains (name constraints)
	emails     []string
}

func mkCert(t *testing.T, spec certSpec, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: spec.name},
		NotBefore:             spec.notBefore,
		NotAfter:              spec.notAfter,
		BasicConstraintsValid: true,
		IsCA:                  spec.ca,
		ExtKeyUsage:           spec.eku,
		PermittedDNSDomains:   spec.permitted,
		EmailAddresses:        spec.emails,
	}
	if spec.ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign
		tmpl.MaxPathLen = spec.maxPathLen
		tmpl.MaxPathLenZero = spec.maxPathLen == 0
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

// TestAnchoredChainsAgreeWithX509 builds chain shapes where verifying the
// leaf against the intermediate alone would be wrong (path length, name
// constraints, extended key usage, an intermediate that outlives its root),
// and checks that the memoizing CA agrees with sigstore-go's plain CA at
// times around every validity boundary, cold and after memo hits.
func TestAnchoredChainsAgreeWithX509(t *testing.T) {
	t.Parallel()
	now := time.Now().Truncate(time.Second)
	h := func(n int) time.Time { return now.Add(time.Duration(n) * time.Hour) }
	codeSigning := []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}
	tests := []struct {
		name string
		root certSpec
		mids []certSpec // from the root down
		leaf certSpec
	}{
		{
			name: "plain",
			root: certSpec{name: "root", ca: true, maxPathLen: -1, notBefore: h(-10), notAfter: h(10)},
			mids: []certSpec{{name: "int", ca: true, maxPathLen: 0, notBefore: h(-9), notAfter: h(9)}},
			leaf: certSpec{name: "leaf", notBefore: h(-1), notAfter: h(1), eku: codeSigning, emails: []string{"a@example.com"}},
		},
		{
			name: "root path length 0 forbids the intermediate",
			root: certSpec{name: "root", ca: true, maxPathLen: 0, notBefore: h(-10), notAfter: h(10)},
			mids: []certSpec{{name: "int", ca: true, maxPathLen: -1, notBefore: h(-9), notAfter: h(9)}},
			leaf: certSpec{name: "leaf", notBefore: h(-1), notAfter: h(1), eku: codeSigning},
		},
		{
			name: "two intermediates, top one path length 0",
			root: certSpec{name: "root", ca: true, maxPathLen: -1, notBefore: h(-10), notAfter: h(10)},
			mids: []certSpec{
				{name: "int1", ca: true, maxPathLen: 0, notBefore: h(-9), notAfter: h(9)},
				{name: "int2", ca: true, maxPathLen: -1, notBefore: h(-8), notAfter: h(8)},
			},
			leaf: certSpec{name: "leaf", notBefore: h(-1), notAfter: h(1), eku: codeSigning},
		},
		{
			name: "root name constraints exclude the leaf",
			root: certSpec{name: "root", ca: true, maxPathLen: -1, notBefore: h(-10), notAfter: h(10), permitted: []string{"example.org"}},
			mids: []certSpec{{name: "int", ca: true, maxPathLen: -1, notBefore: h(-9), notAfter: h(9)}},
			leaf: certSpec{name: "leaf", notBefore: h(-1), notAfter: h(1), eku: codeSigning, emails: []string{"a@example.com"}},
		},
		{
			name: "root EKU excludes code signing",
			root: certSpec{name: "root", ca: true, maxPathLen: -1, notBefore: h(-10), notAfter: h(10), eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
			mids: []certSpec{{name: "int", ca: true, maxPathLen: -1, notBefore: h(-9), notAfter: h(9)}},
			leaf: certSpec{name: "leaf", notBefore: h(-1), notAfter: h(1), eku: codeSigning},
		},
		{
			name: "root expires before the intermediate and the leaf",
			root: certSpec{name: "root", ca: true, maxPathLen: -1, notBefore: h(-10), notAfter: h(-2)},
			mids: []certSpec{{name: "int", ca: true, maxPathLen: -1, notBefore: h(-9), notAfter: h(9)}},
			leaf: certSpec{name: "leaf", notBefore: h(-3), notAfter: h(1), eku: codeSigning},
		},
		{
			name: "leaf without code signing",
			root: certSpec{name: "root", ca: true, maxPathLen: -1, notBefore: h(-10), notAfter: h(10)},
			mids: []certSpec{{name: "int", ca: true, maxPathLen: -1, notBefore: h(-9), notAfter: h(9)}},
			leaf: certSpec{name: "leaf", notBefore: h(-1), notAfter: h(1), eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rootCert, rootKey := mkCert(t, tt.root, nil, nil)
			parent, parentKey := rootCert, rootKey
			var mids []*x509.Certificate
			for _, m := range tt.mids {
				parent, parentKey = mkCert(t, m, parent, parentKey)
				mids = append(mids, parent)
			}
			leaf, _ := mkCert(t, tt.leaf, parent, parentKey)
			raw := &root.FulcioCertificateAuthority{Root: rootCert, Intermediates: mids}
			var times []time.Time
			for _, c := range append([]*x509.Certificate{rootCert, leaf}, mids...) {
				for _, b := range []time.Time{c.NotBefore, c.NotAfter} {
					times = append(times, b.Add(-time.Second), b, b.Add(time.Second))
				}
			}
			times = append(times, now)
			assertAgree(t, raw, leaf, times)
		})
	}
}

// TestAnchoredChainsVirtualSigstore runs the same comparison on sigstore-go's
// VirtualSigstore CA (root → intermediate → leaf).
func TestAnchoredChainsVirtualSigstore(t *testing.T) {
	t.Parallel()
	vs, err := sgca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	leaf, _, err := vs.GenerateLeafCert("a@example.com", "https://issuer.example")
	if err != nil {
		t.Fatal(err)
	}
	raw := vs.FulcioCertificateAuthorities()[0].(*root.FulcioCertificateAuthority)
	var times []time.Time
	for _, c := range append([]*x509.Certificate{raw.Root, leaf}, raw.Intermediates...) {
		for _, b := range []time.Time{c.NotBefore, c.NotAfter} {
			times = append(times, b.Add(-time.Second), b, b.Add(time.Second))
		}
	}
	assertAgree(t, raw, leaf, times)
}

func assertAgree(t *testing.T, raw *root.FulcioCertificateAuthority, leaf *x509.Certificate, times []time.Time) {
	t.Helper()
	trust, err := verify.NewTrust(root.TrustedMaterialCollection{caOnly{raw}})
	if err != nil {
		t.Fatal(err)
	}
	memo := trust.FulcioCertificateAuthorities()[0]
	accepted := 0
	for pass := range 3 { // cold, then with the memo primed
		for _, at := range times {
			_, errMemo := memo.Verify(leaf, at)
			_, errRaw := raw.Verify(leaf, at)
			if (errMemo == nil) != (errRaw == nil) {
				t.Fatalf("pass %d at %s: memo err=%v, x509 err=%v", pass, at.Format(time.RFC3339), errMemo, errRaw)
			}
			if errRaw == nil {
				accepted++
			}
		}
	}
	t.Logf("%d of %d probes accepted by both", accepted, 3*len(times))
}

// caOnly is trust material holding one CA.
type caOnly struct{ ca root.CertificateAuthority }

func (c caOnly) TimestampingAuthorities() []root.TimestampingAuthority { return nil }
func (c caOnly) FulcioCertificateAuthorities() []root.CertificateAuthority {
	return []root.CertificateAuthority{c.ca}
}
func (c caOnly) RekorLogs() map[string]*root.TransparencyLog { return nil }
func (c caOnly) CTLogs() map[string]*root.TransparencyLog    { return nil }
func (c caOnly) PublicKeyVerifier(string) (root.TimeConstrainedVerifier, error) {
	return nil, errNoKey
}

var errNoKey = errors.New("no keys")
