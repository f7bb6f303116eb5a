// Package ocibundle loads OPA policy bundles for a fleet from an OCI
// registry, and only bundles signed by the publisher the vendor names.
//
// A [Source] is a [policy.Source]: give it to [policy.New] with
// [policy.WithReloadInterval] on every replica, and each replica follows a
// tag (or stays on a digest), activating a new bundle only once its
// signature verified, and keeping the last good policy otherwise.
//
// # Layout
//
// A bundle is stored as OPA itself stores it in a registry (see
// open-policy-agent/opa v1/download): an OCI image manifest
// ([MediaTypeManifest]) whose config is an image config ([MediaTypeConfig],
// or the OCI empty descriptor) and whose one layer ([MediaTypeLayer]) is
// the .tar.gz that `opa build` writes, pushed for example with
//
//	oras push registry.example/policies:v42 \
//	  --config config.json:application/vnd.oci.image.config.v1+json \
//	  bundle.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip
//
// Its signature is a Sigstore bundle attached to the manifest digest as an
// OCI referrer (the referrers API, or the "sha256-<hex>" tag schema on
// registries without it), as attest/attach and cosign v3 write it: an
// in-toto statement about the manifest digest with the predicate type the
// vendor chooses, whose subject names the repository (as `cosign attest`
// and attest/attach.Attest name it). A message signature over the
// manifest names no repository, and is accepted only with
// [WithUnscopedSignatures].
//
// # Use
//
//	ref, _ := name.ParseReference("registry.example/policies:prod")
//	src, err := ocibundle.New(ref, trust, verify.Expectation{
//		Signer:        verify.Identity{SAN: publishWorkflow, Issuer: "https://token.actions.githubusercontent.com"},
//		PredicateType: "https://example.com/policy-bundle/v1",
//	})
//	eval, err := policy.New(ctx, src, policy.WithReloadInterval(30*time.Second), policy.WithAudit(sink))
//	d, err := eval.Evaluate(ctx, in) // d.Revision: "v42@sha256:…", the manifest that decided
//
// Add [WithMaxAge] when the publisher signs the bundle in force again on a
// schedule, so that no replica decides with a policy whose last signature
// is older.
//
// # Security contract
//
//   - The expected signer is required: [New] fails with [ErrConfig] without
//     expect.Signer (a certificate identity or a public key), and the
//     verify options given cannot lift it. Trust comes only from the trust
//     material given to New (verify.New's rules: offline, fail closed).
//   - Each Load resolves the reference once and uses the manifest digest it
//     resolved to for everything after: the Sigstore bundles attached to
//     that digest are verified first, and only then is the layer the
//     manifest names fetched, by its digest, and read. A tag moved during a
//     Load cannot change what is loaded.
//   - Nothing unverified is returned. No signature from the expected signer
//     ([*UnverifiedError], [ErrUnverified]; the rejections it holds match
//     verify's sentinels, e.g. verify.ErrIdentityMismatch), a manifest that
//     is not exactly OPA's layout with one bundle layer ([ErrFormat]), a
//     layer that does not hash to its digest ([ErrDigestMismatch]), over
//     the limit ([ErrTooLarge]), a registry that cannot be read
//     ([ErrRegistry]) or a bundle that does not load or compile: every
//     error wraps [policy.ErrLoad], so an Engine keeps its last good policy
//     (never an empty one, never "allow"), returns, logs and audits the
//     error and keeps it in Engine.LastReloadError; policy.New fails.
//   - Reads are bounded: the manifest by the OCI client's 4 MiB limit, the
//     layer by [policy.MaxBundleBytes] (or [WithMaxBundleBytes]), refused
//     on its declared size before it is fetched, and then by
//     [policy.ReadBundle]'s limits on the tarball, on its files together
//     and on each file (it also refuses a tarball whose paths are
//     ambiguous, one path twice or a ".." element, and a data.json that
//     repeats a member). Retries of
//     429 and 5xx are bounded. So is what an error of Load quotes: at
//     most 4 KiB, quoted unless it is printable ASCII (a registry's media
//     type or status text cannot fill the logs and audit events an Engine
//     writes on every reload), with the sentinels still in its chain.
//   - The active revision is in every Decision: Bundle.Revision is the
//     manifest digest, after the bundle's own .manifest revision and "@"
//     when it declares one ("v42@sha256:<hex>"). The digest is what the
//     signature covers; the revision is for people. A .manifest revision
//     that is not printable (a line break, a control, a bidirectional
//     override; see policy.ReadBundle), or that makes the whole longer
//     than policy.MaxRevisionBytes, is refused before the bundle is
//     admitted, so it never raises the rollback floor.
//   - No rollback: a bundle signed before the one the Source returned last
//     is refused ([ErrRollback]), so whoever can move the tag (or replay an
//     old registry answer) cannot bring back an older bundle the same
//     publisher signed, such as one with a rule fixed since. A bundle's
//     signing time is the latest time a trusted timestamp authority or
//     transparency log proves for a verified signature of its manifest,
//     never a time the signer claims; only signatures in scope (see below)
//     count. The floor is the signing time of the newest bundle returned:
//     an earlier time is refused; an equal one is admitted for the bundle
//     that set the floor (a restarted replica must reload it) and refused
//     for any other, with [ErrRollback]: two bundles proven at one instant
//     (two signed within a second, under a TSA or log of one-second
//     precision) cannot be ordered, and admitting both let whoever moves
//     the tag switch between them, so publish a fix of a bundle signed a
//     moment ago once the second has turned. A refused bundle leaves the
//     floor where it was, so a newer one still loads after it. To roll back on purpose, sign the older
//     manifest again: the new signature makes it the newest. A verified
//     signature with no proven time cannot be ordered, so a bundle without
//     one is refused ([ErrUnverified] wrapping verify.ErrTimestamp); verify
//     requires at least one, so this is a guard, not a mode. There is no
//     option to turn the check off.
//   - The floor lives as long as the Source: a restarted replica accepts
//     the first signed bundle the reference names, however old, unless
//     [WithFloorStore] keeps the floor, which is then read before and
//     recorded before a bundle is returned; a store that fails refuses the
//     bundle ([ErrFloorStore]). A store must keep the floor's digest as
//     well as its time: at equal times the store's floor wins, naming the
//     one bundle any replica may run at that time, and its reference
//     (Floor.Ref, the reference the Source follows): a floor is one
//     reference's, and a Source refuses a floor of another reference
//     ([ErrFloorStore]) instead of ordering its bundles by another's, so
//     give each reference its own store (or key). Raising it is one
//     atomic step that returns the floor kept (see [FloorStore]): of
//     replicas racing to raise it, with bundles signed at one instant or
//     one of them on a floor read before another raised it, only the one
//     whose bundle the store kept activates it; the others get
//     [ErrRollback] from that same Load. A floor from the store that is
//     neither none nor a time and a sha256 manifest digest, or a raise the
//     store answers with an earlier floor, is [ErrFloorStore], never taken
//     for no floor. A floor in the future is kept (no clock is consulted):
//     it refuses bundles signed before it. Whoever can write the store can
//     lower the floor, so [FileFloorStore], the store for one process,
//     keeps its file where only this process's user (and root) can change
//     it, and refuses anything else with [ErrUnsafeFloorFile] (an
//     [ErrFloorStore]): NewFileFloorStore, and every read and raise after
//     it, check the path as OpenSSH checks ~/.ssh (every directory from /
//     and every symbolic link on the way owned by root or this user, the
//     file's directory writable by nobody else, one above it by others only
//     if sticky; a missing directory is made 0700), and the file must be a
//     regular file (not a symbolic link, not a FIFO) of this user that
//     group and others cannot write, read bounded, written atomically
//     (temporary file, fsync, rename, fsync of the directory). A file that
//     does not hold exactly one floor is [ErrFloorStore], never no floor.
//     A missing file is no floor: a file store cannot tell a first start
//     from a file removed since, so a vendor that must (a gate that may
//     never start over without its floor) keeps the floor in a store whose
//     loss is an error, such as a database row written at provisioning,
//     and [WithMaxAge] bounds how old a bundle a lost floor lets back in.
//     A proven time shows that the signature
//     existed then, not that it was made then. For a certificate signer
//     verify checks the chain at every proven time, which bounds the gap by
//     the certificate's lifetime (minutes for Fulcio and ztci's CA). For a
//     keyed publisher nothing bounds it: anyone holding an old signed
//     bundle can have its signature timestamped anew by a timestamp
//     authority the trusted root names, so the protection is only as strong
//     as those authorities are closed to others.
//   - A reference that still resolves to the digest that verified last is
//     not verified again while its signature is within [WithMaxAge] (one
//     registry request per Load): its content is
//     fixed by the digest and the trust and expectation by New. It is
//     checked against the floor again, though (with [WithFloorStore], the
//     store is read, and a store that cannot be read refuses it): a
//     replica the registry keeps on an older bundle after another replica
//     sharing the store activated a newer one gets [ErrRollback] (its
//     Engine keeps the policy in force and reports the error) rather than
//     silent success. Any other digest is verified on every Load,
//     including one refused before.
//   - A signature counts only for the repository it names: the signed
//     in-toto statement must have a subject with the manifest's digest
//     whose name is the reference's repository ("registry.example/policies",
//     as go-containerregistry normalises it), or one [WithRepositoryScope]
//     names (a mirror). A bundle the expected signer signed for another
//     repository (a permissive sandbox policy, another team's), copied
//     here with its signature by anyone who can push, is refused
//     ([ErrUnverified] holding [ErrScope]), and its signature does not
//     count as a signing time here either. The name is in the signed
//     statement, where every cosign-style signer puts it, so standard OPA
//     bundles need nothing more. The tag is not bound by default: whoever
//     can push to the repository can point the prod tag at a bundle the
//     publisher signed for staging, and since staging's bundles are
//     usually newer the rollback floor does not stop it. [WithTagBinding]
//     binds it: the signed subject must carry the annotation
//     [RefNameAnnotation] with the Source's tag, or the bundle is refused
//     ([ErrUnverified] holding [ErrTag]); promoting a bundle is then
//     signing it for the new tag. New refuses a
//     message signature, which names nothing but the digest, with
//     [ErrConfig] unless [WithUnscopedSignatures] accepts that this
//     policy is then told from the publisher's others only by the signer
//     identity and predicate type (give it its own).
//   - Freshness only with [WithMaxAge] (off by default: it needs the
//     publisher to sign the bundle in force again on a schedule, which
//     nothing did before). Age is measured from the bundle's proven
//     signing time, not from the last time the registry answered: a
//     registry, or anyone who can push, that keeps the tag on an old
//     bundle answers every check, but cannot make a new signature. Past
//     the maximum age Load fails with [ErrStale], which wraps
//     policy.ErrExpired, and so does every Load that fails (the registry
//     unreachable, a refused bundle) while the bundle returned last is
//     that old; an Engine then refuses to decide (policy.ErrNoDecision)
//     until a Load succeeds, instead of keeping the last good policy.
//     Signing the same manifest again renews it: a cached bundle past the
//     age is verified anew. For a keyed publisher the proven time is
//     weaker, as above: whoever can have an old signature timestamped anew
//     can renew it. Without WithMaxAge a signed bundle never expires, and a
//     frozen registry keeps the bundle in force as long as it likes; the
//     rollback floor only stops it going back.
//   - OPA's own bundle signatures (.signatures.json) are neither required
//     nor checked: the Sigstore signature covers the manifest, which names
//     the layer by digest, so it covers every byte of the tarball,
//     .signatures.json included. Checking OPA's JWT signatures as well
//     would need OPA's key configuration for no further guarantee.
//   - Indexes (multi-platform) are refused: sign and reference the bundle
//     manifest itself.
package ocibundle
