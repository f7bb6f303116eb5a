package verify

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"

	"github.com/ztci/ztci/attest"
)

// Names of the checks a Result lists as passed, in the order they run.
const (
	CheckBundle        = "bundle"            // well-formed bundle
	CheckTlog          = "tlog"              // transparency-log inclusion (threshold met)
	CheckTimestamp     = "timestamp"         // signing time proven (threshold met)
	CheckChain         = "certificate-chain" // leaf chains to a trusted CA at every proven time
	CheckSCT           = "sct"               // embedded SCTs verify against a trusted CT log
	CheckKey           = "key"               // keyed bundle: the expected or trusted key
	CheckSignature     = "signature"         // signature over the artifact or envelope
	CheckArtifact      = "artifact"          // the given artifact is what is signed
	CheckIdentity      = "identity"          // signer matches the expectation
	CheckPredicateType = "predicate-type"    // statement predicate type as expected
	CheckSLSA          = "provenance"        // SLSA provenance expectation met
)

// Signer kinds.
const (
	SignerCertificate = "certificate"
	SignerKey         = "key"
)

// What proved a signing time.
const (
	TimeByTlog = "tlog" // a transparency log's integrated time
	TimeByTSA  = "tsa"  // an RFC 3161 timestamp authority
)

// Result is what a successful Verify proves. It holds no sigstore-go or
// protobuf types; its JSON form is stable.
type Result struct {
	// MediaType is the bundle's media type (its version).
	MediaType string `json:"mediaType"`
	// Artifact is the verified artifact digest, "alg:hex".
	Artifact string `json:"artifact"`
	// Statement is the signed in-toto statement (nil for a message signature).
	Statement *attest.Statement `json:"statement,omitempty"`
	// Signer is who signed.
	Signer SignerInfo `json:"signer"`
	// Times are the times the signature was proven to exist, and by what.
	Times []ProvenTime `json:"times"`
	// Checks lists the checks that passed (Check* constants).
	Checks []string `json:"checks"`
}

// SignerInfo describes the verified signer.
type SignerInfo struct {
	Kind string `json:"kind"` // SignerCertificate or SignerKey
	// SAN is the certificate's subject alternative name.
	SAN string `json:"san,omitempty"`
	// Issuer is the OIDC issuer from the certificate.
	Issuer string `json:"issuer,omitempty"`
	// CertificateIssuer is the issuing CA's distinguished name.
	CertificateIssuer string `json:"certificateIssuer,omitempty"`
	// Claims are the certificate's Fulcio CI claims.
	Claims Claims `json:"claims"`
	// KeyHint names the key of a keyed bundle: for a PublicKey
	// expectation, the pinned key's [KeyFingerprint], whatever hint the
	// bundle carries (the hint is not signed); for trust material that
	// holds keys by hint, the hint that selected the key, which the
	// bundle chose: name the key by KeyFingerprint.
	KeyHint string `json:"keyHint,omitempty"`
	// KeyFingerprint is the [KeyFingerprint] of the key that verified a
	// keyed bundle: the pinned key, or the key the trust material answered
	// for the bundle's hint. Unlike a hint, which the bundle chooses and a
	// material may ignore, it names the key itself: code counting signers
	// (verify/image's k-of-n) counts one key once.
	KeyFingerprint string `json:"keyFingerprint,omitempty"`
}

// ProvenTime is one proven signing time.
type ProvenTime struct {
	Time time.Time `json:"time"`
	By   string    `json:"by"` // TimeByTlog or TimeByTSA
	URI  string    `json:"uri,omitempty"`
}

func (s SignerInfo) String() string {
	if s.Kind == SignerKey {
		if s.KeyHint != "" {
			return "key " + s.KeyHint
		}
		return "key"
	}
	return s.SAN + " (issuer " + s.Issuer + ")"
}

// String renders the result for a human, one fact per line. What the
// certificate and the statement say (signer, claims, predicate type) is
// clipped to 512 bytes each and quoted unless printable ASCII, so that a
// terminal or log shows it as text.
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "verified %s\n", r.Artifact)
	fmt.Fprintf(&b, "  bundle:    %s\n", clipText(r.MediaType, maxValueText))
	fmt.Fprintf(&b, "  signer:    %s\n", clipText(r.Signer.String(), maxValueText))
	for _, f := range r.Signer.Claims.fields() {
		if f[1] != "" {
			fmt.Fprintf(&b, "    %s: %s\n", f[0], clipText(f[1], maxValueText))
		}
	}
	for _, t := range r.Times {
		fmt.Fprintf(&b, "  signed at: %s (proven by %s", t.Time.Format(time.RFC3339), t.By)
		if t.URI != "" {
			fmt.Fprintf(&b, " %s", clipText(t.URI, maxValueText))
		}
		b.WriteString(")\n")
	}
	if r.Statement != nil {
		fmt.Fprintf(&b, "  statement: %s, %d subject(s)\n", clipText(r.Statement.PredicateType, maxValueText), len(r.Statement.Subject))
	}
	fmt.Fprintf(&b, "  checks:    %s\n", strings.Join(r.Checks, ", "))
	return b.String()
}

func signerFromSummary(s *certificate.Summary) SignerInfo {
	e := s.Extensions
	return SignerInfo{
		Kind:              SignerCertificate,
		SAN:               s.SubjectAlternativeName,
		Issuer:            e.Issuer,
		CertificateIssuer: s.CertificateIssuer,
		Claims: Claims{
			BuildSignerURI:                      e.BuildSignerURI,
			BuildSignerDigest:                   e.BuildSignerDigest,
			RunnerEnvironment:                   e.RunnerEnvironment,
			SourceRepositoryURI:                 e.SourceRepositoryURI,
			SourceRepositoryDigest:              e.SourceRepositoryDigest,
			SourceRepositoryRef:                 e.SourceRepositoryRef,
			SourceRepositoryIdentifier:          e.SourceRepositoryIdentifier,
			SourceRepositoryOwnerURI:            e.SourceRepositoryOwnerURI,
			SourceRepositoryOwnerIdentifier:     e.SourceRepositoryOwnerIdentifier,
			BuildConfigURI:                      e.BuildConfigURI,
			BuildConfigDigest:                   e.BuildConfigDigest,
			BuildTrigger:                        e.BuildTrigger,
			RunInvocationURI:                    e.RunInvocationURI,
			SourceRepositoryVisibilityAtSigning: e.SourceRepositoryVisibilityAtSigning,
		},
	}
}

// KeyFingerprint is the key id of pub as Sigstore bundles hint at it and as
// ztci's attest package writes the hint: the standard base64 of the SHA-256
// of its PKIX (DER) encoding. It is what [SignerInfo.KeyHint] reports for a
// PublicKey expectation, and the id to revoke a key by.
func KeyFingerprint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}
