// Package attest produces what a CI job signs: in-toto v1 Statements about
// its artifacts, with SLSA provenance, SBOM, test-result or custom
// predicates, signed into Sigstore bundles (v0.3, DSSE).
//
// # Statements
//
// Statement, ResourceDescriptor and DigestSet are plain Go types whose
// encoding/json form is exactly the in-toto v1 JSON (_type, predicateType);
// the upstream protobuf type is deliberately not part of this API.
// ParseStatement is strict: one JSON object, no duplicate keys, exact field
// names, the in-toto validation rules. Errors wrap ErrInvalidStatement and a
// finer sentinel (ErrSubjectRequired, ErrDigestLength, ...), so callers use
// errors.Is.
//
// Digest semantics: named standard algorithms carry lowercase hex of their
// exact length; git object digests (gitCommit, gitTree, gitBlob, gitTag) may
// be SHA-1 (40) or SHA-256 (64) hex, as in the current spec text (the
// released upstream Go library v1.2.0 accepts only 40). Algorithms the spec
// does not name are accepted in a DigestSet and ignored, as the spec
// requires; ParseDigest, used for "sha256:<hex>" strings, accepts only named
// algorithms.
package attest
