package verify_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net/url"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/verify"
)

// TestReview28SANTypeIsPartOfTheIdentity: the SAN an expectation names is
// compared as text, so a certificate must not carry that text in a SAN of
// another type than the text says it is. An email address certified as a
// URI SAN (or a username otherName) is not the person's email identity, and
// a workflow URI certified as an rfc822Name is not the workflow: each is
// refused, whether the expectation is an exact SAN or a regexp.
func TestReview28SANTypeIsPartOfTheIdentity(t *testing.T) {
	t.Parallel()
	const email = "alice@example.com"
	workflow, err := url.Parse(rtSubject)
	if err != nil {
		t.Fatal(err)
	}
	emailAsURI, err := url.Parse(email)
	if err != nil {
		t.Fatal(err)
	}
	username, err := cryptoutils.MarshalOtherNameSAN(email, false)
	if err != nil {
		t.Fatal(err)
	}
	v2 := utf8Extension(t, ca.OIDIssuerV2, rtIssuer)
	tmpl := func(c x509.Certificate) func() *x509.Certificate {
		return func() *x509.Certificate {
			c := c
			c.ExtraExtensions = append([]pkix.Extension{v2}, c.ExtraExtensions...)
			return &c
		}
	}
	cases := []struct {
		name   string
		tmpl   func() *x509.Certificate
		san    string // the exact SAN expected
		accept bool
	}{
		{name: "control: workflow URI SAN", tmpl: tmpl(x509.Certificate{URIs: []*url.URL{workflow}}), san: rtSubject, accept: true},
		{name: "control: email SAN", tmpl: tmpl(x509.Certificate{EmailAddresses: []string{email}}), san: email, accept: true},
		{name: "email address as a URI SAN", tmpl: tmpl(x509.Certificate{URIs: []*url.URL{emailAsURI}}), san: email},
		{name: "email address as a username otherName", tmpl: tmpl(x509.Certificate{ExtraExtensions: []pkix.Extension{*username}}), san: email},
		{name: "workflow URI as an email SAN", tmpl: tmpl(x509.Certificate{EmailAddresses: []string{rtSubject}}), san: rtSubject},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, trust := signWithTemplate(t, tc.tmpl)
			for _, signer := range []verify.Signer{
				verify.Identity{SAN: tc.san, Issuer: rtIssuer},
				verify.Identity{SANRegexp: ".*", Issuer: rtIssuer},
			} {
				v, err := verify.New(trust, verify.Expectation{Signer: signer, PredicateType: attest.PredicateSLSAProvenanceV1}, privateOpts...)
				if err != nil {
					t.Fatal(err)
				}
				res, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact))
				if tc.accept {
					if err != nil {
						t.Fatalf("%+v refused: %v", signer, err)
					}
					continue
				}
				var im *verify.IdentityMismatchError
				if !errors.As(err, &im) || im.Field != "san-type" || !errors.Is(err, verify.ErrIdentityMismatch) {
					t.Fatalf("%+v: got %v (result %v), want an identity mismatch on san-type", signer, err, res)
				}
			}
		})
	}
}
