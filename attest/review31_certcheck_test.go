package attest_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"math/big"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
)

// review31Token is an unsigned JWT with the given payload: the signer reads
// its iss without verifying it, and the authenticators below accept it.
func review31Token(payload string) string {
	return "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
}

// review31Issuer is a certificate issuer that certifies whatever template
// edit says, under its own root: a compromised or misconfigured CA.
type review31Issuer struct {
	key  *ecdsa.PrivateKey
	root *x509.Certificate
	edit func(*x509.Certificate)
}

func newReview31Issuer(t *testing.T, edit func(*x509.Certificate)) *review31Issuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "review31 root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &review31Issuer{key: key, root: r, edit: edit}
}

func (i *review31Issuer) IssueCertificate(_ context.Context, pub crypto.PublicKey) ([]*x509.Certificate, error) {
	iss, err := asn1.MarshalWithParams(testIssuer, "utf8")
	if err != nil {
		return nil, err
	}
	san, _ := url.Parse(testSubject)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		NotBefore:    time.Now().Add(-time.Second), NotAfter: time.Now().Add(10 * time.Minute),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true, URIs: []*url.URL{san},
		ExtraExtensions: []pkix.Extension{{Id: ca.OIDIssuer, Value: []byte(testIssuer)}, {Id: ca.OIDIssuerV2, Value: iss}},
	}
	if i.edit != nil {
		i.edit(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, i.root, pub, i.key)
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return []*x509.Certificate{c}, nil
}

