// Package image verifies container images in any OCI registry: the "binary
// authorization" gate that lets only images with trusted, verified
// attestations reach production. Its counterpart attest/attach writes those
// attestations; a vendor who only verifies needs this package alone.
//
// With attest/attach it is the only part of ztci that links
// go-containerregistry (verify and attest stay free of it), and it links no
// OPA.
//
// # Main types
//
//   - [Verifier] ([NewVerifier], [Verifier.VerifyImage],
//     [Verifier.VerifyImages]) pins a reference to a digest, discovers
//     attestations, verifies each with a [BundleVerifier] and returns a
//     [Result]: one [Attestation] per candidate — with the full
//     [verify.Result] (the verified statement, for policy) when it passed —
//     and an overall verdict with k-of-n ([WithThreshold]: at least k
//     distinct trusted signers; a certificate identity, or a key counted
//     once however many verify.Verifiers pin it or accept its bundles,
//     [verify.Verifier.PinnedKey], [verify.SignerInfo.KeyFingerprint]).
//   - [ConvertLegacy] turns a layer of cosign's legacy ".sig"/".att" tags
//     into the equivalent Sigstore bundle (see below).
//   - [BundleVerifier] is the seam to bundle verification;
//     [VerifyBundles] adapts one or more [verify.Verifier] (one per trusted
//     signer for k-of-n), [BundleVerifierFunc] adapts a function.
//
// # Use
//
//	ref, _ := name.ParseReference("registry.example/app:v1")
//	builder, _ := verify.New(trust, verify.Expectation{Signer: builderID, PredicateType: slsa})
//	reviewer, _ := verify.New(trust, verify.Expectation{Signer: reviewerID, PredicateType: slsa})
//	bundles, _ := image.VerifyBundles(builder, reviewer)
//	gate, err := image.NewVerifier(bundles, image.WithThreshold(2))
//	res, err := gate.VerifyImage(ctx, ref)
//	if err != nil || !res.Verified { deny() }
//	deploy(res.Digest) // never the tag
//
// # Cost
//
// A cold VerifyImage of a tag with one attestation on a registry with the
// referrers API makes 5 HTTP requests: the /v2/ ping of go-containerregistry's
// auth handshake (once per Verifier and repository), the manifest by tag,
// the referrers listing, the artifact manifest (the listing names manifests,
// and the cosign v3 layout keeps the bundle in a layer) and the bundle blob;
// 4 for a digest reference, whose manifest is not needed. The tag schema adds
// the referrers API's 404. A warm call is 0 requests for a digest and 1 for
// a tag, which is re-resolved because it may have moved.
//
// Authentication is go-containerregistry's: pass an authn.Keychain
// ([WithKeychain]) and a base transport ([WithTransport]); nothing here
// implements registry auth.
//
// # Security contract
//
//   - A tag is resolved exactly once per call; the digest it resolved to is
//     used for everything after and returned in Result.Digest. A tag that
//     moves during or after verification cannot change what was verified.
//     What verifies is the digest, not the tag: whoever can move the tag
//     (the registry, anyone who can push to the repository) can point it
//     at any image the expected signers signed, an older release
//     included, and it verifies. To require one release, reference it by
//     a digest obtained from a source that names the version, or check
//     the version the verified statement carries in policy.
//   - Every manifest, index and blob is fetched by digest (tags only for
//     the image itself and the tag-schema index) and checked against it;
//     every read is bounded ([MaxManifestSize], [MaxBundleSize],
//     [MaxReferrers]); redirects are bounded, never downgrade https to
//     http, never carry user information, and never reach an address that
//     is not public (loopback, private, link-local such as the cloud
//     metadata service) or is one of this host's own interface
//     addresses, checked where the name is dialled, unless
//     [WithInternalRedirects] allows it ([ErrInternalAddress]; the
//     registry's own origin is not checked); registry credentials go to the registry's own origin, or to a
//     token service fixed in code (Docker Hub's, GitLab's) or configured
//     ([WithTokenRealm]), and over plain http only to a loopback registry; 429 and 5xx are retried with
//     bounded backoff, then fail with [ErrUnavailable].
//   - Discovery asks the referrers API first. Only a 404 answer moves to the
//     tag schema, and the Target says which path was used ([Path]). Any
//     other failure of the referrers API is an error wrapping
//     [ErrReferrersAPI], never "no attestations".
//   - Listed artifacts whose artifactType is not a Sigstore bundle's (SBOMs,
//     other tools' signatures) are dropped before any limit applies. A
//     listing of more than [MaxReferrers] candidate artifacts, or of more
//     than [MaxReferrerEntries] entries of any type, fails with
//     [ErrTooManyReferrers] rather than being truncated: anyone who can push
//     that many artifacts to the repository can then deny (never pass) its
//     images.
//   - An artifact listed for an image whose subject names another image is
//     rejected ([ErrSubjectMismatch]); artifacts that are not Sigstore
//     bundles are counted in Target.Ignored and never verified.
//   - VerifyImage returns an error when it cannot decide (treat as deny);
//     a deny is a Result with Verified false and Err() wrapping
//     [ErrNotVerified]. Attestations rejected one by one carry their own
//     error wrapping [ErrAttestation]. A bundle verification that did not
//     complete (the context ended, or verify could not audit it) is such
//     an error, never a rejection, so no verdict cached from it denies a
//     good image after the outage.
//   - With a platform selection ([WithPlatform], [WithAllPlatforms]) an
//     index is refused with [ErrPlatformAmbiguous] when which manifests a
//     runtime may run is not clear from it: several satisfy the platform,
//     one names no platform (WithPlatform), or it lists another index,
//     which a runtime would descend into. Platforms are matched as
//     containerd matches them (os and architecture in any case, their
//     aliases such as x86_64 and aarch64, an entry without an os, each
//     architecture's default variant), never byte for byte: an entry a
//     node runs is never skipped for its spelling.
//   - With [WithAudit], every VerifyImage leaves one event (reference,
//     pinned digest, verdict or the error that prevented one, signers,
//     cache hit), with no attestation content; a call whose event the sink
//     refuses returns no Result and an error wrapping [ErrUnaudited].
//     This is the per-image verdict (action verify.image). The
//     verify.Verifiers given to [VerifyBundles] may be audited too
//     (verify.WithAudit): they write their own per-bundle events
//     (verify.bundle), one per bundle each is asked about, so one
//     VerifyImage writes both kinds, by design. A bundle event's success
//     says that bundle verified; only the verdict says whether the image
//     did (a threshold not reached is a failed verdict over successful
//     bundles). Every check this package makes of an attestation (its
//     subject against the image, a legacy layer's payload, format and
//     docker-reference) runs before the bundle reaches verify, so no
//     bundle it refuses is recorded as a per-bundle success; it is
//     recorded in no per-bundle event at all (the verdict counts it out).
//     A cached verdict writes no per-bundle events. A per-bundle event
//     the sink refuses (verify.ErrAudit) makes the image undecidable.
//   - The tag schema is written by attest/attach with a read-modify-write
//     that registries without conditional requests cannot make atomic (see
//     its documentation): an entry dropped there by a concurrent writer
//     makes an image fail verification, never pass it.
//
// # Cosign legacy signatures and attestations
//
// With [WithLegacyTags] a Verifier also reads cosign's "sha256-<hex>.sig"
// and ".att" tags: what cosign before v3 (and v3 with
// --new-bundle-format=false) writes, and all that many images carry. Each
// layer is turned into the equivalent Sigstore bundle ([ConvertLegacy]) and
// verified by the same [BundleVerifier], with the same expectations, as any
// bundle; [Attestation].Format says which format proved it
// ([FormatBundle], [FormatCosignLegacySig], [FormatCosignLegacyAtt]).
//
//   - A ".sig" layer counts only when its simple-signing payload, parsed
//     strictly (no repeated, case-variant or unknown critical members,
//     optional an object or null, as cosign reads it), has
//     cosign's critical.type and names the pinned digest in
//     critical.image.docker-manifest-digest: a signature copied from
//     another image is a [*LegacyPayloadError], never a pass.
//     By default critical.identity.docker-reference is not checked (cosign
//     does not check it either: an image signed by digest may be copied,
//     and its signature counts in every repository holding that digest);
//     with [WithLegacyDockerReference] it must name the repository the
//     image was asked for, go-containerregistry's normalisation applied
//     (a tag on it is not compared; a digest on it must be the signed
//     one). The bundle
//     signs the payload, so the BundleVerifier is given the payload itself
//     when it is a [LegacyPayloadVerifier] ([VerifyBundles] is), and the
//     payload's digest otherwise. It is a message signature: a
//     verify.Verifier with an empty PredicateType accepts it, one that
//     expects a predicate type does not.
//   - Key algorithms (verify.PublicKey), pinned with the key, never read
//     from the layer: ECDSA with its curve's hash and no other (P-256 with
//     SHA-256, P-384 with SHA-384, P-521 with SHA-512: what cosign signs
//     with since v2.6, sigstore's signature.LoadDefaultSignerVerifier; a
//     P-384 or P-521 signature over SHA-256, as cosign up to v2.5 made, is
//     refused), RSA PKCS #1 v1.5 with
//     SHA-256 (2048, 3072 and 4096 bits) and, for an Ed25519 key, exactly
//     one of two schemes. By default pure Ed25519 over the payload, as
//     `cosign verify --key` checks it and as cosign signed up to v2.5; it
//     needs the payload's bytes: through a BundleVerifier that only takes a
//     digest an Ed25519 ".sig" is refused, never accepted. With
//     verify.PublicKey.Ed25519ph, Ed25519ph (Ed25519 over the payload's
//     SHA-512, RFC 8032 §5.1): what `cosign sign --key` and `cosign attest
//     --key` make with an Ed25519 key since cosign v2.6 (v3.1.3 included:
//     testdata/cosign-legacy), which `cosign verify --key` itself refuses
//     (sigstore/cosign#5074). A key pinned either way refuses the other
//     scheme. On an ".att" the DSSE signature is checked the same way, over
//     the envelope's PAE. The payload binding is the same whatever the
//     scheme. A signature verifies only against the key pinned, never one
//     of another algorithm or curve. A logged ".sig" states the payload
//     digest its hashedrekord entry logs (SHA-384 for P-384, SHA-512 for
//     P-521 and Ed25519ph, as cosign logs them), which is then the
//     converted bundle's Artifact; without a log entry it is the
//     payload's sha256, which a BundleVerifier that only takes a digest
//     cannot verify a P-384 or P-521 signature with: refused, never
//     accepted.
//   - An ".att" layer (a DSSE envelope) counts only when its in-toto
//     statement names the pinned digest among its subjects; it is then
//     verified as any DSSE bundle for the image.
//   - The bundle carries the certificate annotation (its chain is carried
//     but never trusted: trust comes from the trusted root) or, without
//     one, lets the verifier's expected key answer; the Rekor v1 entry of
//     the bundle annotation as a log entry proven by its inclusion promise
//     (the SET, checked with the trusted root's log key over exactly that
//     body, time, index and log ID, and the body checked against the
//     signature and key); the RFC 3161 annotation as a signed timestamp.
//     A missing or malformed annotation is a [*LegacyAnnotationError]; a
//     layer of another media type is [ErrLegacyFormat].
//   - Errors about a legacy layer never repeat what its signer or the
//     registry wrote: a payload, envelope, statement or annotation that is
//     not the JSON it should be is described by the kind of the problem
//     and its byte offset (never a member name or literal); a
//     critical.type, digest or payloadType that is not the one expected,
//     by its length; other images a statement names, by their count; a
//     layer's media type and a docker-reference, clipped and quoted with
//     their control characters escaped. A payload may carry anything,
//     secrets or terminal escapes among it, and these errors reach logs
//     and audit events.
//   - Rekor entries sigstore-go cannot check are refused, not skipped:
//     cosign v1/v2 attestations logged as "intoto" 0.0.1 entries fail
//     (hashedrekord 0.0.1, dsse 0.0.1 and intoto 0.0.2 verify). Cosign v2
//     timestamped an attestation's whole envelope rather than its
//     signature; such a timestamp does not verify and proves no time.
//
// WithLegacyTags stays opt-in. The legacy tags cost two more round trips
// per image on every cold verification (usually two 404s), and their log
// evidence is weaker: a promise of inclusion signed by the log, not the
// inclusion proof against a signed checkpoint that bundles v0.2 and later
// carry. A gate that does not need legacy signatures should not accept that
// evidence by default; one that does names it.
//
// Verdicts are cached per Verifier by (image digest, platform selection)
// with a TTL ([WithCache]); a Verifier holds one set of expectations, so this
// is the (image digest, expectation) key. Artifacts and bundles are cached by
// digest, so each is fetched once per Verifier. A Verifier starts no
// goroutines and holds no resources beyond memory, so it has no Close.
package image
