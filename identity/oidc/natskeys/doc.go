// Package natskeys is an [oidc.KeyStore] on a NATS JetStream KV bucket: the
// public keys of every replica of an OIDC issuer fleet, shared so that each
// replica's JWKS serves them all and a token minted by any replica verifies
// at any verifier, whichever replica's JWKS it fetched.
//
//	nc, _ := nats.Connect(urls)
//	js, _ := jetstream.New(nc)
//	keys, err := natskeys.New(ctx, js, natskeys.WithReplicas(3))
//	defer keys.Close()
//	iss, _ := oidc.NewIssuer("https://ci.example.com",
//		oidc.WithSigner(kmsKey, ""), // or oidc.WithRotation(24*time.Hour) for in-memory keys
//		oidc.WithKeyStore(keys))
//	if err := iss.Publish(ctx); err != nil { ... } // then take traffic
//	http.Handle("/", iss.Handler())
//
// # How replicas agree on the keys
//
// The bucket holds one record per key id, under the base64url SHA-256 of
// the kid: {"jwk": {kty, kid, alg, use, public members}, "nbf", "exp"}.
// Replicas do not elect a current key. Each signs with its own active key
// (with a shared KMS key they all sign with the same one under the same
// kid), and every live record is a valid verification key. The rules that
// make the union sound, enforced by [oidc.Issuer]:
//
//   - publish before signing: a key signs only once Publish returned nil
//     for a record reaching past the token's expiry plus a minute of grace
//     ([oidc.ErrNotPublished] otherwise); a rotating issuer publishes its
//     next key one rotation interval before it signs;
//   - extend, never shorten: Publish creates the record, or extends it with
//     a compare-and-set update on its revision (retried on a concurrent
//     writer) to the later not-after and earlier not-before; a kid already
//     live with another key or algorithm is refused ([oidc.ErrKeyConflict]);
//   - revoke for good: [Store.Revoke] writes {"revoked": kid} over the
//     kid's record; every Store drops the key (through its watch, or its
//     next full read at the latest), a Publish of the kid is refused
//     ([oidc.ErrKeyRevoked]) whenever it arrives (the replica that
//     signed with it then stops, and drops it from its own JWKS as soon as
//     its Store no longer lists it), and revocations are
//     never swept (each holds one of the 256 records a read accepts, for
//     good; an operator may delete one once no replica holds the key). A
//     Store that has seen a revocation keeps it for its lifetime, whatever
//     a writer of the bucket puts over it later (a record, a delete, a
//     purge): only a Store started after that would serve the key again.
//     [Store.Revoked] answers from memory, and an issuer asks it before
//     every signature, so a replica stops signing with a revoked key once
//     its watch delivers the revocation. A
//     replica of an older ztci reads a revocation as an invalid record: it
//     never serves it, but would overwrite it when it publishes that kid,
//     so upgrade every replica before relying on revocation;
//   - lapse by time: a replica renews its records a token lifetime ahead
//     while it mints. A replica that stops, crashes or rotates leaves its
//     records to lapse once their last token has expired; expired records
//     are swept by any replica (compare-and-set on the revision, so a
//     concurrent renewal wins).
//
// Propagation: a Store watches the bucket (changes arrive within
// milliseconds) and re-reads it completely every [WithRefresh] (30s). Keys
// is served from memory and does no I/O.
//
// # Security contract
//
//   - Public keys only: a record holding private or symmetric key material
//     is refused. Private keys stay in each issuer's crypto.Signer.
//   - Every record is untrusted input. It is decoded strictly
//     ([oidc.ParsePublishedKey]: at most 16 KiB, the bucket also refuses
//     larger values; no repeated or case-variant member names; a key type
//     and size the verifier accepts; the "alg" pinned and fitting the key;
//     not-before before not-after, not-after at most [oidc.MaxKeyHorizon]
//     ahead) and must sit under the key its kid hashes to. A record that
//     fails is logged once per revision and ignored: it never enters the
//     set, never replaces a good record of another kid, and never crashes
//     the store. The issuer validates every key again before serving it.
//   - Bounded: a read stops at 256 records (revocations included) and fails; more than
//     [oidc.MaxFleetKeys] (64) live keys makes Keys fail rather than choose;
//     Publish refuses a new kid when 64 are live.
//   - Fail closed: when full reads stop succeeding, Keys serves the last
//     good set for [WithMaxStaleness] (2m), then returns an
//     [*UnavailableError] ([ErrUnavailable], [oidc.ErrKeyStore]); the
//     issuer's JWKS endpoint then answers 503 (verifiers keep their cached
//     set), and Mint goes on only while its own key's publication covers
//     the token — at most one token lifetime after the last renewal.
//   - Durability is the bucket's: with [WithReplicas](3) on a 3-node cluster
//     an acknowledged record survives the loss of any one node. [New]
//     refuses ([ErrConfig]) an existing bucket whose stream drops values by
//     itself, which would forget a revocation: a max age, interest or
//     work-queue retention, discard old with a limit, memory storage, async
//     persistence, deny delete off, a subject transform, a source or a
//     mirror, or fewer replicas than [WithReplicas] asks for.
//
// Access: whoever can write to the bucket can add a verification key to
// every replica's JWKS, and so mint tokens the fleet's verifiers accept.
// Grant publish on $KV.<bucket>.> and the JetStream API for its stream to
// the issuer replicas only; verifiers need nothing (they read the JWKS over
// HTTPS).
package natskeys