func review31Trusted(t *testing.T, c *ca.CA, a *tsa.TSA) root.TrustedMaterial {
	t.Helper()
	js, err := attest.NewTrustedRoot().AddEmbeddedCA("https://ca.example", c).AddEmbeddedTSA("https://tsa.example", a).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := root.NewTrustedRootFromJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestReview31CertificateFulcioIdentity: a Fulcio (here the embedded CA's
// handler, whose authenticator is the attacker's) that certifies the
// signer's key for another OIDC issuer than its token's makes the signer
// produce a bundle under that identity; the signer now refuses it, and
// refuses any certificate when its token's iss cannot be read.
// WithCertificateIdentity pins issuer and SAN.
func TestReview31CertificateFulcioIdentity(t *testing.T) {
	t.Parallel()
	good := review31Token(`{"iss":"https://issuer.example","sub":"https://ci.example/octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main"}`)
	c, err := ca.New(ca.WithSubjectDomain(testIssuer, "https://ci.example"), ca.WithSubjectDomain("https://evil.example", "https://ci.example"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	// The handler's authenticator maps every token to the identity set
	// per case: the CA certifies whatever it is told.
	for _, tc := range []struct {
		name  string
		token string
		id    identity.Identity
		opts  []attest.Option
		want  error
	}{
		{name: "token issuer", token: good, id: testIdentity()},
		{name: "another issuer", token: good, id: identity.Identity{Issuer: "https://evil.example", Subject: testSubject}, want: attest.ErrCertificateIdentity},
		{name: "token without iss", token: review31Token(`{"sub":"https://ci.example/octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main"}`), id: testIdentity(), want: attest.ErrCertificateIdentity},
		{name: "token iss not a string", token: review31Token(`{"iss":["https://issuer.example"],"sub":"https://ci.example/octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main"}`), id: testIdentity(), want: attest.ErrCertificateIdentity},
		{name: "pinned identity", token: good, id: testIdentity(), opts: []attest.Option{attest.WithCertificateIdentity(testIssuer, testSubject)}},
		{name: "pinned SAN differs", token: good, id: testIdentity(), opts: []attest.Option{attest.WithCertificateIdentity(testIssuer, testSubject+"x")}, want: attest.ErrCertificateIdentity},
		{name: "pinned issuer differs", token: good, id: testIdentity(), opts: []attest.Option{attest.WithCertificateIdentity("https://other.example", testSubject)}, want: attest.ErrCertificateIdentity},
		{name: "trusted root", token: good, id: testIdentity(), opts: []attest.Option{attest.WithTrustedRoot(review31Trusted(t, c, a))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			auth := ca.AuthenticatorFunc(func(context.Context, string) (identity.Identity, error) { return tc.id, nil })
			srv := httptest.NewServer(c.Handler(auth))
			defer srv.Close()
			tokens := identity.TokenSourceFunc(func(context.Context) (string, error) { return tc.token, nil })
			opts := append([]attest.Option{attest.WithEmbeddedTimestampAuthority(a.Handler())}, tc.opts...)
			s, err := attest.NewFulcioSigner(srv.URL, tokens, opts...)
			if err != nil {
				t.Fatal(err)
			}
			b, err := attest.Sign(t.Context(), s, testStatement(t))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Sign: %v", err)
				}
				return
			}
			if b != nil || !errors.Is(err, tc.want) || !errors.Is(err, attest.ErrForeignCertificate) || !errors.Is(err, attest.ErrSign) {
				t.Fatalf("Sign = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestReview31CertificateIssuerAnswer: a certificate issuer's answer that is
// not a code-signing leaf valid now, that names another issuer in one of
// Fulcio's two issuer extensions, that is outside the signer's trusted
// root, or whose validity does not hold the timestamp, is refused with a
// typed error; no bundle is produced.
func TestReview31CertificateIssuerAnswer(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain(testIssuer, "https://ci.example"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := ca.New(ca.WithSubjectDomain(testIssuer, "https://ci.example"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	past := &clock{t: time.Now().Add(-2 * time.Hour)}
	pastCA, err := ca.New(ca.WithSubjectDomain(testIssuer, "https://ci.example"), ca.WithClock(past.Now))
	if err != nil {
		t.Fatal(err)
	}
	future := &clock{t: time.Now().Add(2 * time.Hour)}
	futureTSA, err := tsa.New(tsa.WithClock(future.Now))
	if err != nil {
		t.Fatal(err)
	}
	evil, _ := asn1.MarshalWithParams("https://evil.example", "utf8")
	pin := attest.WithCertificateIdentity(testIssuer, testSubject)
	for _, tc := range []struct {
		name   string
		issuer attest.CertificateIssuer
		tsa    *tsa.TSA
		opts   []attest.Option
		want   error
	}{
		{name: "well-formed", issuer: newReview31Issuer(t, nil), opts: []attest.Option{pin}},
		{name: "embedded CA", issuer: c.IssuerFor(testIdentity()), opts: []attest.Option{pin}},
		{name: "no codeSigning", issuer: newReview31Issuer(t, func(x *x509.Certificate) { x.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} }), want: attest.ErrCertificateUsage},
		{name: "no EKU", issuer: newReview31Issuer(t, func(x *x509.Certificate) { x.ExtKeyUsage = nil }), want: attest.ErrCertificateUsage},
		{name: "CA certificate", issuer: newReview31Issuer(t, func(x *x509.Certificate) { x.IsCA = true; x.KeyUsage |= x509.KeyUsageCertSign }), want: attest.ErrCertificateUsage},
		{name: "key usage without digitalSignature", issuer: newReview31Issuer(t, func(x *x509.Certificate) { x.KeyUsage = x509.KeyUsageKeyEncipherment }), want: attest.ErrCertificateUsage},
		{name: "expired", issuer: newReview31Issuer(t, func(x *x509.Certificate) {
			x.NotBefore, x.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(-30*time.Minute)
		}), want: attest.ErrCertificateValidity},
		{name: "not yet valid", issuer: newReview31Issuer(t, func(x *x509.Certificate) {
			x.NotBefore, x.NotAfter = time.Now().Add(time.Hour), time.Now().Add(2*time.Hour)
		}), want: attest.ErrCertificateValidity},
		{name: "embedded CA with another clock", issuer: pastCA.IssuerFor(testIdentity()), want: attest.ErrCertificateValidity},
		{name: "timestamp after the certificate", issuer: c.IssuerFor(testIdentity()), tsa: futureTSA, want: attest.ErrCertificateValidity},
		{name: "v1 issuer extension differs", issuer: newReview31Issuer(t, func(x *x509.Certificate) {
			x.ExtraExtensions[0].Value = []byte("https://evil.example")
		}), opts: []attest.Option{pin}, want: attest.ErrCertificateIdentity},
		{name: "v2 issuer extension differs", issuer: newReview31Issuer(t, func(x *x509.Certificate) {
			x.ExtraExtensions[1].Value = evil
		}), opts: []attest.Option{pin}, want: attest.ErrCertificateIdentity},
		{name: "no issuer extension", issuer: newReview31Issuer(t, func(x *x509.Certificate) { x.ExtraExtensions = nil }), opts: []attest.Option{pin}, want: attest.ErrCertificateIdentity},
		{name: "second SAN", issuer: newReview31Issuer(t, func(x *x509.Certificate) { x.EmailAddresses = []string{"ci@example.com"} }), opts: []attest.Option{pin}, want: attest.ErrCertificateIdentity},
		{name: "DNS SAN added", issuer: newReview31Issuer(t, func(x *x509.Certificate) { x.DNSNames = []string{"ci.example"} }), opts: []attest.Option{pin}, want: attest.ErrCertificateIdentity},
		{name: "trusted CA", issuer: c.IssuerFor(testIdentity()), opts: []attest.Option{attest.WithTrustedRoot(review31Trusted(t, c, a))}},
		{name: "untrusted CA", issuer: other.IssuerFor(testIdentity()), opts: []attest.Option{attest.WithTrustedRoot(review31Trusted(t, c, a))}, want: attest.ErrCertificateChain},
		{name: "foreign root", issuer: newReview31Issuer(t, nil), opts: []attest.Option{attest.WithTrustedRoot(review31Trusted(t, c, a))}, want: attest.ErrCertificateChain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ta := a
			if tc.tsa != nil {
				ta = tc.tsa
			}
			opts := append([]attest.Option{attest.WithEmbeddedTimestampAuthority(ta.Handler())}, tc.opts...)
			s, err := attest.NewCASigner(tc.issuer, opts...)
			if err != nil {
				t.Fatal(err)
			}
			b, err := attest.Sign(t.Context(), s, testStatement(t))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Sign: %v", err)
				}
				return
			}
			if b != nil || !errors.Is(err, tc.want) || !errors.Is(err, attest.ErrForeignCertificate) {
				t.Fatalf("Sign = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestReview31CertificateOptions: the certificate options are refused where
// they cannot apply (a key signer) and when given nothing.
func TestReview31CertificateOptions(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.New()
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	tm := review31Trusted(t, c, a)
	for _, tc := range []struct {
		name string
		ctor func() error
	}{
		{"key signer identity", func() error {
			_, err := attest.NewKeySigner(key, attest.WithCertificateIdentity(testIssuer, testSubject))
			return err
		}},
		{"key signer trusted root", func() error { _, err := attest.NewKeySigner(key, attest.WithTrustedRoot(tm)); return err }},
		{"empty issuer", func() error {
			_, err := attest.NewCASigner(c.IssuerFor(testIdentity()), attest.WithoutTimestampsUnsafe(), attest.WithCertificateIdentity("", testSubject))
			return err
		}},
		{"empty SAN", func() error {
			_, err := attest.NewCASigner(c.IssuerFor(testIdentity()), attest.WithoutTimestampsUnsafe(), attest.WithCertificateIdentity(testIssuer, ""))
			return err
		}},
		{"nil trusted root", func() error {
			_, err := attest.NewCASigner(c.IssuerFor(testIdentity()), attest.WithoutTimestampsUnsafe(), attest.WithTrustedRoot(nil))
			return err
		}},
		{"nil clock", func() error {
			_, err := attest.NewCASigner(c.IssuerFor(testIdentity()), attest.WithoutTimestampsUnsafe(), attest.WithClock(nil))
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := tc.ctor(); !errors.Is(err, attest.ErrConfig) {
				t.Fatalf("constructor = %v, want ErrConfig", err)
			}
		})
	}
}

// TestReview31TrustedRootTimestamps: with WithTrustedRoot naming timestamp
// authorities, a timestamp from another authority (a misrouted or
// impersonated TSA URL) is refused with ErrUntrustedTimestamp, not put in a
// bundle that its verifiers refuse.
func TestReview31TrustedRootTimestamps(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain(testIssuer, "https://ci.example"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	tm := review31Trusted(t, c, a)
	for _, tc := range []struct {
		name string
		tsa  *tsa.TSA
		want error
	}{
		{name: "trusted TSA", tsa: a},
		{name: "untrusted TSA", tsa: stranger, want: attest.ErrUntrustedTimestamp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tc.tsa.Handler())
			defer srv.Close()
			s, err := attest.NewCASigner(c.IssuerFor(testIdentity()), attest.WithTimestampAuthority(srv.URL+"/api/v1/timestamp"), attest.WithTrustedRoot(tm))
			if err != nil {
				t.Fatal(err)
			}
			b, err := attest.Sign(t.Context(), s, testStatement(t))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Sign: %v", err)
				}
				return
			}
			if b != nil || !errors.Is(err, tc.want) || !errors.Is(err, attest.ErrForeignTimestamp) {
				t.Fatalf("Sign = %v, want %v", err, tc.want)
			}
		})
	}
}
