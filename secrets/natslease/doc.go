// Package natslease is the fleet's lease registry
// ([secrets.LeaseRegistry] and [secrets.LeaseReclaimer]) on a NATS
// JetStream KV bucket: brokers on every runner register their leases and
// heartbeat, and a [secrets.Reaper] on any node revokes the leases of a
// runner whose heartbeat lapsed — a host that died, was killed with
// SIGKILL, or lost the network — long before the backend's own TTL.
//
//	nc, _ := nats.Connect(urls)
//	js, _ := jetstream.New(nc)
//	reg, err := natslease.New(ctx, js, natslease.WithReplicas(3))
//	broker, _ := secrets.New(authz, backend, secrets.WithLeaseRegistry(reg, ownerID, "postgres"))
//	// on any node:
//	reaper, _ := secrets.NewReaper(reg, map[string]secrets.Revoker{"postgres": backend}, secrets.WithReaperAudit(sink))
//	go reaper.Run(ctx, time.Second)
//
// # Layout of the bucket
//
// One revision per key; every key is a prefix and the base64url SHA-256 of
// an id, so any id is a valid key and the bucket holds no raw ids in its
// subjects.
//
//   - l.<lease>: the lease record (JSON: lease id, backend name, secret
//     name, job id, identity, owner, expiry, and the claimer once claimed).
//     Written create-only by Register; removed by Release and Complete.
//   - o.<owner>: the owner's heartbeat, rewritten with a per-message TTL
//     of the heartbeat ttl (rounded up to whole seconds). The server removes
//     it when the TTL passes.
//   - c.<lease>: a reaper's claim, written create-only with a per-message
//     TTL of the claim ttl.
//
// # How a claim works
//
// Claim reads the lease records one at a time through an ordered consumer
// and stops once it holds as many claims as asked for; it keeps one record
// in memory at a time, and [WithTimeout] bounds each step (the listing's
// start, the wait for each record, each request), not the whole scan, so a
// registry of any size can be reaped. For each record it asks the
// stream leader (STREAM.MSG.GET, not a direct get a lagging replica could
// answer) for each owner's heartbeat key. For each lease whose owner has no
// heartbeat it creates c.<lease> (create-only: the leader serializes
// concurrent reapers, one wins) and then rewrites l.<lease> with the
// revision it listed (compare-and-swap: a lease released, completed or
// re-claimed since it was listed is left alone and the claim key given
// back, as it is when the rewrite fails otherwise). Complete purges l.<lease> only if its last revision is still the
// claim's. A claim key expires by itself, so a reaper that dies after
// claiming delays the revocation by at most the claim ttl.
//
// # Security contract
//
//   - Fail closed: any request the bucket does not answer within
//     [WithTimeout] fails with an [*UnavailableError] matching
//     [ErrUnavailable] and [secrets.ErrLeaseRegistry]. A broker then hands
//     out nothing (the lease is revoked); a reaper revokes nothing it did
//     not claim and reports the error. A Claim that fails after it has
//     taken some claims returns those claims without the error (logged at
//     Warn), since an error means nothing was claimed; the next Claim
//     meets the failure again and reports it.
//   - Liveness is judged by the servers' clock only (per-message TTL);
//     no host's clock is compared with another's.
//   - A lease of an owner whose heartbeat key exists on the stream leader
//     is never claimed. One claim at a time per lease, on any number of
//     nodes; a lease released by its owner is not claimed again.
//   - The listing may lag a moment behind the writes (it is read from a
//     replica): a lease registered an instant ago may be claimed only by a
//     later pass. The record read is then verified by the compare-and-swap.
//   - Records hold no secret value. Records read back are decoded
//     defensively (bounded size, strict JSON, validated fields, stored under
//     the key their lease id hashes to); a record that fails is logged and
//     skipped, never revoked on a guess. A bucket New creates refuses
//     values larger than a record.
//   - Durability is the bucket's: with [WithReplicas](3) on a 3-node
//     cluster an acknowledged registration survives the loss of any one
//     node; with the default of one replica, a registration on a node
//     that is lost is a lease no reaper sees (its backend's expiry ends
//     it), so give a fleet three. New refuses (ErrConfig) a server or bucket without per-key TTL
//     (nats-server older than 2.11), a bucket with a max age, and one whose
//     stream drops records by itself (interest or work-queue retention,
//     discard old with a limit, memory storage, fewer replicas than
//     [WithReplicas] asks for): a dropped record is a lease no reaper sees.
//
// Access: brokers and reapers need publish on $KV.<bucket>.> and the
// JetStream API of the bucket's stream. Whoever can write to the bucket can
// keep a dead runner's leases alive (forged heartbeats) or have a live
// runner's leases revoked (deleting its heartbeat); grant it to the fleet's
// brokers and reapers only.
package natslease
