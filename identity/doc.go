// Package identity establishes who a workload is: OIDC job tokens, SPIFFE
// SVIDs, mTLS between pipeline stages, and least-privilege permissions.
//
// Every credential is verified into an [Identity] — a SPIFFE ID, or an OIDC
// issuer and subject with [Claims] normalized across CI platforms — which
// other ztci packages consume. This package holds the model and the
// decisions on it:
//
//   - [Matcher] function types ([MatchClaim], [MatchClaimGlob],
//     [MatchSPIFFEID], ...) combined with [All] and [Any];
//   - [Guard], a deny-by-default permission model: grants ([Grant]) of
//     scoped permissions ("secrets:read:<name>", "deploy:<env>",
//     "artifacts:push:<repo>", "approve:<env>") to matchers, with
//     requirements ([Requirement]) such as [RequireAMR] for human
//     approvals, each decision an audit event;
//   - [Masker], the seam through which minted tokens reach the log redactor;
//   - [TokenVerifier], the seam of every token-authenticating component,
//     with [DeferredTokenVerifier] (verify now, spend later) and
//     [SingleUseReporter]: a verifier says whether it accepts each token
//     once, and a component that verifies one token repeatedly (the
//     egress proxy) refuses a single-use one at construction
//     ([RequireReusable], [ErrSingleUse]);
//   - [NewContext]/[FromContext] for request-scoped identities.
//
// The credentials live in subpackages, so call sites read as sentences:
// identity/oidc (job-token issuer and verifier), identity/claims (platform
// claim normalizers), identity/svid (embedded SPIFFE issuer),
// identity/workload (Workload API server and sources), identity/exchange
// (OIDC token in, SVID out), identity/mtls (tls.Config builders and
// authorizers) and identity/httpauth (HTTP middleware and round-tripper).
//
//	g, _ := identity.NewGuard([]identity.Grant{{
//		Name:        "app-release",
//		To: identity.All(identity.MatchIssuer("https://token.actions.githubusercontent.com"),
//			identity.MatchClaim("repository", "octo-org/app"), identity.MatchClaim("ref_protected", "true")),
//		Permissions: []string{"deploy:production"},
//	}}, identity.WithAudit(sink))
//	d, err := g.Check(ctx, identity.Request{Who: who, Permission: identity.Deploy("production")})
//	if err != nil || !d.Allowed { /* deny */ }
//
// Security contract: the zero Identity matches nothing; empty combinators,
// empty claim values, an empty claim prefix and a nil SPIFFE ID matcher
// never match; repository and owner names are not
// identities (a released name can be registered again and the repository
// recreated), so the platform's immutable ids are normalized too
// (repository_id, repository_owner_id) for grants to bind; claims name
// things within one platform (gitlab.com/octo-org/app is not GitHub's
// octo-org/app, and numeric ids of two platforms overlap), so a grant
// binds the issuer ([MatchIssuer]) wherever a Guard sees identities of
// more than one; a Guard denies unless a grant names
// both the caller and the permission and every requirement holds;
// requirements match the permission under Unicode case folding (grants
// exactly), so "deploy:PRODUCTION" or "deploy:ſtaging" cannot skip a
// requirement registered for "deploy:production" or "deploy:staging" that
// a "deploy:*" grant would then allow, nor can a name below it
// ("production:eu", "production/eu") or a spelling outside ASCII
// ("ｐroduction", "prodúction": a request outside ASCII meets every
// requirement of its resource); a grant's '*' crosses '/' and ':', so a
// requested permission may hold no wildcard nor any spelling a store may
// resolve to another name (an empty, "." or ".." segment, '%', '\', '#',
// '?', ';', glob characters, punctuation or symbols outside ASCII:
// ErrInvalidPermission), and "secrets:read:team-a/*" never releases
// "team-a/../team-b/db" or "team-a/．．/team-b/db"; under [WithAudit]
// every decision is audited, the refusal of a malformed request too (a
// deny, the permission quoted and clipped), and a decision that cannot be
// audited is an error (deny); a decision's Reason quotes in ASCII and
// clips the text it repeats from the request (the caller's id, with the
// branch or environment its subject names, and a requirement's error).
// identity links no OPA, sigstore-go or
// go-containerregistry (internal/depcheck enforces it).
package identity
