// Package blob verifies detached blob signatures as cosign writes them —
// what Kubernetes ships beside its binaries and checks with cosign
// verify-blob --signature --certificate: a ".sig" file (the base64
// signature), a ".cert" file (the signing certificate, PEM or base64 of
// PEM) and, when present, the "--bundle" file (cosign's legacy JSON with
// the Rekor v1 entry and its SET), or a Sigstore bundle (cosign
// --new-bundle-format).
//
// It verifies offline. The detached files are converted into the equivalent
// Sigstore bundle and verified by one verify.Verifier — the same
// verification, with the same expectations, as any bundle. When no Rekor
// entry travels with the signature, verify/rekorv1 is the explicit, opt-in
// online step that looks it up; its answer is then verified here, offline,
// like an entry read from a file.
//
// # Main types
//
//   - ParseSignature, ParseCertificate and ParseCosignBundle read the files
//     into a Detached (signature, certificate, Rekor LogEntry).
//   - Bytes, Reader and Digest name the artifact by its SHA-256 (and its
//     SHA-384 or SHA-512, for P-384, P-521 and Ed25519ph signatures);
//     Artifact.Digests lists them (what verify/rekorv1 searches the log by).
//   - NewVerifier wraps a verify.Verifier; Verifier.Verify checks a
//     Detached for an artifact and returns the *verify.Result;
//     Verifier.VerifyBundle checks a new-format Sigstore bundle.
//   - Detached.Bundle is the conversion alone.
//
// # Use
//
//	vv, _ := verify.New(trust, verify.Expectation{Signer: verify.Identity{
//		SAN: "krel-staging@k8s-releng-prod.iam.gserviceaccount.com", Issuer: "https://accounts.google.com"}})
//	v, _ := blob.NewVerifier(vv)
//	d, err := blob.ParseCosignBundle(bundleFile) // or ParseSignature + ParseCertificate + rekorv1
//	res, err := v.Verify(ctx, d, blob.Bytes(kubectl))
//	if err != nil { deny() }
//
// # Security contract
//
//   - No network: nothing here makes a call. Trust comes only from the
//     verify.Verifier's trust material: the certificate must chain to a
//     trusted CA at the time the log proves, the SET (and an inclusion
//     proof, when the entry has one) must verify with a trusted log key,
//     the signature must verify over the artifact's SHA-256 (SHA-384 for a
//     P-384 key, SHA-512 for P-521 and Ed25519ph) with the certificate's
//     key (or the expected key, with the algorithm pinned with it), and the
//     signer must be the expected identity.
//   - The Rekor entry must bind this signature: its body must be a
//     hashedrekord 0.0.1 entry logging exactly this artifact hash, this
//     signature and this certificate (or a public key when the signature
//     was made with one). Anything else is an *EntryMismatchError naming
//     the field, before any other check; the verifier checks the same
//     binding again.
//   - A signature binds the artifact's digest, nothing else: not its file
//     name, version or platform (neither the ".sig", the ".cert" nor the
//     log entry names them). Whoever serves the release can serve any
//     artifact the expected signer ever signed, with its own ".sig" and
//     ".cert" — an older, vulnerable kubectl, another architecture's
//     binary — and it verifies, as it does with cosign verify-blob. To
//     require one release, check its digest against one from a source that
//     names the version, not from the host serving the file.
//   - One artifact per subject: an in-toto statement (VerifyBundle with
//     an attestation bundle) verifies only when no subject naming the
//     artifact names another one by a second digest the Artifact knows
//     (SHA-256, SHA-384 and SHA-512 for Bytes and Reader, the one given
//     for Digest), as verify requires of an artifact's bytes: otherwise a
//     *verify.ArtifactMismatchError.
//   - A signature without a log entry does not verify with the default
//     verify.Verifier (one entry required): look it up with verify/rekorv1.
//   - Fail closed: every error matches verify.ErrVerification and a
//     category: ErrMalformed (a file does not parse: *ParseError naming it),
//     ErrEntryMismatch (*EntryMismatchError; another artifact also matches
//     verify.ErrArtifactMismatch), ErrInvalidInput, or the verify
//     sentinels (verify.ErrTlog for an edited SET, verify.ErrIdentityMismatch
//     for another signer, …). An error repeats what the files or the
//     unverified log entry wrote only as a short token (a kind, a hex
//     digest) or quoted and clipped; anything else (terminal escapes, line
//     breaks, megabytes) by its length alone: errors reach logs.
//   - Every attempt is audited: with verify.WithAudit on the
//     verify.Verifier, each Verify and VerifyBundle call leaves exactly one
//     event of verify's shape, including a refusal here before the bundle
//     reaches verify (a log entry that does not bind the signature, an
//     artifact without the digest the entry or bundle needs, the zero
//     Artifact), written with verify.Verifier.Refuse, and a statement the
//     one-artifact-per-subject check refuses (audited as a failure through
//     verify.Verifier.VerifyChecked, never as a success). A call whose
//     event the sink does not accept fails with verify.ErrAudit.
//   - Parsers are strict and bounded (MaxSignatureSize, MaxCertificateSize,
//     MaxBundleSize): canonical base64 only (no line breaks inside), exactly
//     one certificate, JSON without repeated, case-variant or unknown
//     members. The ".cert" file's chain, if any, is not read: trust comes
//     from the trusted root.
//   - SHA-256 artifacts, SHA-384 and SHA-512 for P-384 and P-521 keys:
//     `cosign sign-blob --key` signs and logs with the key's curve hash
//     since cosign v2.6 (pkg/cosign/keys.go LoadPrivateKey →
//     signature.LoadDefaultSignerVerifier); a pinned P-384 or P-521 key
//     verifies only that hash, so a signature over SHA-256 (cosign up to
//     v2.5) is refused.
//   - SHA-512 for Ed25519ph: `cosign sign-blob --key`
//     with an Ed25519 key signs Ed25519ph and logs the artifact's SHA-512
//     since cosign v2.6 whenever the signature is logged, the default
//     (cosign v3.1.2 pkg/cosign/keys.go:302-309 GetDefaultLoadOptions
//     loads options.WithED25519ph(); cmd/cosign/cli/sign/sign_blob.go:78-83
//     falls back to pure Ed25519 only when the signature is not logged).
//     Such a signature verifies
//     only against a key pinned verify.PublicKey{Key: k, Ed25519ph: true},
//     and only for an Artifact that knows the SHA-512 (Bytes and Reader
//     compute both digests; Digest names one). The digest a converted
//     bundle signs is the one its log entry logs, and the entry must bind
//     it exactly as for SHA-256. verify/rekorv1's FindEntry looks entries
//     up by each digest the artifact carries (Artifact.Digests), so the
//     Artifact from Bytes or Reader finds an Ed25519ph, P-384 or P-521
//     signature's entry as it finds a SHA-256 one; nothing to name by hand.
package blob
