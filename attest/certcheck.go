package attest

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/digitorus/timestamp"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/internal/clip"
)

// Errors of a certificate a signer refuses. Each wraps
// [ErrForeignCertificate] (and so [ErrSign]): no bundle is produced.
var (
	// ErrCertificateIdentity: the certificate names another identity than
	// the signer expects: its OIDC issuer extension (Fulcio's
	// 1.3.6.1.4.1.57264.1.8, and 1.1 when present) is not the iss of the
	// token the signer presented (or that token has no iss to compare:
	// it is not a JWT, or its iss is not a string), or, with
	// [WithCertificateIdentity], its issuer or SAN is not the one
	// configured.
	ErrCertificateIdentity = fmt.Errorf("%w: the certificate names another identity", ErrForeignCertificate)
	// ErrCertificateUsage: the certificate is not a code-signing leaf (no
	// codeSigning extended key usage, a key usage without
	// digitalSignature, or a CA certificate).
	ErrCertificateUsage = fmt.Errorf("%w: the certificate is not a code-signing leaf", ErrForeignCertificate)
	// ErrCertificateValidity: the certificate is not valid now (beyond
	// [CertificateClockSkew] for its start), or a timestamp in the bundle
	// is outside its validity.
	ErrCertificateValidity = fmt.Errorf("%w: the certificate is not valid at signing time", ErrForeignCertificate)
	// ErrCertificateChain: with [WithTrustedRoot], the certificate does not
	// chain to one of the trusted root's certificate authorities.
	ErrCertificateChain = fmt.Errorf("%w: the certificate does not chain to a trusted certificate authority", ErrForeignCertificate)
	// ErrUntrustedTimestamp: with [WithTrustedRoot] naming timestamp
	// authorities, a timestamp in the bundle does not verify under any of
	// them (another TSA answered: a misrouted or impersonated URL). It
	// wraps [ErrForeignTimestamp].
	ErrUntrustedTimestamp = fmt.Errorf("%w: the timestamp is not from a trusted timestamp authority", ErrForeignTimestamp)
)

// CertificateClockSkew is how far a certificate's NotBefore may be after
// the signer's clock: the certificate authority's clock may run ahead of
// it. A timestamp in the bundle must still lie within the certificate's
// validity ([ErrCertificateValidity]), as verifiers require.
const CertificateClockSkew = time.Minute

// maxTokenPayload bounds the decoded payload of the identity token read for
// its iss.
const maxTokenPayload = 64 << 10

// WithCertificateIdentity makes a certificate signer ([NewFulcioSigner],
// [NewCASigner]) accept only a certificate whose OIDC issuer extension is
// issuer and whose one SAN (URI or email) is san, both compared byte for
// byte, for example "https://token.actions.githubusercontent.com" and
// "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
// (Fulcio's SAN for a GitHub Actions job); a certificate with any other
// SAN beside it (a DNS name, an IP address, a second URI or email) is
// refused too, and an otherName SAN (Fulcio's "username" issuers) cannot
// be pinned. Otherwise signing fails with
// [ErrCertificateIdentity]. Without it, a Fulcio signer requires the issuer
// extension to be its token's iss, and a CA signer checks no identity (it
// does not know one). [NewKeySigner] refuses it.
func WithCertificateIdentity(issuer, san string) Option {
	return func(c *config) error {
		if issuer == "" || san == "" {
			return errors.New("WithCertificateIdentity: empty issuer or SAN")
		}
		c.certID = &certIdentity{issuer: issuer, san: san}
		return nil
	}
}

// WithClock sets the time source against which a certificate signer checks
// the validity of the certificates it is given (default time.Now): set it
// to the certificate authority's clock when that one is not the wall
// clock (a test, a replay).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("WithClock: nil clock")
		}
		c.now = now
		return nil
	}
}

