package verify

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	"github.com/ztci/ztci/internal/clip"
)

// Fulcio's deprecated extensions (1.3.6.1.4.1.57264.1.1 to .6, raw
// strings) and the ones that replaced them (DER UTF8Strings). sigstore-go
// reads the issuer from whichever of .1 and .8 comes last in the
// certificate, and other tools (cosign's --certificate-github-workflow-*
// flags) still read the deprecated GitHub ones, which this package does not
// report at all.
var (
	oidIssuerV1         = asnOID{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidGitHubTrigger    = asnOID{1, 3, 6, 1, 4, 1, 57264, 1, 2}
	oidGitHubSHA        = asnOID{1, 3, 6, 1, 4, 1, 57264, 1, 3}
	oidGitHubRepository = asnOID{1, 3, 6, 1, 4, 1, 57264, 1, 5}
	oidGitHubRef        = asnOID{1, 3, 6, 1, 4, 1, 57264, 1, 6}
	oidIssuerV2         = asnOID{1, 3, 6, 1, 4, 1, 57264, 1, 8}
	oidSourceRepoURI    = asnOID{1, 3, 6, 1, 4, 1, 57264, 1, 12}
	oidSourceRepoDigest = asnOID{1, 3, 6, 1, 4, 1, 57264, 1, 13}
	oidSourceRepoRef    = asnOID{1, 3, 6, 1, 4, 1, 57264, 1, 14}
	oidBuildTrigger     = asnOID{1, 3, 6, 1, 4, 1, 57264, 1, 20}
	oidSubjectAltName   = asnOID{2, 5, 29, 17}

	// replacedExtensions pairs each deprecated extension with the one
	// that replaced it and names the field for the error.
	replacedExtensions = []struct {
		old, new asnOID
		field    string
	}{
		{oidIssuerV1, oidIssuerV2, "issuer"},
		{oidGitHubTrigger, oidBuildTrigger, "buildTrigger"},
		{oidGitHubSHA, oidSourceRepoDigest, "sourceRepositoryDigest"},
		{oidGitHubRef, oidSourceRepoRef, "sourceRepositoryRef"},
	}
)

// checkOneReading refuses a signing certificate that names more than one
// signer, so that the identity matched here is the one every other reader
// sees (the "one reading" rule of the package contract, for certificates):
//
//   - exactly one subject alternative name, of any type. sigstore-go (and
//     so this package) reads the first URI, else the first email, else an
//     otherName; cosign accepts a certificate when any of its SANs matches.
//     A certificate with two would be verified here as one identity and
//     elsewhere as the other. Fulcio issues exactly one.
//   - a deprecated Fulcio extension and its replacement, when both are
//     present, say the same thing (the issuer .1 and .8; GitHub's trigger
//     .2/.20, commit .3/.13, ref .6/.14; and the repository .5 must be the
//     path that ends the source repository URI .12). Fulcio writes both
//     from the same claim.
func checkOneReading(c *x509.Certificate) error {
	n, err := countSANs(c)
	if err != nil {
		return stageErr(ErrMalformedBundle, "certificate subject alternative names", err)
	}
	if n != 1 {
		return &IdentityMismatchError{Field: "san", Want: "exactly one subject alternative name", Got: fmt.Sprintf("%d names", n)}
	}
	for _, p := range replacedExtensions {
		old, okOld := rawExt(c, p.old)
		nw, okNew := utf8Ext(c, p.new)
		if okOld && okNew && old != nw {
			return &IdentityMismatchError{Field: p.field, Want: nw,
				Got: fmt.Sprintf("%s in the deprecated extension %v", old, p.old)}
		}
	}
	if repo, ok := rawExt(c, oidGitHubRepository); ok {
		if uri, ok := utf8Ext(c, oidSourceRepoURI); ok && (repo == "" || !strings.HasSuffix(uri, "/"+repo)) {
			return &IdentityMismatchError{Field: "sourceRepositoryURI", Want: uri,
				Got: fmt.Sprintf("%s in the deprecated extension %v", repo, oidGitHubRepository)}
		}
	}
	return nil
}

// GeneralName tags (RFC 5280 §4.2.1.6) of the SAN types sigstore-go reads.
const (
	sanOtherName = 0 // Fulcio's username identities (1.3.6.1.4.1.57264.1.7)
	sanEmail     = 1 // rfc822Name: people
	sanURI       = 6 // uniformResourceIdentifier: CI workflows, SPIFFE IDs
)

func sanTypeName(tag int) string {
	switch tag {
	case sanOtherName:
		return "otherName"
	case sanEmail:
		return "email"
	case sanURI:
		return "uri"
	}
	return fmt.Sprintf("GeneralName tag %d", tag)
}

// sanTypeOf is the SAN type a SAN's text is: an absolute URI (a scheme and
// a host or opaque part) is a URI, else an email address (as net/mail
// reads it, nothing more) is an email, else anything is an otherName. It
// is the rule attest/ca certifies a subject by.
func sanTypeOf(text string) int {
	if u, err := url.Parse(text); err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "") {
		return sanURI
	}
	if a, err := mail.ParseAddress(text); err == nil && a.Address == text {
		return sanEmail
	}
	return sanOtherName
}

