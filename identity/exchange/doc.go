// Package exchange trades a verified CI OIDC job token for a SPIFFE SVID:
// the token's normalized claims name the workload through a documented
// [Template], and the embedded identity/svid issuer signs an X.509-SVID or
// JWT-SVID that never outlives the token (for one audience unless the
// issuer was built svid.WithMultipleAudiences).
//
//	tmpl, _ := exchange.ParseTemplate("/ci/{platform}/{repository...}")
//	ex, _ := exchange.New(verifier, svidIssuer, tmpl,
//		exchange.WithMatcher(identity.MatchClaim("ref_protected", "true")))
//	sv, err := ex.X509SVID(ctx, rawToken) // spiffe://td/ci/github-actions/octo-org/octo-repo
//
// Names are not identities: when an owner renames or deletes an account,
// anyone may register the old name and recreate the repository, and its
// jobs get tokens with the same repository claim, hence the same ID from
// [DefaultTemplate]. A template that names the platform's immutable ids,
// "/ci/{platform}/{repository_owner_id}/{repository_id}", gives such a
// repository another ID (and keeps the ID across a rename).
//
// Claims tell repositories apart only within one token issuer: the token's
// issuer is in no placeholder, and {platform} names the CI product, not the
// instance. So an exchange serves one issuer: *oidc.Verifier's (its
// Issuer method), or the one [WithIssuer] names, which New requires of any
// other [Verifier]; a token the verifier accepts from another issuer is
// refused ([ErrIssuer]), where GitHub repository 123 and GitLab project
// 123 would have shared "/ci/{repository_id}". Two exchanges on one
// svid.Issuer whose verifiers trust different issuers (gitlab.com and a
// self-managed GitLab, both "gitlab-ci", whose project paths and ids
// overlap; github.com and a GitHub Enterprise Server) would give
// different repositories the same IDs from one template (and two
// templates may place different claims at one path), so New reserves the
// template's namespace (its leading literal segments: "/ci" of
// [DefaultTemplate]) on the svid.Issuer for its token issuer and template,
// and refuses ([ErrConfig], svid.ErrNamespaceTaken) an exchange of another
// issuer or template whose namespace is, or lies above or below, a
// reserved one. Give each token issuer and template its own literal first
// segment ("/gitlab-com/{repository...}", "/gitlab-acme/{repository...}"),
// or its own trust domain. The
// reservation is per svid.Issuer value: exchanges of different token
// issuers on separate issuers of one trust domain (replicas built
// differently) are not checked against each other.
//
// A job started by an untrusted trigger (the event claim:
// claims.DefaultUntrustedTriggers by default, pull_request_target,
// workflow_run and CircleCI's ssh-rerun, see [WithUntrustedTriggers]) is
// refused ([ErrUntrustedTrigger]): GitHub runs the first two for a pull
// request from anyone with the base branch's ref and ref_protected true,
// so such a job would get the protected branch's ID and pass a
// ref_protected matcher while running the pull request's code; a CircleCI
// SSH rerun is an interactive shell holding the job's token.
//
// A Buildkite build's branch (ref, {ref...}) is whatever the build's
// creator typed, with any commit, when the build is made in the UI, by
// the API or by another pipeline's trigger step, and Buildkite never says
// a ref is protected: on Buildkite, name pipelines ({repository...},
// {repository_id}), not refs, in templates and matchers that grant what
// only a protected branch should get.
//
// A CircleCI ref (vcs-ref) is a ref of the token's vcs-origin
// ({repository...}), and a forked pull request's build, which gets a
// token when the project passes secrets to builds from forked pull
// requests, states the fork's origin and branch with the project's own
// project-id: "/ci/{repository_id}/{ref...}" gives a fork's branch
// "main" the ID of the project's main. On CircleCI, name refs only where
// the project builds no forks with secrets, or name the origin
// ({repository...}) instead.
//
// An ID that names no ref is every job's of its repository: any branch's,
// and a pull request's from a fork where the platform gives it a token
// naming the base repository (a GitHub repository that sends write tokens
// to fork pull requests, a GitLab merge request pipeline a maintainer runs
// in the parent project). No claim tells such a job from the
// repository's own; require identity.MatchClaim("ref_protected", "true")
// ([WithMatcher]) where an ID should stand for reviewed code.
//
// Security contract: the token is fully verified first (identity/oidc),
// and a verification that reports no expiry is refused ([ErrNoExpiry]), so
// no SVID outlives its token; claim values are placed in the ID only when
// they are already valid path segments — never escaped or rewritten, so two different claim values can
// never yield the same SPIFFE ID; a template must name the repository
// ({repository}, {repository...}, {repository_id} or {sub}), so that
// repositories never share IDs whose other segments their pipelines
// choose; its first segment is a literal other than "spire" (SPIRE's
// reserved namespace), so that no claim names the top of the trust domain
// and the exchange's IDs live in a namespace of the deployer's (register
// no other workload under it); a multi-segment placeholder may only be
// last, and only of repository, ref or sub, whose '/' the platform writes
// (an environment "production/x" would land below .../production/); an empty claim is refused, and one that cannot be placed is quoted
// in errors and audit events in ASCII, clipped; with [WithAudit] every grant and refusal is an audit event and
// an audit failure withholds the SVID. A token may be exchanged again
// within its lifetime (each time for the same ID) unless its verifier is
// single-use (oidc.WithSingleUse).
package exchange
