package attest

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// the top-level sentinels (ErrInvalidStatement, ErrInvalidDigest,
// ErrInvalidPredicate, ErrSigner, ErrSign); the finer sentinels are wrapped
// under them, so errors.Is works at either level.
var (
	// ErrInvalidStatement: the Statement breaks the in-toto v1 rules.
	ErrInvalidStatement = errors.New("attest: invalid in-toto statement")
	// ErrStatementType: _type is neither StatementTypeV1 nor StatementTypeV01.
	ErrStatementType = fmt.Errorf("%w: wrong _type", ErrInvalidStatement)
	// ErrSubjectRequired: the Statement has no subject.
	ErrSubjectRequired = fmt.Errorf("%w: at least one subject is required", ErrInvalidStatement)
	// ErrDigestRequired: a subject has no digest.
	ErrDigestRequired = fmt.Errorf("%w: every subject needs a digest", ErrInvalidStatement)
	// ErrDescriptorRequired: a ResourceDescriptor has none of name, uri, digest.
	ErrDescriptorRequired = fmt.Errorf("%w: a resource descriptor needs a name, uri or digest", ErrInvalidStatement)
	// ErrPredicateTypeRequired: predicateType is empty.
	ErrPredicateTypeRequired = fmt.Errorf("%w: predicateType is required", ErrInvalidStatement)
	// ErrPredicateRequired: predicate is missing or null.
	ErrPredicateRequired = fmt.Errorf("%w: predicate is required", ErrInvalidStatement)
	// ErrMalformedJSON: the input is not one well-formed JSON object of the
	// expected shape (including duplicate keys and trailing data).
	ErrMalformedJSON = fmt.Errorf("%w: malformed JSON", ErrInvalidStatement)
	// ErrTooLarge: the input exceeds MaxStatementSize.
	ErrTooLarge = fmt.Errorf("%w: too large", ErrInvalidStatement)

	// ErrInvalidDigest: a digest is unusable. It is also wrapped by
	// ErrInvalidStatement when found inside a Statement.
	ErrInvalidDigest = errors.New("attest: invalid digest")
	// ErrDigestEncoding: the value is not lowercase hex.
	ErrDigestEncoding = fmt.Errorf("%w: not lowercase hex", ErrInvalidDigest)
	// ErrDigestLength: the value has the wrong length for its algorithm
	// (see *DigestLengthError).
	ErrDigestLength = fmt.Errorf("%w: wrong length", ErrInvalidDigest)
	// ErrUnknownAlgorithm: the algorithm is not one this package computes or
	// accepts where a known algorithm is required.
	ErrUnknownAlgorithm = fmt.Errorf("%w: unknown algorithm", ErrInvalidDigest)
	// ErrAlgorithmSpelling: an algorithm name is another spelling of one the
	// in-toto spec names ("SHA-256", "sha256 ", "Sha256") or is not
	// printable ASCII: a verifier matching the spec's name and a person
	// reading this one would disagree about what the digest says.
	ErrAlgorithmSpelling = fmt.Errorf("%w: variant spelling of an algorithm name", ErrInvalidDigest)
)

// DigestLengthError reports a digest whose hex length does not fit its
// algorithm. It matches ErrDigestLength (and so ErrInvalidDigest).
type DigestLengthError struct {
	Algorithm string
	Want      []int // acceptable lengths in hex characters
	Got       int
}

func (e *DigestLengthError) Error() string {
	return fmt.Sprintf("attest: %s digest has %d hex characters, want %v", e.Algorithm, e.Got, e.Want)
}

// Is makes errors.Is(err, ErrDigestLength) and errors.Is(err, ErrInvalidDigest) hold.
func (e *DigestLengthError) Is(target error) bool {
	return target == ErrDigestLength || target == ErrInvalidDigest
}

// statementError wraps a finer cause (for example a digest error) under
// ErrInvalidStatement while keeping both matchable.
type statementError struct {
	where string
	err   error
}

func (e *statementError) Error() string {
	return "attest: invalid in-toto statement: " + e.where + ": " + e.err.Error()
}
func (e *statementError) Unwrap() []error {
	return []error{ErrInvalidStatement, e.err}
}
