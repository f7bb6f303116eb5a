// Package attest produces what a CI job signs: in-toto v1 Statements about
// its artifacts, with SLSA provenance, SBOM, test-result or custom
// predicates, signed into Sigstore bundles (v0.3, DSSE) that any Sigstore
// verifier accepts.
//
// # Statements
//
// Statement, ResourceDescriptor and DigestSet are plain Go types whose
// encoding/json form is exactly the in-toto v1 JSON (_type, predicateType);
// the upstream protobuf type is deliberately not part of this API.
// ParseStatement is strict: one JSON object, no duplicate keys (nor two
// keys equal under case folding, which case-insensitive readers such as
// slsa-verifier take the last of), exact field names (no case folding, and
// a lone member spelt like one in another case, "_TYPE", is refused), no
// more array elements than the document's size allows (ErrTooLarge: a
// signed `"subject":[{},{},…]` would cost a hundred times its size
// decoded), the in-toto validation rules. Errors wrap
// ErrInvalidStatement and a finer sentinel (ErrSubjectRequired,
// ErrDigestLength, ...), so callers use errors.Is. ParseProvenance, which
// decodes into the typed predicate, refuses a member of the predicate's
// own objects spelt in another case ("ID", "reſolvedDependencies") rather
// than read it as the real one.
//
// Digest semantics: named standard algorithms carry lowercase hex of their
// exact length; git object digests (gitCommit, gitTree, gitBlob, gitTag) may
// be SHA-1 (40) or SHA-256 (64) hex, as in the current spec text (the
// released upstream Go library v1.2.0 accepts only 40). Algorithms the spec
// does not name are accepted in a DigestSet and ignored, as the spec
// requires, unless the name is another spelling of one it does ("SHA-256",
// "sha256 ", "Sha256") or is not printable ASCII (ErrAlgorithmSpelling): a
// verifier matches the spec's name, a reviewer may read the variant as it;
// ParseDigest ("sha256:<hex>") and Sign require a named algorithm
// (ErrUnknownAlgorithm).
//
// Subjects come from files and readers (SubjectFromFile, SubjectFromReader:
// streaming SHA-256, SHA-384/512 on request, constant memory) or OCI
// descriptors (SubjectFromOCI). Predicates implement Predicate: *Provenance
// (SLSA v1.0), SPDX and CycloneDX (passed through, rejected when not what
// they claim), *TestResult and Custom.
//
// # Signing
//
// A Signer turns a DSSE payload into bundle JSON. BundleSigner, built on
// sigstore-go's sign package, comes in three kinds:
//
//   - NewKeySigner: any crypto.Signer (ECDSA P-256/384/521, Ed25519,
//     RSA ≥ 2048); the bundle carries a public-key hint.
//   - NewCASigner: an ephemeral key per signature, certified for a few
//     minutes by an embedded CA (package attest/ca) for the job's identity.
//   - NewFulcioSigner: keyless, through a Fulcio URL and an OIDC token.
//
// Certificate signers require a timestamp authority (the embedded one of
// package attest/tsa, or any RFC 3161 TSA with the Sigstore API) so bundles
// stay verifiable after the certificate expires. Rekor (v1 or v2) is
// optional. Nothing in the default path touches the network: the embedded
// CA and TSA run in process.
//
//	authority, _ := ca.New(ca.WithDir(caDir), ca.WithSubjectDomain(jobIssuer, "https://git.example.com")) // job.Subject is a workflow on the forge
//	stamps, _ := tsa.New(tsa.WithDir(tsaDir))
//	signer, _ := attest.NewCASigner(authority.IssuerFor(job), attest.WithEmbeddedTimestampAuthority(stamps.Handler()))
//	sub, _ := attest.SubjectFromFile(ctx, "dist/app.tar.gz")
//	st, _ := attest.NewStatement([]attest.ResourceDescriptor{sub}, &attest.Provenance{...})
//	bundleJSON, err := attest.Sign(ctx, signer, st)
//
// # Trust
//
// TrustedRoot writes the Sigstore trusted_root.json that verifiers load
// (sigstore-go's root.NewTrustedRootFromJSON, cosign --trusted-root, gh
// attestation verify --custom-trusted-root): AddEmbeddedCA and
// AddEmbeddedTSA include retired roots after rotation, each for the period
// it was active; AddCertificateAuthority, AddTimestampAuthority and
// AddTransparencyLog take any other Sigstore service's published material.
//
// # Security contract
//
// Invalid input never yields a bundle: Sign validates the Statement first
// and signs only an encoding that ParseStatement reads back (a predicate
// map with "source" beside "ſource", which case-insensitive readers
// take for source, is refused); a [Custom] predicate under a type this
// package reads itself (SLSA provenance v1, SPDX, CycloneDX) must pass that
// reader, as the typed writers' output does; [JobProvenance] states no
// claim holding a control, line-separator or bidirectional formatting
// character or bytes that are not UTF-8 (ErrJobProvenance), which would
// display, or encode, as another ref or workflow than the token's, nor a
// caller's dependency naming the source repository it states (also as a
// reader that percent-decodes and cleans URLs reads it), nor a ref holding
// '%' (a branch "%6Dain" a decoding verifier reads as main), nor a
// source "<uri>@<ref>" with a dot segment (also percent-encoded: a branch
// "%2e%2e/%2e%2e/…", which git allows), an empty segment or an encoded
// '/' or '\' in its path, or a '?' or '#' (oidc.CheckURIPath), which a
// verifier that cleans or parses the path reads as another repository or ref;
// weak keys (ErrWeakKey), expired or not-yet-valid CAs (ca.ErrExpired,
// ca.ErrNotYetValid) and unknown algorithms are typed errors. Identity
// tokens are never logged or put in errors; a Fulcio error answer is
// reported by its status only ([FulcioStatusError]). Fulcio, timestamp
// authorities and Rekor logs reached by URL are reached at their
// configured origin only, never through a redirect, and a log's answer is
// bounded. What they answer is checked before a bundle is returned: a
// certificate must be for the signing key ([ErrForeignCertificate]), a
// code-signing leaf ([ErrCertificateUsage]) valid now (WithClock) and at
// every time the bundle's timestamps and log entries state
// ([ErrCertificateValidity]), and, for a Fulcio signer, name its token's
// iss in Fulcio's issuer extension ([ErrCertificateIdentity]);
// WithCertificateIdentity pins the issuer and the SAN, WithTrustedRoot
// the certificate authorities it must chain to ([ErrCertificateChain]).
// Every timestamp query carries a fresh nonce, which the answer must echo
// ([ErrTimestampNonce]), and every timestamp must be a SHA-256 one over
// the signature ([ErrForeignTimestamp]); every
// log entry's body must hold the signature ([ErrForeignLogEntry]); their
// error text reaches errors and logs quoted and clipped. Every request to
// them, the embedded timestamp authority's included, ends when the signing
// call's context does or when the WithTimeout bound (30 s by default)
// passes; the error then wraps ErrSign and context.Canceled or
// context.DeadlineExceeded. A [TestResult] names each test, by a
// non-empty name (a JSON null in a list reads as an empty one), in one
// list only, without control, line-separator or bidirectional formatting
// characters ([ErrTestName]), and links an https URL only ([ErrTestURL]);
// Custom with PredicateTestResult is held to the same checks.
// Without WithCertificateIdentity the certificate's SAN is not checked
// (Fulcio derives it from the token by its per-issuer configuration,
// which the signer does not know), and a CA signer checks no issuer
// either (it holds no token). Bundles from the embedded CA
// carry no SCTs; verifiers must not require certificate transparency for it.
package attest
