// Package oci is the OCI registry client shared by verify/image (reading and
// verifying attestations) and attest/attach (writing them): bounded reads,
// digest checks on everything fetched, bounded redirects and retries, the
// referrers API with the tag-schema fallback, cosign's legacy tags, parsers
// for untrusted manifests and indexes, the bounded cache and the typed
// errors. Authentication is go-containerregistry's transport.
//
// It is internal so that its helpers can change with their two callers;
// those packages re-export what a caller needs (the error sentinels and
// types as the same values, so errors.Is and errors.As work across them).
//
// # Security contract
//
//   - Every manifest, index and blob fetched by digest is checked against
//     it; a manifest fetched by tag is checked against the registry's
//     Docker-Content-Digest header when it sends one.
//   - Every read is bounded ([MaxManifestSize], [MaxBundleSize],
//     [MaxReferrers] candidates after dropping other artifact types,
//     [MaxReferrerEntries], a page limit on the referrers API); more is a
//     *[TooLargeError] or [ErrTooManyReferrers], never a truncated parse.
//     A [ReadBudget] the caller's context carries ([WithReadBudget]) bounds
//     the bytes of all reads under it together; more is [ErrReadBudget],
//     which says nothing about any one artifact.
//   - Only a 404 from the referrers API moves discovery to the tag schema;
//     any other failure wraps [ErrReferrersAPI].
//   - 429 and 5xx answers to GET and HEAD are retried with bounded backoff,
//     then fail with [ErrUnavailable]; writes are sent once.
//   - The keychain's credentials go only to the registry's own origin, or
//     over https to a token service fixed in code (Docker Hub's, GitLab's)
//     or configured (WithTokenRealm); an error never quotes a token
//     service's answer.
//   - A request to an origin the registry chose (a redirect's Location,
//     a token realm not configured) is refused with [ErrInternalAddress]
//     when its address is not public (internal/netaddr, the egress
//     proxy's classification) or is one of this host's own interface
//     addresses (netaddr.Own, as the egress proxy refuses them too), unless Config.AddInternalRedirects allows
//     it: an IP literal before the request, a name at the dial (each
//     resolved address before connecting with the stock dialer, the
//     connected address with a vendor's own dialer), so DNS rebinding
//     does not get past it. Only IP literals are checked through an HTTP
//     proxy or a transport that is not an *http.Transport. A redirect
//     whose Location holds user information is refused.
//   - An index or artifact manifest that repeats a member or spells one in
//     another case is [ErrMalformed] ([CheckArtifactJSON] for callers that
//     decode one themselves).
//   - The Content-Type header, which the digest does not cover, names a
//     fetched manifest's kind only when its body has no mediaType, and the
//     body must hold that kind's members only: "manifests" in an image
//     manifest, "config" or "layers" in an index, a repeated member or
//     "mediaType" spelt in another case is [ErrMalformed].
//   - An error quotes the registry's text (a header, a media type, a
//     digest string, what go-containerregistry or net/http reported of an
//     answer) clipped and, when it holds anything but printable ASCII,
//     escaped: no control character a registry sent reaches a log line,
//     an audit event or a gate's answer, and no error is megabytes long.
package oci