// WithTrustedRoot makes a certificate signer accept only a certificate that
// chains, now, to a certificate authority of tm (its
// FulcioCertificateAuthorities, each within its validity period), as a
// verifier holding tm would check it; otherwise signing fails with
// [ErrCertificateChain]. When tm names timestamp authorities, every RFC
// 3161 timestamp must also verify under one of them
// ([ErrUntrustedTimestamp]). A misrouted or impersonated certificate authority
// (a plain-http Fulcio URL, a proxy) cannot then have the signer produce
// bundles its verifiers refuse. [NewKeySigner] refuses it.
func WithTrustedRoot(tm root.TrustedMaterial) Option {
	return func(c *config) error {
		if tm == nil {
			return errors.New("WithTrustedRoot: nil trusted material")
		}
		c.trusted = tm
		return nil
	}
}

type certIdentity struct{ issuer, san string }

// certCheck is what a signer requires of the certificate its issuer
// returns, besides certifying its key.
type certCheck struct {
	issuer  string // the issuer extension's value; "" checks none
	san     string // the one SAN; "" checks none
	trusted root.TrustedMaterial
	now     func() time.Time
	refuse  error // set: every certificate is refused with it
}

func (c *config) certCheck() certCheck {
	k := certCheck{trusted: c.trusted, now: c.now}
	if c.certID != nil {
		k.issuer, k.san = c.certID.issuer, c.certID.san
	}
	return k
}

// forToken returns k expecting the issuer extension to be tok's iss unless
// an identity was configured. With a token whose iss cannot be read, no
// certificate can be checked, and each is refused (the request is still
// sent: the certificate authority's refusal of such a token is the more
// useful error).
func (k certCheck) forToken(tok string) certCheck {
	if k.issuer != "" {
		return k
	}
	iss, err := tokenIssuer(tok)
	if err != nil {
		k.refuse = err
		return k
	}
	k.issuer = iss
	return k
}

