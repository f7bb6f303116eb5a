// Package vault is a [secrets.Backend] for HashiCorp Vault and OpenBao,
// built on the official API client (github.com/hashicorp/vault/api).
//
// Each lease is fetched as the job: the backend logs in through the JWT auth
// method with the job's own OIDC token (so the role's bound audiences and
// bound claims decide), then reads a KV v2 field ([KV]) or a dynamic secret
// ([Dynamic]) whose Vault lease the broker renews and revokes. A source
// marked [Source.Wrapped] is delivered response-wrapped: the lease holds a
// single-use wrapping token that only the job unwraps ([Unwrap], with
// [WithUnwrapMasker] so that the job's log redactor learns the secret the
// broker never saw, and [WithUnwrapSource] so that a wrapping token swapped
// on its way for one wrapping a value of someone else's choosing is
// refused). Only KV
// sources can be wrapped ([New] refuses a wrapped Dynamic one): the broker
// would never see the Vault lease inside the wrapped answer, and could not
// revoke it when the job ends.
//
//	be, _ := vault.New(brokerClient, vault.JWTAuth{Role: "ci"}, map[string]vault.Source{
//		"deploy-token": vault.KV("secret", "ci/deploy", "token"),
//		"db-password":  vault.Dynamic("database/creds/ci", "password"),
//		"signing-key":  vault.KV("secret", "ci/signing", "key").Wrapped(time.Minute),
//	})
//	broker, _ := secrets.New(authz, be)
//	job, _ := broker.Begin(ctx, secrets.JobSpec{ID: id, Identity: who, Token: secrets.NewValue(jwt)})
//
// # Security contract
//
// The job's token and Vault tokens never appear in errors or logs (errors
// carry HTTP status codes, not response bodies). A refused login is
// [ErrLoginDenied] (a [secrets.ErrDenied]); a 403 on a read is a deny;
// anything else is a [secrets.ErrBackend]; the broker grants nothing then.
// A Vault lease or wrapping token answered with a TTL of 0, negative or
// overflowing ([ErrLeaseDuration]) is revoked and refused: a TTL of 0
// says the backend sets no expiry, and while the broker still ends its
// lease at the TTL it asked for, the credential at Vault would outlive a
// failed revocation. Revocation uses the broker's own
// client token, so leases can be revoked after the job's token expired,
// including after a crash.
//
// A wrapping token lives for the source's wrapping TTL or the lifetime
// the broker asks for the lease, whichever is shorter (whole seconds,
// rounded down): with less than a second left to the job, Issue refuses
// ([ErrLeaseDuration]) without asking Vault, and a wrapping answered with
// a longer TTL than asked is revoked and refused.
//
// A dynamic secret's Vault lease starts with its role's TTL, not the one
// the broker asks for (at most [secrets.WithTTL], and no later than the
// job's deadline): Issue renews it down to the ask in whole seconds
// (Vault sets a renewed lease's TTL to the increment), and revokes and
// refuses ([ErrLeaseDuration]) one that is not renewable or that Vault
// does not bring down. Renew asks for whole seconds rounded down; it
// refuses a ttl under a second without asking Vault, which reads an
// increment of 0 as the lease's default TTL, and an answer longer than
// asked. Vault picks its own lease ids, so the broker can record one only
// once Vault has answered: a lease that a crash in between leaves behind
// is not one [secrets.Broker.Recover] can name. It ends with its TTL (the
// role's, if the crash came before Issue brought it down) or with the
// job's login token, whichever is first (Vault revokes a token's leases
// with it): keep the JWT role's token_ttl short. A login token no Vault
// lease hangs on (a KV read, wrapped or not, or a failed read) is revoked
// (auth/token/revoke-self, in Vault's default policy) before Issue
// returns; a failure to is logged, and the token ends with its token_ttl.
// The login token a dynamic secret's lease hangs on is revoked (the same
// way) once [Backend.Revoke] has revoked that lease in this process, and
// also when the broker's token could not (expired, revoked, or without
// sys/leases/revoke): Vault then revokes the lease with the token, and
// Revoke still returns the failure for the broker to retry and report;
// after a crash ([secrets.Broker.Recover]) only the lease is, and the
// token ends with its token_ttl.
// So a dynamic secret created by a read whose answer never arrived (the
// job's context ended) is revoked with the token that created it.
//
// A lease id answered for a read must be one Vault could have given that
// read: "<path read>/<id>" (with ".<namespace id>" in a namespace, whose
// name a source's path may start with), and not one this backend handed
// out and has not revoked. Any other — another job's or tenant's lease, a
// token's — is refused ([ErrLeaseID]) and never renewed or revoked with
// the broker's token; the job's login token, with whatever the read
// created, is revoked instead.
//
// [New] refuses a mount or path with an empty, "." or ".." segment (Vault's
// client resolves them, so the path read would not be the one written), a
// percent-encoded dot, slash or backslash, a backslash or a control
// character: build sources from a job's claims only through it.
//
// The job logs in and reads with the broker's client's headers, its
// namespace (X-Vault-Namespace) included, whether or not the client was
// configured to clone them: its lease is created where the broker renews
// and revokes it.
//
// Tokens stay at the configured Vault: [New] and [Unwrap] use a copy of
// the given client that never follows a redirect (a 3xx is [ErrRedirect],
// never success), refuse an address that would carry tokens over plain
// HTTP to another machine (https, or http only to a loopback host or unix
// socket), over https without checking Vault's certificate
// (VAULT_SKIP_VERIFY, api.TLSConfig.Insecure; a loopback IP, or a
// transport whose tls.Config verifies the peer itself, excepted), or to
// whatever host a DNS SRV record names (SRV lookup on, as VAULT_SRV_LOOKUP
// sets it, for an address without a port), bound every request
// ([DefaultTimeout] when the client has no timeout of its own), and read
// at most [MaxResponseSize] of a response. A wrapped answer without an accessor to revoke it by is refused. The
// [Backend] never prints its token.
package vault
