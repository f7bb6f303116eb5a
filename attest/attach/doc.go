// Package attach attaches attestations to container images in any OCI
// registry: [Bundle] pushes a Sigstore bundle (signed with attest) as an OCI
// 1.1 artifact whose subject is the image, in the layout cosign v3 and
// GitHub use, so that verify/image, cosign and GitHub's tooling find it;
// [Attest] signs statements about the image a job built and attaches them
// in one call.
//
// With verify/image it is the only part of ztci that links
// go-containerregistry, and it links no OPA.
//
// # Use
//
//	ref, _ := name.ParseReference("registry.example/app:v1")
//	bundleJSON, err := attest.Sign(ctx, signer, statement)
//	att, err := attach.Bundle(ctx, ref, bundleJSON)
//	// att.Subject is the digest the tag resolved to; att.Path says whether
//	// the registry lists it by the referrers API or the tag schema.
//
// A job that has just pushed the image it built attests that image, not
// whatever its tag names by then:
//
//	atts, err := attach.Attest(ctx, ref.Context(), builtImage, signer,
//		[]attest.Predicate{provenance, attest.CycloneDX(sbom)})
//
// The artifact: artifactType and the single layer's media type are the
// bundle's ([github.com/ztci/ztci/attest.BundleMediaType]), the config is
// the OCI empty descriptor ([EmptyMediaType]), the manifest carries
// [AnnotationContent] and [AnnotationPredicateType], and its subject
// descriptor is the image manifest or index. A registry with the referrers
// API lists it from there ([PathReferrersAPI]); for one without, Bundle
// adds it to the "sha256-<hex>" tag schema index ([PathReferrersTag]).
//
// A cold Bundle makes 12 HTTP requests on a registry with the referrers
// API (ping, image manifest, two blob uploads by go-containerregistry, the
// artifact manifest, the referrers probe) and 15 with the tag schema (its
// read, write and read-back). Authentication is go-containerregistry's:
// pass an authn.Keychain ([WithKeychain]), a base transport
// ([WithTransport]) and remote.Options for the uploads ([WithRemoteOptions]).
//
// # Security contract
//
//   - Bundle does not verify anything: it refuses a document that is not a
//     Sigstore bundle (wrapping [ErrConfig], before any request), and its
//     annotations are descriptive only. What counts is verification by
//     verify/image, which never trusts them. What it copies from the
//     bundle into the registry is bounded printable text: a mediaType over
//     [MaxMediaTypeLen] bytes, not a printable ASCII media type, or a
//     predicateType over [MaxPredicateTypeLen] bytes, with a space, a
//     control or format character, or one of `"\<>&`, is refused
//     ([ErrConfig], before any request), so one bundle cannot fill the
//     referrers tag index past the manifest size limit (hiding every other
//     attestation of the image) or carry terminal escapes to a viewer.
//   - A manifest PUT (the artifact's, the referrers tag's) answered with a
//     Docker-Content-Digest other than the digest of the bytes sent, or an
//     unreadable one, fails with [ErrDigestMismatch]: the registry stored
//     something else, and the digest Bundle reports would name nothing.
//   - A tag in the reference is resolved exactly once; the artifact's
//     subject is the digest it resolved to (Attachment.Subject), so a tag
//     that moves meanwhile cannot redirect the attestation.
//   - Every read is bounded and checked against its digest, as in
//     verify/image; 429 and 5xx answers to reads are retried with bounded
//     backoff, writes are sent once, except that a write refused because a
//     concurrent writer of the same content raced it (a blob upload
//     answered DIGEST_INVALID or BLOB_UPLOAD_*, a manifest or referrers
//     tag PUT answered MANIFEST_BLOB_UNKNOWN or BLOB_UNKNOWN: distribution
//     does this while several clients upload the same blob) is redone a
//     bounded number of times with growing waits. Each round checks (HEAD)
//     and re-uploads the blobs and PUTs the manifest only after they all
//     succeeded, so the registry still verifies every blob against its
//     digest and every manifest against its blobs; after the bound the
//     last error is returned ([ErrStatus]).
//   - A redirected write is a failure, never success, whichever client
//     sends it (go-containerregistry's blob uploads included): a write
//     answered 3xx is not followed, not even within the registry, and a
//     POST turned into a GET by a 301/302/303 is not sent. Redirected
//     reads are bounded (5), and a destination the registry chose (a
//     redirect, a token realm not configured) on an address that is not
//     public is refused with [ErrInternalAddress] unless
//     [WithInternalRedirects] allows it; credentials go only to the registry's own
//     origin, or to a token service fixed in code (Docker Hub's, GitLab's)
//     or configured ([WithTokenRealm]); a registry reached
//     over https is never sent a plain-http request, and with credentials
//     plain http is used only for a loopback registry (go-containerregistry
//     would use it for a private address too, in clear): [ErrRegistry].
//   - The tag schema is read-modify-write. Bundle keeps every entry of the
//     index it does not understand byte for byte, refuses to overwrite a
//     tag that holds something other than an OCI index ([ErrMalformed]),
//     takes the artifact as listed only by an entry that lists it as Bundle
//     does (digest, media type, size, artifactType, annotations: one that
//     names its digest otherwise, which a verifier would skip, is
//     replaced), sends If-Match / If-None-Match so a registry with conditional
//     requests rejects a lost update (412, retried), and reads back after a
//     settle delay so a write lost to a concurrent writer is detected and
//     redone; it gives up with [ErrTagSchemaConflict]. Registries that
//     ignore conditional requests (distribution 2.8.2) offer no
//     compare-and-swap, so no client can rule out a concurrent writer
//     dropping an entry after the read-back: the image then fails
//     verification (fail closed) until it is attached again. The referrers
//     API has no such race.
//   - On the referrers API, Bundle succeeds only once the API lists the
//     artifact as a verifier takes it (whatever an OCI-Subject header
//     claims): it reads the listing up to 6 times, waiting 50 ms doubling
//     to 2 s between reads for a registry that indexes subjects
//     asynchronously, and otherwise fails with [ErrNotListed].
//   - Errors wrap [ErrRegistry], [ErrConfig] or [ErrUnaudited], or are the
//     context's; an error after the push says that the artifact was pushed
//     but is not (or may not be) listed.
//   - With [WithAudit], every call whose options are valid emits one
//     audit event ("attest.attach"): success or failure with its reason,
//     the reference, the subject digest it resolved to, the artifact
//     manifest and bundle digests once pushed, the bundle's media type
//     and claimed predicate type (both clipped), and the listing path (with
//     the referrers tag on the tag schema). The reason is quoted when it
//     holds anything but printable ASCII, and clipped. Events carry references and
//     digests, never bundle content or registry credentials (a canary
//     test checks). Audit fails closed: when the sink refuses the event,
//     Bundle returns [ErrUnaudited] and no Attachment, even if the
//     artifact was pushed and listed (the error says so).
//
// Bundle holds nothing after it returns: each call makes its own client
// and auth handshake.
package attach
