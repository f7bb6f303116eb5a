// Package verify decides, offline, whether a Sigstore bundle proves that an
// artifact is what it claims: signed by the expected identity (or key),
// logged, timestamped, and — for attestations — carrying the expected
// in-toto statement and SLSA provenance.
//
// # Main types
//
//   - Trust material is sigstore-go's root.TrustedMaterial: PublicGood (an
//     embedded snapshot of the public-good trusted root, see
//     PublicGoodSnapshot), ParseTrustedRoot / LoadTrustedRoot for any
//     trusted_root.json, and NewTrust to combine several (refusing
//     materials that describe one Rekor or CT log id with another key,
//     validity period or hash, rather than letting argument order pick
//     one). A Verifier on a combined Trust verifies each bundle under one
//     root alone: only the logs and TSAs of the root whose CA issued the
//     certificate prove its signing time (keyed bundles use the merged
//     material), and a key id held by two materials is refused.
//     Nothing here
//     fetches a root; a TUF-refreshed root is an explicit choice of the
//     caller: verify/tuf refreshes one (offline first, fail closed at
//     metadata expiry) and its Live rebuilds Verifiers only when the root
//     changes, so the verification path never touches the network.
//   - Expectation says what must be true: the Signer (Identity: SAN or
//     regexp, OIDC issuer, Fulcio CI Claims; or PublicKey), the
//     PredicateType, and optionally Provenance (SLSA builder, build type,
//     source, external parameters — kept apart from the signer).
//   - New(trust, expect, opts...) builds a Verifier; Verifier.Verify(ctx,
//     bundleJSON, artifact) checks one bundle (v0.1, v0.2, v0.3; message
//     signature or DSSE) for an Artifact (ArtifactBytes, ArtifactReader,
//     ArtifactDigest) and returns a *Result: the verified *attest.Statement,
//     the signer and its claims, the proven times and what proved them, and
//     the checks passed (JSON and String forms). Verifier.PinnedKey names
//     the key a PublicKey expectation pins, and a keyed Result's
//     SignerInfo.KeyFingerprint the key that verified it (pinned, or the
//     trust material's answer to the bundle's hint), so that code counting
//     signers across Verifiers (verify/image's k-of-n) counts a key once.
//
// # Example
//
//	trust, _ := verify.PublicGood()
//	v, err := verify.New(trust, verify.Expectation{
//		Signer: verify.Identity{
//			SAN:    "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main",
//			Issuer: "https://token.actions.githubusercontent.com",
//		},
//		PredicateType: attest.PredicateSLSAProvenanceV1,
//		Provenance:    &verify.Provenance{BuilderID: "https://github.com/org/builder/.github/workflows/build.yml"},
//	})
//	res, err := v.Verify(ctx, bundleJSON, verify.ArtifactBytes(artifact))
//	if err != nil { /* deny */ }
//
// # Security contract
//
//   - Fail closed: any error means "not verified"; every error matches
//     errors.Is(err, ErrVerification) and one category sentinel
//     (ErrMalformedBundle, ErrTlog, ErrTimestamp, ErrUntrustedChain,
//     ErrCertificateTransparency, ErrSignature, ErrArtifactMismatch,
//     ErrIdentityMismatch, ErrPredicateTypeMismatch, ErrProvenanceMismatch,
//     ErrInvalidExpectation, ErrTrustMaterial). Mismatch errors are typed
//     (*IdentityMismatchError, *ArtifactMismatchError, …) with Want and Got.
//     What a certificate, statement or bundle says reaches an error's text,
//     the debug log and audit events clipped to 512 bytes per value (and
//     quoted unless printable ASCII), as does Result.String; the typed
//     errors' fields and the Result keep whole values.
//   - Expectations are required: New refuses a missing signer unless
//     WithAnySignerUnsafe, and an empty PredicateType admits only message
//     signatures unless WithAnyPredicateTypeUnsafe. Regexps are anchored,
//     and must parse on their own, so that no ')' in one can close the
//     anchoring group and escape it. A SAN holding more than one '@'
//     matches only an exact SAN, never a SANRegexp: a branch named
//     "x@refs/tags/v1" would make a workflow's SAN match a pattern for tag
//     builds. A provenance's source URI splits into repository and ref at
//     the first '@' after its host, so that branch reads as itself, not as
//     the tag refs/tags/v1. A provenance that names its source in more
//     than one place (externalParameters.source, externalParameters.workflow,
//     the first resolved dependency, which slsa-verifier reads) must name
//     one repository, ref and commit in all of them, or it is refused
//     (*ProvenanceMismatchError, Field "source"). So must every later
//     resolved dependency on the source repository, in any spelling a
//     reader that normalises URLs takes for it ("…/%61cme/./app",
//     ":443", user information); one that is a URL on the source's host
//     that does not parse is refused too.
//   - One reading: a bundle, or the in-toto statement it signs, whose JSON
//     repeats a member, holds member names that differ only in case, or
//     spells a registered statement or SLSA name in another case is
//     refused (ErrAmbiguousJSON, inside ErrMalformedBundle), so that what
//     is verified here is what every other reader sees. The same holds for
//     the signing certificate: one with more than one subject alternative
//     name, or with a deprecated Fulcio extension (issuer .1; GitHub's
//     trigger .2, commit .3, repository .5, ref .6) that contradicts its
//     replacement, names two signers and is refused
//     (*IdentityMismatchError), whatever the expectation. Its one SAN must
//     also be of the type its text is (an absolute URI a URI SAN, an email
//     address an rfc822Name, anything else Fulcio's username otherName),
//     or it is refused (*IdentityMismatchError, Field "san-type"): a SAN is
//     matched as text, and "alice@example.com" certified as a URI or a
//     username is not Alice's email identity, nor a workflow URI certified
//     as an email the workflow. sigstore-go and cosign match SANs as text
//     of any type.
//   - One artifact per subject: a statement verifies for an artifact only
//     when one of its subjects names it and no subject naming it also names
//     another artifact by a second digest (sha256, sha384 or sha512) that
//     can be computed here: all three for ArtifactBytes and ArtifactReader,
//     the one given for ArtifactDigest. Otherwise *ArtifactMismatchError,
//     whichever digest sigstore-go compared. A DSSE envelope whose
//     payloadType is not in-toto's is ErrMalformedBundle.
//   - No network: verification uses only the trust material given.
//   - No algorithm confusion: a PublicKey verifies with the one signature
//     algorithm pinned with it, never one the bundle names. For an ECDSA
//     key that is its curve's hash (SHA-256 for P-256, SHA-384 for P-384,
//     SHA-512 for P-521), as cosign v2.6 and later sign: a P-384 or P-521
//     signature over SHA-256 is refused. For an Ed25519
//     key that is pure Ed25519 unless PublicKey.Ed25519ph pins Ed25519ph
//     (what cosign v2.6 and later sign with an Ed25519 key); each refuses
//     the other, and Ed25519ph on another key type is a *KeyAlgorithmError
//     from New. A message signature's digest algorithm, a label its
//     signature does not cover, must be SHA2_256, SHA2_384 or SHA2_512
//     (else ErrMalformedBundle), so that a SHA3 or unspecified label is not
//     read as SHA-256 for a digest and refused for the same artifact's bytes.
//   - Log entries say one thing: what sigstore-go verifies of a
//     transparency-log entry but does not bind is held to it before it
//     runs (else ErrTlog, from Verify and ValidateBundle). kindVersion must
//     be the body's kind and apiVersion. An inclusion proof must be of the
//     tree its checkpoint states (its size and root hash, an index inside
//     it): sigstore-go computes a Rekor v1 proof for the size and index the
//     proof states, so a proof restated to another tree shape of the same
//     root verified. A Rekor v1 body needs a Rekor v1 checkpoint and a Rekor
//     v2 body a Rekor v2 one (sigstore-go picks by the checkpoint's origin),
//     and a Rekor v2 proof must be of the body's own leaf at the entry's
//     index (sigstore-go proves an entry rebuilt from the bundle and never
//     reads the body). Entries under two log ids that the trust material
//     maps to one key are refused: an inclusion proof does not sign the log
//     id, and sigstore-go counts log ids toward WithTlogThreshold. An
//     entry proven by inclusion proof alone (every Rekor v2 entry, a Rekor
//     v1 entry without SET) counts only if its log key's validity period
//     in the trusted root holds a time the bundle proves: sigstore-go
//     checks that period only against a SET's integrated time, so a
//     retired log key kept proving inclusion. A timestamp authority's
//     signing key listed twice in a Trust counts once toward
//     WithSignedTimestampThreshold (see Trust).
//   - Cryptography is sigstore-go's verifier (transparency log inclusion and
//     checkpoints, SETs, RFC 3161 timestamps, certificate path at every
//     proven time, SCTs, signature, artifact). Two speed-ups never turn a
//     failure into a success: Trust verifies static intermediate → root
//     and TSA chains once, remembers successful leaf chains keyed by CA and
//     certificate bytes (re-checking every validity window at each proven
//     time) and successful timestamp verifications keyed by their exact
//     bytes (see Trust); WithResultCache remembers successful results only,
//     per Verifier (so per expectation), matched exactly on artifact digest
//     and bundle bytes, bounded (LRU), and only over static trust material
//     (a trusted root or a Trust): New refuses it with a refreshing root,
//     whose refresh a cached result would outlive.
//   - Audited (WithAudit): one event per Verify call, success or failure,
//     and a call whose event the sink does not accept fails with ErrAudit.
//     A wrapper that refuses input before calling Verify records that
//     refusal in the same event shape with Verifier.Refuse, and one that
//     checks the verified Result further does so inside the audited call
//     with Verifier.VerifyChecked (verify/blob does both), so that every
//     attempt is in the trail once and a refused Result is never audited
//     as a success.
package verify
