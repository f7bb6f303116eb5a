// Package gate is ztci's deploy gate: the composed step that decides whether
// an artifact may be deployed, as a library a scheduler, a CD system or an
// admission webhook embeds.
//
// One decision ([Gate.Decide]) is, in order:
//
//  1. check the request (its shape, the image reference, the inline
//     artifact's name and digest) and then authenticate the
//     deploying job: its OIDC job token is verified by an
//     [identity.TokenVerifier] (*oidc.Verifier implements it) only for a
//     well-formed request, so a malformed one does not spend a single-use
//     token (the registry allow-list is checked once the job is
//     authenticated, so that its refusal names the job), then take the
//     job's decision slots ([ErrJobBusy]). A verifier that also offers
//     [identity.DeferredTokenVerifier] (*oidc.Verifier does) spends the
//     token only after those two checks, so neither a registry refusal nor
//     a busy job costs the job its single-use token; another verifier
//     spends it, if it does, as it verifies;
//  2. pin the artifact: an image tag is resolved once and every later step
//     uses that digest, which the Decision returns (deploy it, never the tag);
//  3. discover its attestations (OCI referrers, via [image.Verifier]) or take
//     inline Sigstore bundles, and verify each with the [verify.Verifier]
//     registered for the predicate type it claims — no other verifier runs;
//  4. turn the verified results into policy input ([ImageArtifacts],
//     [Artifact], [Attestation], [Signer], [Claims], [Provenance]: the one
//     place these conversions live) — the image, or each platform manifest
//     of an index verified platform by platform;
//  5. evaluate the deploy policy ([policy.Evaluator], action "deploy");
//  6. write an audit event ([audit.Sink]) — an allow stands only if the sink
//     accepted it before the audit deadline.
//
// With [WithVSA] an allowed image also gets a signed SLSA Verification
// Summary (attest/vsa) attached, naming the manifests it verified (the
// pinned digest, or the platform manifests of an index), the policy
// revision and the bundles relied on with the facts policy read from them;
// a gate configured with [WithTrustedVSAs] to trust that verifier takes
// such a summary instead of steps 3–4 and evaluates its own policy on it
// (step 5), and Decision.TrustedVSA says so. With [WithThirdPartyVSAs]
// the summaries of other verifiers a request carries (slsa-verifier's
// format) are verified and given to policy as facts, never in place of
// verification. With [WithSVR] every policy allow of an image (every
// policy decision about one, deny too, with SVRIssuer.IssueDenies) gets a
// signed in-toto Simple Verification Result (attest/svr) attached to the
// same manifests: the policy revision, ZTCI_POLICY_ALLOWED for an allow
// without violations and the compliance controls the decision passed;
// Decision.IssuedSVR names it.
//
// [Gate.Handler] serves the same decision as a JSON API, and [NewServer]
// gives it the per-connection limits a network-facing server needs.
// Metrics are an [Observer] hook: the gate links no metrics library.
//
// # Use
//
//	g, err := gate.New(jobTokens, gate.Verifiers{
//		attest.PredicateSLSAProvenanceV1: provenanceVerifier,
//	}, evaluator, auditLog, gate.WithRegistries("registry.example"))
//	d, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(raw), Image: "registry.example/app:v1"})
//	if err != nil || !d.Allowed {
//		refuse(d) // d.Violations or d.Error say why
//	}
//	deploy(d.Digest)
//
// # Security contract
//
//   - Fail closed. Decide returns Allowed true only when the token verified,
//     the artifact was pinned, policy allowed, the inventory recorded the
//     admission (with [WithInventory]) and the audit sink accepted the
//     event. Any error is a deny and wraps [ErrBadRequest],
//     [ErrUnauthenticated] or [ErrUndecided].
//   - An artifact is Verified only when at least one attestation verified
//     and the signer threshold of the image.Verifier (image.WithThreshold,
//     distinct signers) was met — for inline bundles too, so that a job
//     cannot send an image's bundles inline to be decided on fewer signers.
//     Rejected attestations are reported in Decision.Attestations and never
//     reach policy as facts.
//   - An index whose platform manifests are verified (image.WithPlatform,
//     image.WithAllPlatforms) is decided on each of them: policy sees every
//     platform manifest as an artifact of its own, with the attestations
//     verified for it and nothing else, so a requirement (provenance, a
//     scan) is met only when every manifest a node may run meets it, never
//     with another platform's attestations. The same holds on a trusted
//     summary (its facts stay with the manifest they were verified for,
//     [VSAAnnotationManifest]) and for the controls a result lists. An
//     index that lists another index, which a runtime would descend into,
//     is undecided (image.ErrPlatformAmbiguous), never decided without the
//     manifests inside it. Inline bundles are decided for the digest they
//     name, which the gate does not fetch, so it cannot tell an index from
//     a platform manifest there: a gate that admits images sets
//     [WithImagesOnly], which refuses inline bundles ([ErrBadRequest]).
//   - An OpenVEX attestation's statements reach policy by product
//     ([VEX]): a fixed or not_affected statement, which may lift a
//     finding, only when a product names the artifact by OpenVEX's exact
//     rule (its digest, or its package URL
//     pkg:oci/<name>@<digest>?repository_url=<repository> matched as
//     OpenVEX does). Any other status, which may cancel a lift, reaches it
//     when a product may name the artifact (vex.Statement.MayFor): a
//     pkg:oci package URL of the image's name whatever its qualifiers (a
//     tag), a package URL of another type (as a package the image may
//     hold), or a product the gate cannot place. A later "affected" about
//     pkg:oci/app?tag=v1 thus cancels an earlier not_affected by digest.
//   - A keyed signer is the key that verified its bundle
//     (verify.SignerInfo.KeyFingerprint), never the hint the bundle chose,
//     which is not signed and which trust material may ignore: a signer
//     threshold counts one key once however many hints name it,
//     [Revocations].Keys revokes a key by its fingerprint under any hint
//     (and by the hint too), and the summaries and inventory records the
//     gate writes name the key.
//   - A bundle's claimed predicate type only routes it; the verifier it is
//     routed to requires that type, so a false claim fails verification. A
//     claim with no registered verifier is rejected without cryptography.
//   - Every request that reaches Decide is audited — allow, deny, and refusals
//     (bad token, bad request, undecidable) alike, a request whose caller
//     went away or whose deadline passed included: the event is written
//     under a context the caller's cancellation does not end. A decision
//     that panics is an undecided deny, audited, and gives its job's slot
//     back. No allow is recorded for a caller that gave up before it was
//     (but see below for a sink that answers after the audit deadline).
//     Tokens never appear in audit events, errors, logs or Decision:
//     [Token] redacts itself. The [Observer] runs after the decision and
//     cannot change it: an observer that panics loses its observation,
//     never the decision the audit log records.
//   - The audit sink is given until the caller's deadline or one second,
//     whichever is later ([Limits].Timeout without a deadline), and the
//     decision does not wait longer, whether or not the sink honours its
//     context: a sink that fails, panics or has not answered by then makes
//     the request undecided ([ErrUnaudited], which wraps [ErrUndecided] and
//     matches audit.ErrSink). Allowed is true only after the sink's write
//     returned success. A sink that ignores its context keeps one goroutine
//     (its own stuck call) until it returns. If it then records the event
//     after all, the log holds an event, maybe an allow, for a request
//     whose caller was answered undecided (a deny): the log may name an
//     allow nobody received, never lack one somebody did. A bundle
//     verifier that could not audit a verification (verify.WithAudit,
//     verify.ErrAudit) makes the request undecided likewise, an image's
//     bundle or an inline one ([ErrUndecided]; errors.Is holds for
//     verify.ErrAudit): the request is never allowed on its other bundles
//     while their audit trail is incomplete.
//   - What a caller sees versus what the operator's log gets: a
//     dependency's error — the audit sink's (and the image verifier's,
//     image.WithAudit), the token verifier's, the evaluator's, the
//     inventory store's, the VSA and SVR signer's and attacher's — is
//     written to the gate's logger ([WithLogger]) with the request's audit
//     event id ("event"; the token verifier's at debug level, without the
//     token), and never to the caller: Decide's error, Decision.Error,
//     the HTTP body, an admission webhook's message and the [Observer]
//     carry only the sentinel's fixed text ([ErrUnaudited],
//     [ErrUnauthenticated], [ErrUndecided], [ErrNotIndexed],
//     [ErrVSANotIssued], [ErrSVRNotIssued]; errors.Is holds). Such an
//     error can name an address with its credentials, a DSN, a key URI or
//     the token, and a caller with a forged token gets an answer too. An
//     image verification that failed (the registry client's error, a
//     keychain's, a proxy's, a bundle verifier's) reaches the caller as its
//     category: [ErrBudgetExceeded], or [ErrUndecided] wrapping the
//     verify/image sentinel it matched ("gate: could not decide: image
//     verification: oci: registry error: access denied"; errors.Is holds
//     for image.ErrDenied, image.ErrNotFound, image.ErrTooLarge,
//     image.ErrUnavailable, context.DeadlineExceeded, …). A rejected
//     attestation's Decision.Attestations[].Error is likewise its
//     category's fixed text, a verify sentinel's ("verify: not verified:
//     transparency log", "… invalid signature", "… signer identity
//     mismatch", "… missing or invalid timestamp") or verify/image's; the
//     gate's own findings (a revoked signer, key or builder; a predicate
//     type it has no verifier for, quoted and bounded) are said as they
//     are. The full error goes to the log with the audit event id (a
//     rejected attestation at warn level, "attestation rejected"). What is
//     the caller's to fix is described, quoted and bounded: a malformed
//     request or image reference, a registry not allowed, an SBOM that
//     does not read, the policy's violations.
//   - Decision.String is one line of printable text (a control or
//     invisible character is escaped), and an image reference that does
//     not parse is quoted, bounded, in the error: what a request or a
//     registry sent cannot forge a line of a text log.
//   - A dry run (Request.DryRun) is decided as the real request and
//     changes nothing but the audit log (its event is marked "dry_run"):
//     no inventory record, no summary or result attached to the image;
//     its Decision says so (DryRun), so a relay cannot pass a dry run's
//     allow off as a deploy's.
//   - An image's registry host must be one the container runtimes read
//     (the distribution reference grammar): ASCII letters, digits and
//     inner hyphens in dot-separated labels (an IDNA name in its xn--
//     form) or a bracketed IPv6 literal, with an optional numeric port.
//     A Unicode look-alike ("ɡhcr.io") or a trailing dot is a bad request.
//   - Request JSON is decoded strictly ([DecodeRequest]): exact member names,
//     no duplicates, no unknown members, no trailing data. An inline
//     artifact's name is one printable name (at most 512 bytes of UTF-8,
//     no control or invisible character, no '@', which would make the
//     decision's name@digest name another digest).
//   - The HTTP handler checks the content type, then reads the whole body
//     under a size limit and a read deadline before it takes a decision slot,
//     so slow or stalled clients hold connections, never slots; [NewServer]
//     bounds headers, bodies, writes and idle keep-alives per connection.
//     Every answer says X-Content-Type-Options: nosniff, so a browser never
//     reads the text a Decision echoes as anything but its declared JSON.
//     The handler then moves the connection's write deadline to cover the
//     decision ([Limits].Timeout, the audit write and the answer), so no
//     server WriteTimeout cuts off an answer whose allow was audited.
//     One job holds at most [Limits].MaxInFlightPerJob decisions at once
//     (default 8), one repository [Limits].MaxInFlightPerRepository
//     (default 16) and one owner [Limits].MaxInFlightPerOwner (default 32),
//     keyed by issuer and immutable repository and owner ids: more are
//     [ErrJobBusy] (audited, HTTP 503 with Retry-After), so one job cannot
//     hold every slot, nor one repository by deploying from many branches
//     (each a subject, so a job, of its own).
//   - One image verification (shared by the requests that join it) reads
//     at most [Limits].MaxFetchBytes from the registry (default 64 MiB:
//     manifest, referrers, attestation manifests and bundles) and hands at
//     most [Limits].MaxVerifiedBundles bundles to a verifier (default 64);
//     the trusted-summary lookup has a budget of its own. Past either, the
//     verification stops and every request sharing it is undecided
//     ([ErrBudgetExceeded], audited as "budget_exceeded"), never decided on
//     the attestations that fitted, and nothing is cached. Whoever can push
//     referrers to a repository could otherwise make every decision about
//     its image read 256 bundles of 8 MiB. A decision whose caller went
//     away, or whose deadline passed, reads no more VEX documents.
//   - Verification results are cached by the image.Verifier (deny verdicts
//     included, errors never; a bundle verification cut short by the
//     deadline, or that could not be audited, is an error, not a deny);
//     concurrent requests for one reference share one fetch and one
//     verification.
//   - An image reference is read strictly, its digest must be sha256 (as
//     for inline bundles) and its registry host is written in lower case
//     before anything sees it: policy, audit, inventory and summaries see
//     one spelling of a repository.
//   - Without [WithRegistries] the gate reads any registry a request names:
//     set it for a gate that takes requests from a network. A registry
//     error withholds the query of the URL the request failed at (a
//     pre-signed storage URL a registry redirected a blob read to is a
//     credential for the content).
//   - [WithVSA] fails closed: an allow whose summary cannot be signed or
//     attached is a deny ([ErrVSANotIssued]).
//   - [WithSVR] fails closed the same way: an allow whose result cannot be
//     signed or attached is a deny ([ErrSVRNotIssued]). A deny gets no
//     result unless SVRIssuer.IssueDenies asks for one: a deny may turn on
//     the requesting job, which a result does not name, so any job could
//     otherwise attach a deny, newer than its owner's allow, to any image.
//     With it, a deny stays a deny (no error) when its result cannot be
//     issued; its audit event says so ("svr_error"). A deny's result never
//     lists ZTCI_POLICY_ALLOWED.
//   - [WithTrustedVSAs] relies on a summary only when it verifies with the
//     verifier configured for the verifier.id it names (signature, signer
//     identity, subjects covering every manifest this gate would verify:
//     the pinned digest, or each platform manifest of an index verified
//     per platform), names this repository when its resourceUri is an OCI
//     package URL (its scheme and type in any case: "pkg:OCI/" is one too),
//     says PASSED, names an accepted policy revision, is
//     within the freshness window, and neither its signer nor the
//     signers, keys, builders and leases of the inputs it names are
//     revoked — checked per decision, whatever is cached; with a lease
//     checker, a summary that does not list its build's leases is not
//     relied on, nor, with a signer threshold above one, one that does not
//     name that many distinct signers for each manifest. This gate's
//     deploy policy is evaluated on the summary: the job it authenticated,
//     the artifact Verified with the facts the summary carries
//     (attestations) and the summary itself (Artifact.VSA), so rules about
//     the caller hold on both paths and a rule needing facts the summary
//     lacks denies. Any summary not relied on, or on which policy denies
//     (its own verdict, even when a Warn or DryRun mode admits it), is
//     ignored and the attestations are verified: a summary can save work,
//     never change the answer full verification gives. What is
//     delegated is the trusted verifier's word that the attestations it
//     names verified and say what it reports.
package gate
