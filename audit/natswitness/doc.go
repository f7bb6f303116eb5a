// Package natswitness carries audit-log checkpoints from the nodes of a
// fleet to witnesses over NATS JetStream: a [Publisher] on each node, a
// [Follower] that feeds a [witness.Witness] from the stream, and a
// replicated [witness.Store] on a KV bucket ([KVStore]).
//
//	// Once, by the operator: the stream (R3 in a cluster).
//	js.CreateOrUpdateStream(ctx, natswitness.StreamConfig("CHECKPOINTS", natswitness.DefaultSubjectPrefix, 3))
//
//	// On each node, beside its audit.Log:
//	pub, _ := natswitness.NewPublisher(js, "CHECKPOINTS", auditLog, natswitness.WithMinReplicas(3))
//	go pub.Run(ctx, 10*time.Second) // or pub.Publish(ctx) when it suits
//
//	// On the witness, anywhere:
//	store, _ := natswitness.NewKVStore(ctx, js, "ztci_witness", 3)
//	w, _ := witness.New(nodeVerifiers, store, auditSink, witness.WithOnFlag(markNode))
//	f, _ := natswitness.Follow(ctx, js, "CHECKPOINTS", w, natswitness.WithMinReplicas(3))
//	defer f.Close()
//
// [StreamConfig] is a stream that passes [CheckStream]; one created by
// hand must keep every checkpoint, deny deletes and purges, and capture
// only subjects under the prefix, e.g.
//
//	js.CreateStream(ctx, jetstream.StreamConfig{Name: "CHECKPOINTS",
//		Subjects: []string{"ztci.checkpoints.>"}, Storage: jetstream.FileStorage,
//		Replicas: 3, Discard: jetstream.DiscardNew, Duplicates: 2 * time.Minute,
//		MaxMsgSize: witness.MaxSubmissionSize, DenyDelete: true, DenyPurge: true})
//
// Each node publishes to its own subject, [Subject](prefix, origin), a
// C2SP add-checkpoint body ([witness.Submission]): its signed checkpoint
// and the consistency proof from the checkpoint it published before, so a
// witness never reads the node's file.
//
// # Security contract
//
//   - A checkpoint counts as published only once the stream acknowledged
//     storing it (PubAck from the stream named by the publisher). An
//     unacknowledged submission is published again, unchanged, before
//     anything newer, and carries its content hash as Nats-Msg-Id: the
//     stream drops retried copies, and the published checkpoints of a
//     node form one chain of proofs. A submission the stream reports a
//     duplicate of is published only if the message it holds at that
//     sequence is this submission on this node's subject (read with
//     STREAM.MSG.GET, or a direct get): the de-duplication window is
//     shared by every subject, and another node publishing on its own
//     subject under a checkpoint's id would otherwise have it dropped
//     unseen, and the node flagged for the gap. Publish then fails with
//     [ErrUnavailable] and retries it; it is stored once the window has
//     passed. With an R3 stream, losing any one
//     server loses no acknowledged checkpoint (tested with SIGKILL of the
//     stream leader).
//   - The stream keeps every checkpoint of every node, under the subject it
//     was published to, and nobody can erase one: a checkpoint erased
//     before a witness read it (a fork shown to others, then removed) is
//     one no witness saw, and the next checkpoint of an honest node whose
//     checkpoint was erased is flagged as a gap. Before each publish a
//     [Publisher], and before creating its consumer [Follow], checks the
//     stream's settings with [CheckStream] and, while they fail, publishes
//     or consumes nothing and fails with [ErrStream] (an [ErrConfig]). It
//     refuses interest or work-queue retention, memory storage, async
//     persistence, MaxMsgs or MaxBytes with discard old, any
//     MaxMsgsPerSubject (the design keeps each node's whole chain, not its
//     latest checkpoint), deletes or purges allowed, rollup, per-message
//     TTL or schedule headers, sources, a mirror, a subject transform, and
//     subjects outside "<prefix>.". A max age or limits with discard new
//     are the operator's to set: an expired checkpoint reads as a gap, and
//     a full stream refuses checkpoints, loudly. [WithMinReplicas] also
//     refuses a stream with fewer replicas; the default, 1, suits a single
//     server, and a fleet sets 3. A Publisher reads the settings on every
//     Publish, so one stream edited (or deleted and made again) since is
//     refused from the next publish on, and used again once safe; a
//     Follower reads them before deciding each submission, and while they
//     fail decides nothing (it logs an error, and the submission is
//     redelivered). A max age is not checked,
//     and a shortened one is not seen: restrict who may update the stream.
//   - A restarted publisher reads its last published checkpoint back from
//     the stream leader (STREAM.MSG.GET, even when the stream allows
//     direct gets) and proves from it; if it cannot read it, it does
//     not publish. It publishes whatever its log holds: a rewritten or
//     truncated log is not hidden by the node's own code but published for
//     the witnesses to flag (and logged at Error).
//   - The witness takes the origin from the subject and requires the
//     checkpoint to name it, so with NATS permissions granting each node
//     publish rights on its own subject only, a node cannot submit, replay
//     or flag checkpoints in another node's name. Messages are bounded
//     ([witness.MaxSubmissionSize]) by the stream and by the parser.
//   - The [Follower] decides one submission at a time in stream order
//     (durable consumer, explicit acks, one pending), acknowledges it once
//     decided, and lets the stream redeliver it when the witness could not
//     decide (state store unreachable, flag not recorded): nothing is
//     skipped, and redelivery is idempotent.
//   - A submission delivered again is not decided again: the witness is
//     given each one with its stream position ([witness.Witness.AddAt]),
//     and [KVStore] keeps, in the same write as each origin's accepted
//     checkpoint, the stream sequence of the message that carried it. A
//     message the stream stored at or before that one, on that origin's
//     subject, was decided when first delivered, and is acknowledged
//     without a flag: so a new, deleted, expired or renamed durable
//     consumer replaying the stream from its start ([WithConsumer]), a
//     second witness sharing the state, or an acknowledgement lost after
//     an acceptance, does not flag an honest node's earlier checkpoints as
//     rollbacks. The sequence is the server's, not the publisher's: a node
//     publishing an old checkpoint anew (a rollback, a fork at an old
//     size) gets a higher one, and is flagged. The position names the
//     stream, its creation time and the subject prefix, so a stream
//     deleted and made again (which numbers from 1 again) or another
//     prefix is not taken for the one witnessed: there, old checkpoints
//     are flagged again, as before. Expired messages do not matter (a
//     stream's sequences never go back). A state written without a
//     position (by an older version, or a store that keeps none, about
//     which [Follow] warns) recognises no replay until the origin's next
//     checkpoint is accepted; a flagged message is not recorded, so its
//     redelivery, or a replay past the last accepted one, flags again.
//     Whoever may write the bucket can also write a position, and so
//     silence the witness for an origin: restrict it as the state itself.
//   - [KVStore] reads each origin's state (and position) from the
//     bucket's stream leader (never a direct get a lagging replica could answer with an older
//     checkpoint), writes compare-and-swap per origin on a replicated
//     bucket, bounds values to the largest checkpoint a submission can
//     carry with its headers (a smaller bound let a node's padded
//     checkpoint be accepted and never saved, stalling the follower),
//     refuses a bucket whose values expire or whose stream drops
//     them by itself (interest or work-queue retention, discard old with a
//     limit, memory storage, fewer replicas than asked), and reports an
//     unreachable bucket as an error: the witness then decides nothing.
//   - Deleting the origin's key in the bucket makes the witness trust that
//     log's next checkpoint on first use (audited as
//     [witness.ActionFirstUse]): that is the operator's recovery
//     after a flag has been explained, and must be restricted like any
//     write to the bucket.
package natswitness
