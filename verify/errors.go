package verify

import (
	"errors"
	"fmt"

	"github.com/ztci/ztci/internal/clip"
)

// maxValueText bounds each value an error repeats (a SAN, an issuer, a
// claim, a subject digest, a provenance field): certificates, statements
// and bundles are untrusted input, and errors reach logs and audit events.
// The error's fields keep the whole value.
const maxValueText = 512

// maxCauseText bounds the text of an underlying (sigstore-go, x509, JSON)
// error that a stage error repeats.
const maxCauseText = 1024

// clipText returns s as it is when it is at most n bytes of printable
// ASCII, otherwise quoted (no control character survives) and clipped to n
// bytes: for untrusted text written out unquoted.
func clipText(s string, n int) string { return clip.Error(errors.New(s), n).Error() }

// ErrVerification is the root of every error this package returns: whatever
// went wrong, errors.Is(err, ErrVerification) holds and the caller must deny.
var ErrVerification = errors.New("verify: not verified")

// Sentinels for each category of failure. Each wraps ErrVerification.
var (
	// ErrInvalidExpectation: the caller's expectations or options are
	// missing or inconsistent (refused before looking at any bundle).
	ErrInvalidExpectation = fmt.Errorf("%w: invalid expectation", ErrVerification)
	// ErrConfig: New was given an unusable Option or a nil one. It is an
	// ErrInvalidExpectation, as option errors were before it existed.
	ErrConfig = fmt.Errorf("%w: invalid option", ErrInvalidExpectation)
	// ErrTrustMaterial: a trusted root could not be read or parsed.
	ErrTrustMaterial = fmt.Errorf("%w: invalid trust material", ErrVerification)
	// ErrMalformedBundle: the bundle is not a well-formed Sigstore bundle
	// (JSON, base64, unknown media type, missing required parts).
	ErrMalformedBundle = fmt.Errorf("%w: malformed bundle", ErrVerification)
	// ErrAmbiguousJSON: the bundle, or the in-toto statement it signs,
	// repeats a JSON member, holds two member names of one object that
	// differ only in case, or spells a registered statement or SLSA name in
	// another case. Readers disagree on such documents (encoding/json folds
	// case and keeps the last repeat), so what is verified here could differ
	// from what another tool or a policy reads. It wraps [ErrMalformedBundle].
	ErrAmbiguousJSON = fmt.Errorf("%w: ambiguous JSON member names", ErrMalformedBundle)
	// ErrTlog: no transparency-log entry could be verified (inclusion
	// proof, checkpoint, signed entry timestamp, entry body) or too few were.
	ErrTlog = fmt.Errorf("%w: transparency log", ErrVerification)
	// ErrTimestamp: the signature's time could not be proven: an RFC 3161
	// timestamp is invalid or untrusted, or fewer than the threshold exist.
	ErrTimestamp = fmt.Errorf("%w: missing or invalid timestamp", ErrVerification)
	// ErrUntrustedChain: the signing certificate does not chain to a trusted
	// CA at the proven time, or a signing key is outside its validity.
	ErrUntrustedChain = fmt.Errorf("%w: untrusted certificate chain", ErrVerification)
	// ErrCertificateTransparency: the certificate's embedded SCTs do not
	// verify against a trusted CT log.
	ErrCertificateTransparency = fmt.Errorf("%w: certificate transparency", ErrVerification)
	// ErrSignature: the signature over the artifact or envelope is invalid
	// for the signer's key.
	ErrSignature = fmt.Errorf("%w: invalid signature", ErrVerification)
	// ErrArtifactMismatch: the bundle signs a different artifact (see
	// *ArtifactMismatchError).
	ErrArtifactMismatch = fmt.Errorf("%w: artifact mismatch", ErrVerification)
	// ErrIdentityMismatch: the signer is not the expected one (see
	// *IdentityMismatchError).
	ErrIdentityMismatch = fmt.Errorf("%w: signer identity mismatch", ErrVerification)
	// ErrPredicateTypeMismatch: the statement's predicate type is not the
	// expected one, or the bundle carries no statement when one is expected.
	ErrPredicateTypeMismatch = fmt.Errorf("%w: predicate type mismatch", ErrVerification)
	// ErrProvenanceMismatch: the SLSA provenance does not satisfy the
	// caller's Provenance expectation (see *ProvenanceMismatchError).
	ErrProvenanceMismatch = fmt.Errorf("%w: provenance mismatch", ErrVerification)
)

// IdentityMismatchError says which part of the signer's identity differed.
// Field is one of "san", "issuer", a Claims JSON field name (for example
// "sourceRepositoryURI"), or "signer-kind" (certificate expected, key found
// or the reverse). Want and Got hold whole values, which may come from the
// certificate (untrusted until matched); Error quotes each and clips it to
// 512 bytes, for logs and audit events.
type IdentityMismatchError struct {
	Field string
	Want  string
	Got   string
}

