package verify_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"net/url"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/verify"
)

// templateIssuer certifies keys with certificates made from a template, by
// a CA key the trusted root trusts: a CA that writes what it is told.
type templateIssuer struct {
	key  crypto.Signer
	root *x509.Certificate
	tmpl func() *x509.Certificate
}

func (l templateIssuer) IssueCertificate(_ context.Context, pub crypto.PublicKey) ([]*x509.Certificate, error) {
	t := l.tmpl()
	t.SerialNumber = big.NewInt(time.Now().UnixNano())
	t.NotBefore = time.Now().Add(-time.Minute)
	t.NotAfter = time.Now().Add(10 * time.Minute)
	t.KeyUsage = x509.KeyUsageDigitalSignature
	t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}
	der, err := x509.CreateCertificate(rand.Reader, t, l.root, pub, l.key)
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(der)
	return []*x509.Certificate{c}, err
}

func utf8Extension(t *testing.T, oid asn1.ObjectIdentifier, v string) pkix.Extension {
	t.Helper()
	der, err := asn1.MarshalWithParams(v, "utf8")
	if err != nil {
		t.Fatal(err)
	}
	return pkix.Extension{Id: oid, Value: der}
}

// signWithTemplate signs rtStatement with a certificate made from tmpl by a
// private CA and TSA, and returns the bundle and the trust for them.
func signWithTemplate(t *testing.T, tmpl func() *x509.Certificate) ([]byte, *verify.Trust) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rootCert, err := ca.NewRootCertificate(k, "template CA", time.Now().Add(-time.Hour), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.New(ca.WithSubjectDomain(rtIssuer, "https://ci.example"), ca.WithSigner(k, rootCert))
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := attest.NewTrustedRoot().AddEmbeddedCA("https://ca.example", c).AddEmbeddedTSA("https://tsa.example", a).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tm, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	trust, err := verify.NewTrust(tm)
	if err != nil {
		t.Fatal(err)
	}
	s, err := attest.NewCASigner(templateIssuer{key: k, root: rootCert, tmpl: tmpl}, attest.WithEmbeddedTimestampAuthority(a.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(context.Background(), s, rtStatement(t, rtArtifact))
	if err != nil {
		t.Fatal(err)
	}
	return b, trust
}

// TestCertificateOneReading: a signing certificate that names two signers
// — two SANs (sigstore-go reads the first, cosign accepts any), or a
// deprecated Fulcio extension that contradicts its replacement
// (sigstore-go takes whichever issuer comes last; cosign's GitHub workflow
// flags read the deprecated ones) — is refused, whichever of them the
// expectation names, even from a trusted CA.
func TestCertificateOneReading(t *testing.T) {
	t.Parallel()
	good, _ := url.Parse(rtSubject)
	evil, _ := url.Parse("https://evil.example/x")
	const evilIssuer = "https://evil.example"
	gh := func(oid []int) asn1.ObjectIdentifier {
		return append(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1}, oid...)
	}
	cert := func(uris []*url.URL, emails []string, exts ...pkix.Extension) func() *x509.Certificate {
		return func() *x509.Certificate {
			return &x509.Certificate{URIs: uris, EmailAddresses: emails, ExtraExtensions: exts}
		}
	}
	v2 := utf8Extension(t, ca.OIDIssuerV2, rtIssuer)
	cases := []struct {
		name  string
		tmpl  func() *x509.Certificate
		field string // "" = accepted
	}{
		{"control: both issuer extensions agree", cert([]*url.URL{good}, nil, pkix.Extension{Id: ca.OIDIssuer, Value: []byte(rtIssuer)}, v2), ""},
		{"control: GitHub's deprecated extensions agree", cert([]*url.URL{good}, nil, v2,
			pkix.Extension{Id: gh([]int{2}), Value: []byte("push")}, utf8Extension(t, gh([]int{20}), "push"),
			pkix.Extension{Id: gh([]int{3}), Value: []byte("abc")}, utf8Extension(t, gh([]int{13}), "abc"),
			pkix.Extension{Id: gh([]int{5}), Value: []byte("octo-org/octo-repo")}, utf8Extension(t, gh([]int{12}), "https://ci.example/octo-org/octo-repo"),
			pkix.Extension{Id: gh([]int{6}), Value: []byte("refs/heads/main")}, utf8Extension(t, gh([]int{14}), "refs/heads/main")), ""},
		{"two URIs, expected first", cert([]*url.URL{good, evil}, nil, v2), "san"},
		{"two URIs, expected second", cert([]*url.URL{evil, good}, nil, v2), "san"},
		{"URI and email", cert([]*url.URL{good}, []string{"evil@evil.example"}, v2), "san"},
		{"deprecated issuer differs, listed last", cert([]*url.URL{good}, nil, utf8Extension(t, ca.OIDIssuerV2, evilIssuer), pkix.Extension{Id: ca.OIDIssuer, Value: []byte(rtIssuer)}), "issuer"},
		{"deprecated issuer differs, listed first", cert([]*url.URL{good}, nil, pkix.Extension{Id: ca.OIDIssuer, Value: []byte(evilIssuer)}, v2), "issuer"},
		{"deprecated ref differs", cert([]*url.URL{good}, nil, v2,
			pkix.Extension{Id: gh([]int{6}), Value: []byte("refs/heads/evil")}, utf8Extension(t, gh([]int{14}), "refs/heads/main")), "sourceRepositoryRef"},
		{"deprecated commit differs", cert([]*url.URL{good}, nil, v2,
			pkix.Extension{Id: gh([]int{3}), Value: []byte("bad")}, utf8Extension(t, gh([]int{13}), "abc")), "sourceRepositoryDigest"},
		{"deprecated trigger differs", cert([]*url.URL{good}, nil, v2,
			pkix.Extension{Id: gh([]int{2}), Value: []byte("pull_request_target")}, utf8Extension(t, gh([]int{20}), "push")), "buildTrigger"},
		{"deprecated repository is another", cert([]*url.URL{good}, nil, v2,
			pkix.Extension{Id: gh([]int{5}), Value: []byte("evil/octo-repo")}, utf8Extension(t, gh([]int{12}), "https://ci.example/octo-org/octo-repo")), "sourceRepositoryURI"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, trust := signWithTemplate(t, tc.tmpl)
			for _, signer := range []verify.Signer{
				verify.Identity{SAN: rtSubject, Issuer: rtIssuer},
				verify.Identity{SANRegexp: ".*", IssuerRegexp: ".*"},
			} {
				v, err := verify.New(trust, verify.Expectation{Signer: signer, PredicateType: attest.PredicateSLSAProvenanceV1}, privateOpts...)
				if err != nil {
					t.Fatal(err)
				}
				res, err := v.Verify(context.Background(), b, verify.ArtifactBytes(rtArtifact))
				if tc.field == "" {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					continue
				}
				var im *verify.IdentityMismatchError
				if !errors.As(err, &im) || im.Field != tc.field || !errors.Is(err, verify.ErrIdentityMismatch) {
					t.Fatalf("got %v (result %v), want an identity mismatch on %s", err, res, tc.field)
				}
			}
		})
	}
}
