// Package svid is an embedded SPIFFE issuer: a per-runner CA that signs
// short-lived X.509-SVIDs and JWT-SVIDs for jobs, using only the standard
// library's x509 and go-jose (no sigstore-go).
//
//	iss, _ := svid.NewIssuer(spiffeid.RequireTrustDomainFromString("ci.example.com"),
//		svid.WithMasker(redactor)) // every JWT-SVID reaches the log redactor
//	x, _ := iss.X509SVID(ctx, spiffeid.RequireFromPath(td, "/ci/job/42"), tokenExpiry)
//	j, _ := iss.JWTSVID(ctx, id, time.Time{}, "https://vault.example.com")
//	cfg, _ := mtls.ServerConfig(x, iss, authz) // *Issuer is an x509bundle.Source
//
// [JWTVerifier] verifies JWT-SVIDs into an identity.Identity (usable with
// identity/httpauth's WithBearer). [ParseX509] loads an SVID written to disk by a SPIFFE agent, checking its
// validity period, which go-spiffe's parser does not.
//
// # Under a downstream SPIFFE server
//
// SPIRE can run under this CA through its "disk" UpstreamAuthority: create
// the issuer [WithCAPathLen](1) and hand [Issuer.ExportCA]'s certificate and
// key to spire-server as cert_file_path and key_file_path. SPIRE's
// X.509-SVIDs then chain to this CA, so ztci's bundle (and identity/mtls)
// accepts them. With the default path length 0, spire-server refuses the
// CA at start-up ("x509: too many intermediates for path length
// constraint"), and ExportCA refuses too.
//
// # Replicas sharing JWT-SVID keys
//
// Replicas of one issuer share their JWT-SVID verification keys through the
// key-store seam of identity/oidc ([oidc.KeyStore]; identity/oidc/natskeys
// on a bucket of its own across processes):
//
//	keys, _ := natskeys.New(ctx, js, natskeys.WithBucket("ztci_svid_jwt_keys"), natskeys.WithReplicas(3))
//	iss, _ := svid.NewIssuer(td, svid.WithJWTSigner(kmsKey, ""), // or a fresh key per replica
//		svid.WithJWTKeyStore(keys))
//	if err := iss.PublishJWTKey(ctx); err != nil { ... } // then take traffic
//
// Each replica publishes its signing key's public half before it signs
// with it and renews the record while it signs; its JWT bundle holds its
// own keys and every live key of the store, so a JWT-SVID from any replica
// verifies with any replica's bundle. [Issuer.RotateJWTKey] publishes the
// next key before it signs, and the previous key stays in every bundle
// until its last JWT-SVID has expired plus go-jose's minute of leeway (in
// the store its record lapses at most one JWT-SVID lifetime after that);
// it refuses a key id that such a retired key still holds, under which
// the bundle would hold two keys. A key whose private half may be stolen
// is revoked instead of waiting for that: [Issuer.RevokeJWTKey] (after a
// rotation, for a key this replica signed with; or any fleet key but its
// own signing key) drops it from this issuer's bundle at once and records
// the revocation in the store, from which every replica's bundle drops it
// at its store's next refresh (natskeys: its watch, or its full read
// every WithRefresh at the latest) and no replica publishes it again. A
// caller that keeps its last good
// [Issuer.FleetJWTBundle] through a store outage keeps it for at most
// [Issuer.FleetJWTBundleMaxAge] (identity/workload does).
//
// # Namespaces
//
// [Issuer.ReserveNamespace] keeps one owner per ID namespace (a path and
// everything below it): identity/exchange reserves its template's leading
// literal segments for its template and token issuer, so that two
// exchanges on one Issuer for different token issuers, or with different
// templates, cannot derive the same ID for different repositories
// ([ErrNamespaceTaken]).
//
// # Security contract
//
// Keys are generated in memory (P-256) and never exported, except that the
// CA key may be a caller's crypto.Signer (a KMS key, [WithCASigner]: ECDSA
// P-256 or P-384, Ed25519, or RSA-PSS with at least 2048 bits; the issuer
// only calls Public and Sign, and SVIDs issued before a restart with the
// same Signer still chain to the CA), and that [Issuer.ExportCA] returns
// the CA key only when the caller asked for a CA that may sign CAs
// ([WithCAPathLen] of 1 or more) and the key is a software key in this
// process; a KMS or HSM Signer is refused with an [*ExportError]
// ([ErrNotExportable]), and an issuer without WithCAPathLen never exports
// its key. The JWT-SVID key may be a caller's crypto.Signer too
// ([WithJWTSigner]: ECDSA P-256, P-384 or P-521, or RSA of at least 2048
// bits with PS256; no EdDSA, which JWT-SVIDs do not allow), checked with a
// self-test signature. The key store receives public keys only. With
// [WithMasker] every JWT-SVID (a bearer credential) is registered with the
// Masker before it is returned, whoever asked for it. With
// [WithJWTKeyStore] no JWT-SVID is issued unless the signing key is
// published in the store past the SVID's expiry plus the leeway
// ([*NotPublishedError], matching [oidc.ErrNotPublished]): during a store
// outage a replica signs for at most one more JWT-SVID lifetime. Store
// records are validated again ([oidc.PublishedKey.Validate], a JWT-SVID
// algorithm, no other key under one of this issuer's key ids) before they
// enter a bundle; when the store cannot answer, [Issuer.JWTBundle] holds
// this issuer's own keys only (fail closed) and [Issuer.FleetJWTBundle]
// returns the error. A revoked JWT key ([Issuer.RevokeJWTKey]) leaves
// this issuer's bundle, and so [JWTVerifier]s reading it, at once; other
// replicas' bundles at their store's next refresh; identity/workload's
// bundle streams within their WithBundleRefresh after that; a bundle
// cached elsewhere at its holder's next refresh. The signing key is never
// revoked ([ErrJWTKeyActive]: rotate first), a kid in no bundle is refused
// ([ErrJWTKeyUnknown]; revoking again is not an error), and a revocation
// the store could not record is returned as an error ([oidc.ErrKeyStore])
// after this issuer dropped the key. Whoever can write to the store can add a key every
// replica's bundle trusts: grant write access to the issuer replicas only.
// The CA has path length 0 (it signs only leaves: least privilege) and a
// lifetime of 24h by default;
// X.509-SVIDs carry exactly one URI SAN, digitalSignature only, are never
// CAs, live 1h by default (at most 24h) and never past the caller's limit or
// the CA; JWT-SVIDs carry one audience (several only [WithMultipleAudiences],
// else [ErrMultipleAudiences]: the JWT-SVID specification strongly
// recommends one, since each audience could replay the token at the
// others, and a [JWTVerifier] and [ParseAndValidateJWT] likewise refuse a
// JWT-SVID whose aud lists audiences besides those expected unless given
// that option), non-empty, short enough in all that the
// token fits [MaxJWTSize] ([ErrJWTTooLarge]: the issuer signs nothing its
// verifier would refuse), and live 5 minutes by default; IDs outside the
// trust domain, without a path or longer than the specification's 2048
// bytes are refused ([ErrID], [ErrIDTooLong]); a verified JWT-SVID must
// carry iat and live (exp minus iat) at most [DefaultMaxJWTLifetime], one
// hour, unless [WithMaxJWTLifetime] (at most 24h) allows longer
// ([ErrJWTLifetime]): go-spiffe checks only that exp has not passed, so a
// token a misconfigured or compromised signer minted for years would be a
// bearer credential for years ([Issuer.JWTVerifierOptions] accept what an
// issuer with a longer WithJWTTTL mints); [ParseAndValidateJWT]
// refuses an empty list of expected audiences or an empty one in it
// ([ErrConfig]; go-spiffe would check no audience at all), and
// [JWTVerifier] refuses a JWT-SVID whose sub is longer than 2048 bytes or is a trust
// domain's own ID ([ErrRootID]; [CheckPeerID] is the same check for
// identity/mtls, identity/httpauth and policy/egress, and
// [CheckPeerKeyUsage] ([ErrKeyUsage]) the key-purpose check of a TLS
// peer's X.509-SVID that go-spiffe skips: digitalSignature on the leaf,
// clientAuth or serverAuth allowed by every extended key usage of the
// chain); a
// JWT-SVID whose header or claims repeat a member or hold member names that
// differ only in case is refused before go-spiffe parses it
// ([ErrAmbiguousJSON]), and so is one that is not exactly three segments of
// strict unpadded base64url ([ErrJWTEncoding]: no CR or LF, no non-zero
// unused bits, each of which go-jose would accept as another string for the
// same token), whose header holds a member other than alg, kid and typ
// ([ErrJWTHeader], as the JWT-SVID specification §2 requires: no jwk, jku,
// x5u, x5c, crit or b64, and no cty, zip or enc, by which the payload would
// not be the claims as signed), or that is longer than 16 KiB
// ([ErrJWTTooLarge]); with [WithAudit] every
// issuance is audited and an audit failure withholds the SVID, and every
// JWT key revocation is audited (its failure returned, the revocation
// kept).
package svid