func (e *IdentityMismatchError) Error() string {
	return fmt.Sprintf("verify: signer %s: want %s, got %s", e.Field, clip.Quote(e.Want, maxValueText), clip.Quote(e.Got, maxValueText))
}

// Is makes errors.Is(err, ErrIdentityMismatch) hold.
func (e *IdentityMismatchError) Is(target error) bool {
	return target == ErrIdentityMismatch || target == ErrVerification
}

// ArtifactMismatchError carries the artifact digest the caller gave (Want)
// and what the bundle signs (Got), each as "alg:hex" (Got lists every subject
// of a statement, comma-separated). A statement is read for Got only once
// its signature verified (a statement changed after signing is
// ErrSignature); a message signature's digest is read as the bundle states
// it. Error clips each to 512 bytes (quoted unless printable ASCII).
type ArtifactMismatchError struct {
	Want string
	Got  string
	// Err is the underlying verifier error, if any.
	Err error
}

func (e *ArtifactMismatchError) Error() string {
	return fmt.Sprintf("verify: artifact mismatch: want %s, bundle signs %s", clipText(e.Want, maxValueText), clipText(e.Got, maxValueText))
}

// Is makes errors.Is(err, ErrArtifactMismatch) hold.
func (e *ArtifactMismatchError) Is(target error) bool {
	return target == ErrArtifactMismatch || target == ErrVerification
}

// Unwrap returns the underlying verifier error.
func (e *ArtifactMismatchError) Unwrap() error { return e.Err }

// PredicateTypeMismatchError carries the expected and the found predicate
// type ("" when the bundle holds a message signature, not a statement).
// Error quotes each and clips it to 512 bytes.
type PredicateTypeMismatchError struct {
	Want string
	Got  string
}

func (e *PredicateTypeMismatchError) Error() string {
	return fmt.Sprintf("verify: predicate type: want %s, got %s", clip.Quote(e.Want, maxValueText), clip.Quote(e.Got, maxValueText))
}

// Is makes errors.Is(err, ErrPredicateTypeMismatch) hold.
func (e *PredicateTypeMismatchError) Is(target error) bool {
	return target == ErrPredicateTypeMismatch || target == ErrVerification
}

// ProvenanceMismatchError says which provenance field differed. Field is one
// of "builder.id", "buildType", "source.repository", "source.ref",
// "source.versionTag", "externalParameters.<key>", "predicate", or "source"
// (the provenance names two sources; attest refuses to write one with
// attest.ErrProvenanceSources). Error quotes Want and Got and clips each to
// 512 bytes.
type ProvenanceMismatchError struct {
	Field string
	Want  string
	Got   string
}

func (e *ProvenanceMismatchError) Error() string {
	return fmt.Sprintf("verify: provenance %s: want %s, got %s", clipText(e.Field, maxValueText), clip.Quote(e.Want, maxValueText), clip.Quote(e.Got, maxValueText))
}

// Is makes errors.Is(err, ErrProvenanceMismatch) hold.
func (e *ProvenanceMismatchError) Is(target error) bool {
	return target == ErrProvenanceMismatch || target == ErrVerification
}

// KeyAlgorithmError reports a PublicKey whose algorithm pin does not fit
// its key: Ed25519ph set on a key that is not Ed25519. New returns it
// rather than verify with an algorithm the caller did not ask for.
type KeyAlgorithmError struct {
	Algorithm string // the pinned algorithm, "Ed25519ph"
	Key       string // the key's Go type, for example "*ecdsa.PublicKey"
}

func (e *KeyAlgorithmError) Error() string {
	return fmt.Sprintf("verify: %s needs an Ed25519 key, got %s", e.Algorithm, e.Key)
}

// Is makes errors.Is(err, ErrInvalidExpectation) hold.
func (e *KeyAlgorithmError) Is(target error) bool {
	return target == ErrInvalidExpectation || target == ErrVerification
}

// stageError wraps an underlying (sigstore-go) error under one of our
// sentinels, keeping both reachable through errors.Is/As.
type stageError struct {
	kind error
	msg  string
	err  error
}

// Error clips the underlying error's text: sigstore-go, x509 and JSON
// errors can repeat what the bundle holds. msg is this package's own text,
// with any untrusted value in it clipped where it is written.
func (e *stageError) Error() string {
	if e.err == nil {
		return e.kind.Error() + ": " + e.msg
	}
	return e.kind.Error() + ": " + e.msg + ": " + clip.Error(e.err, maxCauseText).Error()
}

func (e *stageError) Unwrap() []error {
	if e.err == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.err}
}

func stageErr(kind error, msg string, err error) error {
	return &stageError{kind: kind, msg: msg, err: err}
}
