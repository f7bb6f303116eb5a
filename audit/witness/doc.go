// Package witness checks that the tamper-evident audit logs of a fleet's
// nodes only ever grow, so that a node that rewrites or rolls back its own
// [audit.Log] is caught by someone other than itself.
//
// Each node submits its signed checkpoints, each with the consistency
// proof from the checkpoint it submitted before ([Prepare] builds it from
// an [audit.Log]). The encoding is the request body of the C2SP
// tlog-witness add-checkpoint call ([Submission], https://c2sp.org/tlog-witness),
// so the witness needs no access to the node's file. A [Witness] knows
// each node's origin and public key ([audit.Verifier]), keeps the last
// checkpoint it accepted per origin in a [Store], and decides each
// submission with [Witness.Add]:
//
//	w, err := witness.New(verifiers, store, auditSink, witness.WithOnFlag(raiseMark))
//	res, err := w.Add(ctx, origin, body) // body from the node, origin from the transport
//	switch {
//	case err == nil:                                // accepted (or a duplicate)
//	case errors.Is(err, witness.ErrUndecided):      // retry later
//	case errors.Is(err, witness.ErrMisbehaviour):   // fork, rollback, gap: the node lied
//	default:                                        // rejected: unknown origin, bad signature, malformed
//	}
//
// This package is transport-free and links no NATS; the JetStream
// publisher, the consumer that feeds a witness and a replicated [Store]
// are in [github.com/ztci/ztci/audit/natswitness].
//
// # Security contract
//
//   - Only configured origins are accepted ([ErrUnknownOrigin]); a
//     checkpoint must name the origin it was submitted for
//     ([ErrOriginMismatch]), so a node allowed to publish only under its
//     own name cannot replay another node's checkpoints; it must be
//     signed by that origin's key ([ErrBadSignature]); the submission is
//     bounded ([MaxSubmissionSize], [MaxProofHashes]) and parsed strictly
//     ([ErrMalformed]).
//   - Append-only is checked against the accepted checkpoint L with the
//     RFC 6962 consistency proof: same size and another root, or a proof
//     that does not verify, is [ErrFork]; a smaller size, or a submission
//     admitting the log was bigger (old size above its size), is
//     [ErrRollback]; a proof from another size than L's is [ErrGap], none
//     at all [ErrMissingProof]. The same checkpoint again is a duplicate,
//     accepted without change, so at-least-once delivery is safe.
//   - Every rejection is a [*FlagError], audited through the
//     [audit.Sink] (one action per kind, Outcome deny, sizes and roots as
//     attributes, never the submission's bytes: a flag's reason names
//     what failed, and an origin the checkpoint names only when it is a
//     configured one) and then passed to the
//     [WithOnFlag] callback, e.g. to raise a kill-switch mark. An unknown
//     origin is named as it is when it is printable, otherwise (empty,
//     not UTF-8, over 256 bytes) by a stand-in with a space in it, so a
//     flag never lacks an actor and never names a configured origin it
//     was not submitted for. A rejection never changes the state: the
//     witness keeps L, and keeps flagging a log that does not extend it.
//     When the flag cannot be recorded, Add returns [ErrUnrecorded] so the
//     transport redelivers.
//   - Fail closed: when the store cannot answer, Add returns
//     [ErrUnavailable] and accepts nothing; a stored state that is not a
//     checkpoint signed by the origin's key is [ErrStateCorrupt]. Save is
//     compare-and-swap, so two witnesses sharing a store cannot roll each
//     other back ([ErrConflict]), and a witness flags a checkpoint, or
//     takes it for a duplicate, only against the state the store holds,
//     never against the one it last decided itself, which another
//     witness may have moved on.
//   - The first checkpoint of a log is trusted on first use: a witness
//     sees misbehaviour only after it holds a checkpoint, so its state
//     must be durable (a witness that restarts empty can be rolled back
//     across the restart). Every such trust is audited
//     ([ActionFirstUse], Outcome allow, before the state is saved; an
//     old size above 0 in it means the log was witnessed before, so the
//     witness's state was lost or removed), and is not accepted when it
//     cannot be recorded ([ErrUnrecorded]). Recovering from a flag (e.g. a real gap after
//     lost messages) is an operator decision: remove the origin's state
//     from the store to trust its next checkpoint again.
//   - A transport that may deliver a submission again (a stream replayed
//     by a new consumer, a lost acknowledgement) gives the witness its
//     position ([Witness.AddAt], [Position]): with a [PositionStore], the
//     witness keeps, in the same write as each accepted checkpoint, the
//     position of the submission that carried it, and takes a submission
//     at or before it in the same log as delivered again (Result.Replayed,
//     no flag), without parsing it. Only the transport's own sequence is
//     sound there: a node submitting an old checkpoint anew gets a later
//     position and is flagged (rollback, fork). Without a position, or
//     with a store that keeps none, an old checkpoint delivered again is
//     a rollback.
//   - The witness does not cosign checkpoints; it records what it accepted
//     in its store and what it refused in the audit trail.
package witness
