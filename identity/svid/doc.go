// Package svid is an embedded SPIFFE issuer: a per-runner CA that signs
// short-lived X.509-SVIDs and JWT-SVIDs for jobs, using only the standard
// library's x509 and go-jose (no sigstore-go).
//
//	iss, _ := svid.NewIssuer(spiffeid.RequireTrustDomainFromString("ci.example.com"))
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
// its key.
// The CA has path length 0 (it signs only leaves: least privilege) and a
// lifetime of 24h by default;
// X.509-SVIDs carry exactly one URI SAN, digitalSignature only, are never
// CAs, live 1h by default (at most 24h) and never past the caller's limit or
// the CA; JWT-SVIDs need a non-empty audience and live 5 minutes by
// default; IDs outside the trust domain, without a path or longer than the
// specification's 2048 bytes are refused ([ErrID], [ErrIDTooLong]); a
// JWT-SVID whose header or claims repeat a member or hold member names that
// differ only in case is refused before go-spiffe parses it
// ([ErrAmbiguousJSON]); with [WithAudit] every issuance is audited and an audit failure
// withholds the SVID.
package svid
