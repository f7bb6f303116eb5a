// Package natsreplay is an [oidc.ReplayCache] on a NATS JetStream KV bucket,
// so that a single-use job token is accepted once across every verifier
// replica of a fleet, not once per process.
//
//	nc, _ := nats.Connect(urls)
//	js, _ := jetstream.New(nc)
//	rc, err := natsreplay.New(ctx, js, natsreplay.WithReplicas(3))
//	v, _ := oidc.NewVerifier(issuer, audience, oidc.WithSingleUse(rc))
//
// # How a claim works
//
// The verifier calls [Cache.Claim] with the issuer and jti of a token whose
// signature and claims have already been checked, and the token's expiry plus
// leeway. Claim writes the key SHA-256(key) (base64url, so the bucket never
// holds a token id and any id is a valid key) with kv.Create, a write that
// succeeds only if the key does not exist: the stream's leader serializes
// concurrent writers, so of N replicas presenting one token exactly one
// succeeds. The key carries a per-message TTL reaching the token's expiry plus
// leeway plus the fleet's clock skew ([WithClockSkew], rounded up to a whole
// second), after which the server removes it.
//
// # Security contract
//
//   - A token is accepted only when this call created its key. An existing
//     key is a replay ([oidc.ErrReplayed]).
//   - Fail closed: when the bucket cannot answer within [WithTimeout]
//     (connection down, no stream leader during an election, all nodes
//     lost), Claim returns an [*UnavailableError] matching [ErrUnavailable]
//     and the verifier refuses the token. A claim whose acknowledgement was
//     lost may have been recorded; the token is then spent, never accepted
//     twice.
//   - A key never lives shorter than its token: [New] refuses (ErrConfig) a
//     server without per-key TTL (older than 2.11) and an existing bucket
//     with a bucket-wide max age or without per-key TTL, and Claim refuses a
//     token that would outlive [WithMaxTTL] ([ErrLifetime]) instead of
//     recording it for less. New also refuses an existing bucket whose
//     stream drops claims by itself: interest or work-queue retention (no
//     claim is ever kept, so every replay is accepted), discard old with a
//     message or byte limit, memory storage, fewer replicas than
//     [WithReplicas] asks for, or subjects that do not cover the bucket's
//     keys ($KV.<bucket>.>), so that claims are stored by another stream,
//     unchecked, or by none.
//   - Durability is the bucket's: with [WithReplicas](3) on a 3-node cluster
//     an acknowledged claim survives the loss (kill -9) of any one node.
//     With one replica, losing that server's disk reopens replays of the
//     tokens it recorded until they expire.
//   - TTLs are computed from the claiming verifier's clock. Another
//     verifier whose clock runs behind still accepts the token until its
//     own clock reaches expiry plus leeway, so every key is kept
//     [WithClockSkew] (default 5s) longer: the clocks of the verifiers
//     sharing a bucket must agree within it, and so must the clocks of the
//     NATS servers holding it (each replica removes a key at its stored
//     timestamp plus TTL by its own clock). The leeway does not cover
//     this skew, since every verifier adds it to the same expiry.
//   - Errors and logs never hold token ids; the bucket holds only hashes.
//
// Access: verifiers need publish on $KV.<bucket>.> and the JetStream API for
// that bucket's stream. Whoever can delete keys in the bucket can re-enable a
// spent token until it expires; grant that to no one else.
package natsreplay
