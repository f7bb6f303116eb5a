// Package oidc issues and verifies OIDC job tokens: short-lived signed JWTs
// that tell a relying party (Fulcio, Vault's JWT auth, a cloud STS, another
// ztci service) which CI job is calling.
//
// The runner side is an [Issuer]: it mints a [Token] per job and audience,
// serves its discovery document and JWKS as an http.Handler, and rotates
// keys with overlap. The service side is a [Verifier]: it fetches and caches
// the issuer's keys and returns an [identity.Identity] with normalized
// claims.
//
//	iss, _ := oidc.NewIssuer("https://ci.example.com", oidc.WithMasker(redactor))
//	http.Handle("/", iss.Handler())
//	tok, _ := iss.Mint(ctx, oidc.Job{Claims: claims}, "https://vault.example.com")
//	env = append(env, "ZTCI_ID_TOKEN="+tok.Reveal())
//
//	v, _ := oidc.NewVerifier("https://ci.example.com", "https://vault.example.com")
//	who, err := v.Verify(ctx, raw) // any error: deny
//
// # Fleets, KMS keys and rotation
//
// [WithSigner] signs with a caller's [crypto.Signer] (a KMS or HSM key):
// the issuer only calls Public and Sign, the algorithm is pinned to the key
// (P-256 ES256, P-384 ES384, Ed25519 EdDSA, RSA PS256 or RS256) and a
// mismatch is refused at construction ([ErrSigner]). [WithKeyStore] makes
// the issuer a replica of a fleet sharing a [KeyStore] of public keys
// ([MemoryKeyStore] in one process, package identity/oidc/natskeys on NATS
// JetStream): every replica publishes its keys there before signing with
// them and serves the union of the fleet's live keys, so a token minted by
// any replica verifies against any replica's JWKS, and a restart (same
// Signer, or a new key while the old one stays published) invalidates no
// outstanding token. [WithRotation] rotates an in-memory key on a schedule,
// publishing the next key one interval ahead and keeping the previous one
// until its last token has expired.
//
// How replicas agree: they do not elect a "current" key. Each replica signs
// with its own active key (or, with a shared KMS key, all sign with the
// same one under the same kid) and every published key is valid for
// verification from its publication to its NotAfter. What they agree on is
// the set, and two rules keep it sound: a key is published before it signs
// (Mint refuses with [ErrNotPublished] otherwise), and a token is minted
// only while its expiry plus a minute of grace is before the key's
// published NotAfter. A replica renews its publication while it mints, a
// token lifetime ahead, so one that crashes or loses the store leaves keys
// that lapse on their own once their last token has expired. A key id is
// bound to one public key and algorithm: republishing it with other
// material fails ([ErrKeyConflict]), and a record is only ever extended,
// never shortened. The store decides which of a replica's own keys are
// live: one it no longer lists ([KeyStore.Revoke]) leaves that replica's
// JWKS at its next JWKS request. A store that is a [RevocationChecker]
// ([MemoryKeyStore], natskeys) is asked before every signature, so the
// replica stops signing with the key as soon as its store has seen the
// revocation (natskeys: its watch, milliseconds); a store that cannot
// answer fails the Mint ([ErrKeyStore]). Otherwise the replica stops at
// that JWKS request or its next renewal at the latest. Either way Mint
// fails with [ErrNotPublished] wrapping [ErrKeyRevoked], while a
// [WithRotation] issuer's same Mint moves to its next key or to a fresh
// one, and signs. A next key is published again when it is promoted (on
// schedule too), before it signs, so one revoked meanwhile never signs,
// and none signs while the store cannot confirm it. Worst case, with a
// store that is not a RevocationChecker, a replica that serves no JWKS
// request signs with a revoked key for half a token lifetime after the
// later of its key's last successful publish and when the key started
// signing; if the store does not answer at that renewal, for up to one
// token lifetime after it, when the publication no longer covers a token.
// Verifiers refuse those tokens once their JWKS cache drops the kid.
//
// # Security contract
//
// Issuer: ES256 by default (EdDSA, ES384/512, RS*/PS* with 3072-bit keys on
// request), a random 128-bit jti per token, TTL at most one hour, a
// subject, audience or claim holding invalid UTF-8 (which would be signed
// as U+FFFD, so two values become one claim), a control character or a
// line separator refused ([ErrConfig], naming the claim, never its value),
// as is a claim set over 8 KiB, the token
// registered with the [identity.Masker] before it is returned, and a
// [Token] that prints as [REDACTED] everywhere except [Token.Reveal]. Claim
// names follow GitHub Actions (repository, repository_id,
// repository_owner_id, ref, sha, workflow_ref, job_workflow_ref, run_id,
// run_attempt, event_name, actor, runner_environment, environment,
// ref_protected) plus GitLab's environment_protected ("true"/"false", for a
// job with an environment; set without one, Mint refuses with
// [ErrConfig]), so Fulcio ci-provider templates and Vault bound_claims
// written for GitHub apply unchanged. The default subject
// ("repo:<repository>:ref:<ref>", see [Job]) is refused for a repository
// holding ':' ([ErrConfig]), which would let two jobs share one subject.
// [WorkflowSubject] reads the workflow
// path from a set WorkflowRef only, and only when it names a file of the
// token's repository and holds one '@' (never from the workflow's name, a
// reusable workflow elsewhere, or a file name holding '@'), and refuses a
// subject whose path a verifier that cleans it reads as another
// ([CheckURIPath], [ErrURIPath]: a dot segment, also percent-encoded, "//",
// "%2f", "%5c"; or a '?' or '#').
//
// Verifier: tokens are parsed by the verifier itself rather than by
// go-jose's parser, which is too lenient (Wycheproof shows it accepting
// padded, whitespace-laden and non-canonical base64url, and PS256 tokens
// with any salt length). It refuses: more or fewer than three segments;
// anything but strict unpadded base64url; tokens over 16 KiB; alg none, any
// HMAC, or any algorithm not allowed for the selected key (a key's type and
// its JWKS "alg", "use" and "key_ops" pin it); jwk, jku, x5u, x5c, crit and
// b64 headers (keys come only from the issuer's JWKS), cty, zip and enc
// headers (a nested JWT, a compressed or encrypted payload: not the claim
// set as signed), and a typ other than JWT or JOSE; ES* signatures not
// exactly r||s of the curve size; PS* signatures whose salt is not the hash length; RSA keys
// under 2048 or over 8192 bits, with a bad exponent or ROCA-vulnerable; JWKS with
// duplicate kids; a JWKS in which any key holds private or secret material
// (d, p, q, dp, dq, qi, oth; a symmetric key's k), refused whole with
// [ErrPrivateKey] (whoever reads it can forge tokens), the verifier's cached
// set dropped with it, and the member named, never its value; a wrong or missing iss; an aud that is missing, empty or
// lacks the expected audience; an aud listing other audiences besides
// the expected one unless azp equals it (OIDC Core 3.1.3.7,
// [ErrAuthorizedParty]); exp missing or past, nbf or iat in the
// future (30 s leeway by default); bound-claims rules ([WithBoundClaims],
// [WithBoundClaimsGlob]); with [WithSingleUse], a jti seen before, and a
// token that expired before its jti was recorded (so a replay at the
// instant of expiry cannot take over its first use's record; such a
// verifier reports it, [Verifier.SingleUse], and policy/egress, which
// verifies a job's one token on every request, refuses it); and a
// header, claim set, discovery document or JWKS whose JSON repeats a member
// or holds member names that differ only in case, or spells a registered
// name (alg, kid, iss, ...) in another case ([ErrAmbiguousJSON]): JOSE
// names are case-sensitive, encoding/json is not. Token values an error
// quotes (alg, kid and typ, read before the signature is checked; a claim
// such as the aud a job asked for) are quoted clipped, so a caller cannot
// make errors, logs and audit events arbitrarily large.
// An issuer URL (of a Verifier or an Issuer) holding userinfo, a query or
// a fragment, even an empty "?" or "#", is refused ([ErrConfig]), as is a
// jwks_uri holding userinfo, never quoting the credential, and a jwks_uri
// whose host is an internal address literal (loopback, private,
// link-local such as the cloud metadata service; netaddr.Public) or
// localhost unless it is the issuer's own host: a discovery document cannot
// point the verifier's fetch into its network. A DNS name is not resolved
// for this check. Text from a discovery document or JWKS (its issuer,
// jwks_uri, a kid) is quoted clipped in errors.
// Keys are fetched over https (plain http only from a loopback issuer),
// following redirects only within the requested origin ([ErrRedirect]),
// with bounded reads (1 MiB, at most 64 keys), retried with
// backoff, cached for 10 minutes, and an unknown kid triggers at most one
// refresh per 30 s; while the issuer is unreachable the last good set is used
// for at most one more TTL, then verification fails closed. A failed fetch
// is not retried for 30 s (3 s without a usable set) however many tokens
// arrive, and no verification waits for another's fetch beyond its own
// context (none waits when its kid is in the last good set).
// Every rejection wraps [ErrInvalidToken]; [ErrKeySet] means "could not
// decide". Either is a deny.
//
// # One audience per token
//
// A token listing several audiences reaches each of them, and each could
// replay it at the others: a job's token for [vault, gate] lets whoever
// reads Vault's request log deploy as the job. So the default is one
// audience per token on both sides. Mint refuses more than one
// ([ErrConfig]) rather than write azp = the first audience: a token that
// named its intended party in azp would still be accepted by every other
// audience whose verifier ignores azp (most third-party ones: Vault's JWT
// auth, cloud STSs), so only refusing keeps the job's other audiences
// safe. The Verifier applies OIDC Core 3.1.3.7: a token whose aud lists
// other audiences is accepted only when its azp equals the verifier's
// audience ([ErrAuthorizedParty], which wraps [ErrAudience]). A token for
// the verifier alone is accepted whatever its azp: there aud already pins
// the party, and issuers such as Google put the presenting client or
// service account in azp, not the audience. [WithMultipleAudiences] lifts
// both refusals, for an issuer that must mint such tokens and a relying
// party that trusts every other audience not to replay them; mint one
// token per audience instead where you can.
package oidc
