// Package vault is a [secrets.Backend] for HashiCorp Vault and OpenBao,
// built on the official API client (github.com/hashicorp/vault/api).
//
// Each lease is fetched as the job: the backend logs in through the JWT auth
// method with the job's own OIDC token (so the role's bound audiences and
// bound claims decide), then reads a KV v2 field ([KV]) or a dynamic secret
// ([Dynamic]) whose Vault lease the broker renews and revokes. A source
// marked [Source.Wrapped] is delivered response-wrapped: the lease holds a
// single-use wrapping token that only the job unwraps ([Unwrap]). Only KV
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
// overflowing ([ErrLeaseDuration]) is revoked and refused: the broker
// reads a TTL of 0 as "no expiry". Revocation uses the broker's own
// client token, so leases can be revoked after the job's token expired,
// including after a crash.
//
// Tokens stay at the configured Vault: [New] and [Unwrap] use a copy of
// the given client that never follows a redirect (a 3xx is [ErrRedirect],
// never success), refuse an address that would carry tokens over plain
// HTTP to another machine (https, or http only to a loopback host or unix
// socket), bound every request ([DefaultTimeout] when the client has no
// timeout of its own), and read at most [MaxResponseSize] of a response. A
// wrapped answer without an accessor to revoke it by is refused. The
// [Backend] never prints its token.
package vault