// checkSANType refuses a certificate whose SAN holds text of another type
// than its own: an identity is compared as text (Identity.SAN,
// SANRegexp), so the text must say the type. Without this an email
// address certified as a URI SAN or a username otherName would be the
// person's email identity, and a workflow URI certified as an rfc822Name
// the workflow. It runs after checkOneReading, which leaves one SAN.
func checkSANType(c *x509.Certificate, san string) error {
	tag, err := firstSANTag(c)
	if err != nil {
		return stageErr(ErrMalformedBundle, "certificate subject alternative names", err)
	}
	if want := sanTypeOf(san); tag != want {
		return &IdentityMismatchError{Field: "san-type",
			Want: sanTypeName(want) + ", the type of " + clip.String(san, 80), Got: sanTypeName(tag)}
	}
	return nil
}

// firstSANTag is the tag of the first GeneralName of the subjectAltName
// extension (-1 when there is none).
func firstSANTag(c *x509.Certificate) (int, error) {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidSubjectAltName) {
			continue
		}
		var seq, gn asn1.RawValue
		rest, err := asn1.Unmarshal(e.Value, &seq)
		if err != nil || len(rest) > 0 || seq.Tag != asn1.TagSequence || !seq.IsCompound {
			return 0, fmt.Errorf("subjectAltName is not a SEQUENCE")
		}
		if _, err := asn1.Unmarshal(seq.Bytes, &gn); err != nil {
			return 0, fmt.Errorf("subjectAltName: %v", err)
		}
		if gn.Class != asn1.ClassContextSpecific {
			return 0, fmt.Errorf("subjectAltName: a GeneralName of class %d", gn.Class)
		}
		return gn.Tag, nil
	}
	return -1, nil
}

// countSANs counts the GeneralNames of the subjectAltName extension, of
// every type (crypto/x509 keeps only some of them).
func countSANs(c *x509.Certificate) (int, error) {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidSubjectAltName) {
			continue
		}
		var seq asn1.RawValue
		rest, err := asn1.Unmarshal(e.Value, &seq)
		if err != nil || len(rest) > 0 || seq.Tag != asn1.TagSequence || !seq.IsCompound {
			return 0, fmt.Errorf("subjectAltName is not a SEQUENCE")
		}
		n := 0
		for b := seq.Bytes; len(b) > 0; n++ {
			var gn asn1.RawValue
			if b, err = asn1.Unmarshal(b, &gn); err != nil {
				return 0, fmt.Errorf("subjectAltName: %v", err)
			}
		}
		return n, nil
	}
	return 0, nil
}

// rawExt returns a deprecated Fulcio extension's value (raw bytes).
func rawExt(c *x509.Certificate, oid asnOID) (string, bool) {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return string(e.Value), true
		}
	}
	return "", false
}

// utf8Ext returns a Fulcio extension's DER string value. A value that does
// not decode is reported as its raw bytes: it can then never equal a
// deprecated extension's, and sigstore-go refuses it anyway.
func utf8Ext(c *x509.Certificate, oid asnOID) (string, bool) {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			var s string
			if rest, err := asn1.Unmarshal(e.Value, &s); err == nil && len(rest) == 0 {
				return s, true
			}
			return string(e.Value), true
		}
	}
	return "", false
}