// tokenIssuer reads the iss of a JWT without verifying it: it is the
// signer's own token, read only to know which certificate to expect.
func tokenIssuer(tok string) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || base64.RawURLEncoding.DecodedLen(len(parts[1])) > maxTokenPayload {
		return "", fmt.Errorf("%w: the identity token is not a JWT, so no issuer can be expected", ErrCertificateIdentity)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", fmt.Errorf("%w: the identity token is not a JWT, so no issuer can be expected", ErrCertificateIdentity)
	}
	var claims struct {
		Iss any `json:"iss"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", fmt.Errorf("%w: the identity token's claims are unreadable, so no issuer can be expected", ErrCertificateIdentity)
	}
	iss, ok := claims.Iss.(string)
	if !ok || iss == "" {
		return "", fmt.Errorf("%w: the identity token has no iss, so no issuer can be expected", ErrCertificateIdentity)
	}
	return iss, nil
}

// check accepts der only if it is a code-signing leaf for pub, valid now,
// naming the expected identity and chaining to the trusted root, when
// those are set. sigstore-go puts whatever the issuer answers in the
// bundle and checks nothing (it has no trusted root here): a certificate
// for another key or identity would make a bundle that names someone else
// than the signer, or one no verifier accepts, reported as a success.
func (k certCheck) check(der []byte, pub crypto.PublicKey) error {
	if k.refuse != nil {
		return k.refuse
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrForeignCertificate, err)
	}
	if kp, ok := pub.(interface{ Equal(crypto.PublicKey) bool }); !ok || !kp.Equal(cert.PublicKey) {
		return ErrForeignCertificate
	}
	if cert.IsCA || (cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageDigitalSignature == 0) || !codeSigning(cert) {
		return ErrCertificateUsage
	}
	now := k.now()
	if now.Add(CertificateClockSkew).Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return fmt.Errorf("%w: valid from %s to %s, now %s", ErrCertificateValidity,
			cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if k.issuer != "" {
		if err := checkIssuerExtension(cert, k.issuer); err != nil {
			return err
		}
	}
	if k.san != "" {
		sans := make([]string, 0, len(cert.URIs)+len(cert.EmailAddresses))
		for _, u := range cert.URIs {
			sans = append(sans, u.String())
		}
		sans = append(sans, cert.EmailAddresses...)
		if len(sans) != 1 || len(cert.DNSNames) != 0 || len(cert.IPAddresses) != 0 || sans[0] != k.san {
			return fmt.Errorf("%w: SAN %s, want %s", ErrCertificateIdentity, clip.Quote(strings.Join(sans, ","), 120), clip.Quote(k.san, 120))
		}
	}
	if k.trusted != nil {
		at := now
		if at.Before(cert.NotBefore) {
			at = cert.NotBefore // within CertificateClockSkew, checked above
		}
		trusted := false
		for _, a := range k.trusted.FulcioCertificateAuthorities() {
			if _, err := a.Verify(cert, at); err == nil {
				trusted = true
				break
			}
		}
		if !trusted {
			return ErrCertificateChain
		}
	}
	return nil
}

func codeSigning(cert *x509.Certificate) bool {
	for _, u := range cert.ExtKeyUsage {
		if u == x509.ExtKeyUsageCodeSigning {
			return true
		}
	}
	return false
}

// checkIssuerExtension requires Fulcio's OIDC issuer extension (v2, a DER
// UTF8String; v1, raw bytes) to be want: at least one present, and each
// one present equal to it.
func checkIssuerExtension(cert *x509.Certificate, want string) error {
	seen := false
	for _, e := range cert.Extensions {
		var got string
		switch {
		case e.Id.Equal(ca.OIDIssuerV2):
			rest, err := asn1.UnmarshalWithParams(e.Value, &got, "utf8")
			if err != nil || len(rest) != 0 {
				return fmt.Errorf("%w: unreadable issuer extension", ErrCertificateIdentity)
			}
		case e.Id.Equal(ca.OIDIssuer):
			got = string(e.Value)
		default:
			continue
		}
		if got != want {
			return fmt.Errorf("%w: issuer %s, want %s", ErrCertificateIdentity, clip.Quote(got, 120), clip.Quote(want, 120))
		}
		seen = true
	}
	if !seen {
		return fmt.Errorf("%w: no issuer extension, want %s", ErrCertificateIdentity, clip.Quote(want, 120))
	}
	return nil
}

// checkTimesInValidity accepts times (see bundleTimes) only if each lies
// within the validity of certDER, the bundle's certificate (nil: none), as
// verifiers require: a bundle with a timestamp outside it never verifies.
func checkTimesInValidity(certDER []byte, times []time.Time) error {
	if certDER == nil {
		return nil
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrForeignCertificate, err)
	}
	for _, t := range times {
		if t.Before(cert.NotBefore) || t.After(cert.NotAfter) {
			return fmt.Errorf("%w: a timestamp at %s is outside %s to %s", ErrCertificateValidity,
				t.UTC().Format(time.RFC3339), cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// checkTrustedTimestamps accepts pb only if every RFC 3161 timestamp in it
// verifies under one of tm's timestamp authorities (none named: no check).
func checkTrustedTimestamps(pb *protobundle.Bundle, tm root.TrustedMaterial) error {
	if tm == nil || len(tm.TimestampingAuthorities()) == 0 {
		return nil
	}
	sigs := pb.GetDsseEnvelope().GetSignatures()
	if len(sigs) != 1 {
		return fmt.Errorf("%w: %d signatures in the envelope, want 1", ErrForeignTimestamp, len(sigs))
	}
	for i, ts := range pb.GetVerificationMaterial().GetTimestampVerificationData().GetRfc3161Timestamps() {
		trusted := false
		for _, a := range tm.TimestampingAuthorities() {
			if _, err := a.Verify(ts.GetSignedTimestamp(), sigs[0].GetSig()); err == nil {
				trusted = true
				break
			}
		}
		if !trusted {
			return fmt.Errorf("%w: timestamp %d", ErrUntrustedTimestamp, i)
		}
	}
	return nil
}

// bundleTimes is every time pb's evidence says it was signed at: each RFC
// 3161 timestamp's genTime and each log entry's integrated time (Rekor v1).
// checkTimestamps has parsed the timestamps.
func bundleTimes(pb *protobundle.Bundle) []time.Time {
	var out []time.Time
	for _, ts := range pb.GetVerificationMaterial().GetTimestampVerificationData().GetRfc3161Timestamps() {
		if tok, err := timestamp.ParseResponse(ts.GetSignedTimestamp()); err == nil {
			out = append(out, tok.Time)
		}
	}
	for _, e := range pb.GetVerificationMaterial().GetTlogEntries() {
		if it := e.GetIntegratedTime(); it > 0 {
			out = append(out, time.Unix(it, 0))
		}
	}
	return out
}
