// Package github verifies GitHub artifact attestations — the Sigstore
// bundles that actions/attest (and actions/attest-build-provenance) makes
// and that the attestations API and `gh attestation download` return —
// with the signer policy `gh attestation verify` offers, offline.
//
// # Main types
//
//   - Policy is gh's policy flags as fields: Host (--hostname: github.com
//     or a GitHub Enterprise Cloud tenant, <tenant>.ghe.com), Owner (--owner) or Repo
//     (--repo), SignerRepo (--signer-repo) or SignerWorkflow
//     (--signer-workflow), SourceRef (--source-ref), SourceDigest
//     (--source-digest), SignerDigest (--signer-digest), PredicateType
//     (--predicate-type, default SLSA provenance v1), OIDCIssuer
//     (--cert-oidc-issuer) and DenySelfHostedRunners
//     (--deny-self-hosted-runners), and, beyond gh, RepositoryID and
//     OwnerID (GitHub's numeric ids, which a re-registered name does not
//     carry). Each maps onto a Fulcio certificate extension (OIDs
//     1.3.6.1.4.1.57264.1.*) as gh maps it; the Policy doc lists the
//     mapping and the places where this package is stricter than gh.
//   - New(policy, opts...) builds a Verifier on verify's machinery: one
//     verify.Verifier per Sigstore instance, with the signer expressed as a
//     verify.Identity (SAN, issuer, exact Claims) and the case-insensitive
//     comparisons gh makes done on the verified claims afterwards.
//   - Verifier.Verify(ctx, bundleJSON, artifact) checks one bundle and
//     returns a *Result (verify's Result plus the Instance that verified
//     it); VerifyAll checks several, as gh does, and succeeds when at least
//     one satisfies the policy.
//   - ParseBundles reads a bundle, `gh attestation download` JSON Lines or
//     an attestations API response into bundles for Verify.
//
// # Trust roots
//
// actions/attest signs attestations of public repositories under
// Sigstore's public-good instance (Fulcio, Rekor, CT log) and those of
// private and internal repositories under GitHub's own (Fulcio
// fulcio.githubapp.com and the TSA timestamp.githubapp.com; no log). Both
// roots are embedded (verify.PublicGood and GitHubTrustedRoot), and either
// can be replaced (WithPublicGoodRoot, WithGitHubRoot; for example by roots
// verify/tuf refreshes: GitHubTUFMirror with GitHubTUFRoot for GitHub's)
// or the public-good one refused (WithoutPublicGood). The embedded GitHub
// root ends with the CA and TSA generation that began on 2026-06-12: an
// attestation made under a later one needs the refreshed root.
// Each instance has gh's verification policy: a Rekor entry, an SCT and an
// observer timestamp for public-good; one signed timestamp from GitHub's
// TSA for GitHub's.
//
// # GitHub Enterprise Cloud with data residency (ghe.com)
//
// A Policy whose Host is "<tenant>.ghe.com" is about that tenant, as
// `gh attestation verify --hostname <tenant>.ghe.com` is: the owner,
// repository and workflow URIs it derives are on https://<tenant>.ghe.com
// and the default issuer is https://token.actions.<tenant>.ghe.com
// (TenantOIDCIssuer). Each tenant has its own Fulcio and TSA under its own
// trust domain, so its trusted root is required (WithGitHubRoot), never
// guessed: gh reads it from GitHub's TUF repository (GitHubTUFMirror) as
// the target "<trust domain>.trusted_root.json", the trust domain coming
// from the tenant's API, and `gh attestation trusted-root --hostname
// <tenant>.ghe.com` prints it. TenantTrustedRootTarget names that target
// from a trust domain the caller gives (checked: DNS labels only), for
// verify/tuf's WithTarget to keep the tenant's root current. The public-good instance is not trusted for
// a tenant: its repositories cannot be public, and actions/attest uses
// public-good only for public ones. A github.com attestation does not
// satisfy a tenant policy, nor the reverse: the SAN, the URIs and the
// issuer all name the host.
//
// # Example
//
//	v, err := github.New(github.Policy{Repo: "org/repo", DenySelfHostedRunners: true})
//	bundles, err := github.ParseBundles(jsonl) // gh attestation download output
//	results, err := v.VerifyAll(ctx, bundles, verify.ArtifactBytes(artifact))
//	if err != nil { /* deny */ }
//
// # Security contract
//
//   - Fail closed: any error means "not verified", and every error matches
//     verify.ErrVerification and one of verify's category sentinels. A
//     policy mismatch is a *verify.IdentityMismatchError whose Field names
//     the check that failed ("san", "issuer", "sourceRepositoryOwnerURI",
//     "sourceRepositoryURI", "sourceRepositoryRef", "runnerEnvironment",
//     "sourceRepositoryDigest", "buildSignerDigest"); a wrong predicate type
//     a *verify.PredicateTypeMismatchError.
//   - The instance is chosen by cryptography, not by a name: a bundle goes
//     to the instance one of whose Fulcio CAs verifies its signing
//     certificate's chain (at the certificate's own notBefore), and is then
//     verified in full against that instance's root alone, with that
//     instance's policy. A certificate no trusted CA issued is refused
//     (ErrUnknownInstance), so a bundle cannot pick the laxer policy (no
//     log) by naming GitHub as its issuer. gh picks by the issuer's
//     organisation name.
//   - A tenant host is one DNS label before ".ghe.com" (letters, digits,
//     inner hyphens); anything else, and any host other than github.com,
//     is refused before a URL or regexp is built from it.
//   - Certificates expire after ten minutes; what counts is the proven
//     signing time (the Rekor entry's integrated time, or GitHub's signed
//     timestamp), never the wall clock, so old attestations verify for as
//     long as their root vouches for the CA and TSA of that time.
//   - Owner or Repo alone trusts every workflow of that owner or
//     repository at every ref, as gh does: a branch anyone with write access
//     pushes, a tag, a pull request's refs/pull/<n>/merge. To trust only a
//     release, pin SourceRef (and SignerWorkflow, with its ref).
//   - A subject binds the artifact by digest only, as in gh: its name is
//     not compared (the same bytes attested under another name verify).
//   - The signer policy is required (Owner or Repo); the predicate type
//     defaults to SLSA provenance v1; bundles v0.1 and bundles signed by a
//     key are refused, as in gh.
//   - No network: ParseBundles parses what it is given (bounded:
//     MaxInputBytes, MaxAttestations) and refuses an entry whose bundle is
//     only a URL; verification uses only the embedded or given roots.
//   - Audit (WithAudit, handed to both instances' verify.Verifiers): each
//     Verify writes exactly one verify.bundle event, a success only when it
//     returns a Result. A bundle refused before verify (too large,
//     unreadable, no trusted instance's certificate: resource
//     "artifact:unreadable") or by the Policy's case-insensitive checks
//     after it is one failure event (verify.Verifier.Refuse and
//     VerifyChecked), never a success. A call whose event the sink does
//     not accept fails with verify.ErrAudit; in VerifyAll (one event per
//     bundle) it ends the call, whatever the other bundles.
//   - Errors reach logs and audit events: they repeat what a bundle states
//     (its media type, what crypto/x509 quotes of its certificate) and a
//     trust domain only quoted and clipped, and VerifyAll's
//     *NoneVerifiedError names the first few bundles' errors (its Errs
//     holds all of them).
package github
