// Package vsa writes and strictly reads SLSA Verification Summary
// Attestations v1 (predicate type https://slsa.dev/verification_summary/v1):
// the statement a verifier signs to say that it verified an artifact, when,
// against which policy, from which attestations, with what result and at
// which SLSA levels. A later verifier that trusts the signer can take that
// decision instead of verifying again; policy/gate emits one after every
// allow and accepts those of verifiers it is told to trust
// (gate.WithVSA, gate.WithTrustedVSAs).
//
// # Model
//
// A [Summary] holds the predicate's fields with the specification's
// meaning: [Verifier] (id URI, optional component versions), TimeVerified,
// ResourceURI, Policy and InputAttestations (in-toto ResourceDescriptors),
// [Result] ([Passed] or [Failed]), VerifiedLevels, DependencyLevels and
// SLSAVersion. The policy revision that decided, which the specification
// has no field for, rides in the policy descriptor's
// [AnnotationPolicyRevision] annotation ([Summary.PolicyRevision]).
//
//	st, err := attest.NewStatement(
//		[]attest.ResourceDescriptor{{Name: repo, Digest: attest.DigestSet{"sha256": hex}}},
//		vsa.Predicate(vsa.Summary{...}))
//	bundle, err := attest.Sign(ctx, signer, st)
//	// later, on the payload of a verified bundle:
//	s, err := vsa.FromStatement(result.Statement)
//
// # Reading untrusted summaries
//
// [ParsePredicate] and [FromStatement] read third-party VSAs (slsa-verifier
// and the BCID verifier write this format; testdata holds a real one) and
// refuse, with a [*FieldError] wrapping [ErrInvalid]:
//
//   - input over [MaxSize], an object of more members than its size
//     allows (more than 1024, plus one per 32 bytes of it:
//     [ErrTooLarge]), invalid UTF-8, anything but one JSON object,
//     repeated members or members spelt like the specification's in another
//     case, at any depth ([ErrMalformed]), wrong JSON types, non-integer
//     dependency counts;
//   - a missing verifier.id, timeVerified, resourceUri, policy.uri,
//     verificationResult or verifiedLevels, or an input attestation without
//     a digest ([ErrMissingField]) — all required by the specification;
//   - a result other than PASSED or FAILED, two levels of one SLSA track,
//     a value starting with "SLSA_" that is no SLSA level, "FAILED" beside
//     a level or with a PASSED result, a custom level (or dependencyLevels
//     key) spelt like an SLSA level or FAILED in another case
//     ("slsa_build_level_3", "failed"), or with surrounding space or a
//     character that is not printable, a negative count, an slsaVersion
//     other than 1.<minor>, a URI field that is not an absolute URI or
//     holds invalid UTF-8 or a character that is not printable (a C1
//     control, a bidirectional override, a zero-width or no-break space)
//     ([ErrBadValue]);
//   - a member that is neither one of the specification's nor an extension
//     named by an absolute URI ([ErrUnknownField]).
//
// The last rule is stricter than the specification, which asks consumers
// to ignore unrecognized fields and allows producers URI-named extensions:
// a summary is a decision a consumer may act on without looking further, so
// a member it does not understand (a field of a later minor version that
// narrows what was verified, or a misspelt one) is refused rather than
// silently dropped. URI-named extensions are accepted and ignored. The
// policy and inputAttestations entries are in-toto ResourceDescriptors,
// read by attest's rules (their unknown members are ignored).
//
// # Third-party summaries
//
// [VerifyThirdParty] is slsa-verifier verify-vsa in a function: it takes a
// raw DSSE envelope (not a Sigstore bundle) signed by a verifier's public
// key (ECDSA, RSA or Ed25519, its key id pinned or derived as
// slsa-verifier derives it, [KeyFingerprint]) and checks, in
// slsa-verifier's order, the signature, the in-toto Statement v1, the
// predicate type, that every expected subject digest is in a subject, the
// verifier.id, the resourceUri, a PASSED result and that the expected
// levels are covered (SLSA_<TRACK>_LEVEL_n by a level of that track at
// least n, any other value by itself), and, when asked
// ([ThirdPartyExpectations.MaxAge]), freshness. Each failed check is a
// sentinel under [ErrUnverified], a comparison a [*CheckError] with the
// wanted and found values. It is stricter than slsa-verifier: unknown,
// repeated or case-varied envelope members, a legacy Statement v0.1 and
// every predicate ParsePredicate refuses are refused; the envelope is
// bounded by [MaxEnvelopeSize].
//
//	v, err := vsa.VerifyThirdParty(ctx, envelope, vsa.ThirdPartyExpectations{
//		Key: pub, KeyID: "keystore://…", SubjectDigests: attest.DigestSet{"sha256": hex},
//		VerifierID: "https://verifier.example/v1", ResourceURI: uri,
//		VerifiedLevels: []string{"SLSA_BUILD_LEVEL_2"}, MaxAge: 24 * time.Hour,
//	})
//
// # Security contract
//
// Nothing here verifies a signature or a subject. A Summary is evidence
// about an artifact only when the Statement carrying it verified as signed
// by an identity the consumer accepts for that verifier.id (the
// specification: consumers MUST accept only specific signer-verifier
// pairs), its subject digest is the artifact's, its result is PASSED, its
// policy is one the consumer accepts and it is fresh enough; policy/gate
// checks all of these, and revocation of the signer, before it relies on
// one. [VerifyThirdParty] is the exception that checks everything the
// consumer pins (key, key id, subjects, verifier, resource, result,
// levels, age) and nothing else: the policy a third party verified
// against is its own, named only by policy.uri, and a key is trusted for
// exactly the verifier.id it is pinned beside. [Predicate] validates what
// it writes by the same rules and reads its encoding back with
// [ParsePredicate] (two annotation names equal under case folding are seen
// only there), so this package never writes a summary it would refuse to
// read. Error messages quote at most 64 bytes of untrusted input, and
// never its control characters.
package vsa
