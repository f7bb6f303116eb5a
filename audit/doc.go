// Package audit records who did what: structured events, sinks that return
// errors (audit is not logging), a tamper-evident crash-safe log, a
// UEBA-lite anomaly detector, a kill switch, and an escalator that lets the
// detector's anomalies quarantine identities in the kill switch.
//
// Every other ztci package emits an [Event] through a [Sink] it is given.
// audit links no heavy dependency, so every package may import it; the NATS
// JetStream sink lives in [github.com/ztci/ztci/audit/natsink], and
// [github.com/ztci/ztci/audit/audittest] has a recording sink for the tests
// of components that must audit.
//
// # Events
//
// [Event] says who ([Actor]) did what (Action, Resource), with which
// [Outcome], why (Reason, PolicyRevision, Violations), when, and how it
// correlates with jobs, runs and traces ([Correlation]). [Encode] gives its
// stable JSON form (pinned by a golden test; fields are only ever added),
// refusing text that is not UTF-8, which that form could only record
// altered, and [Decode] parses untrusted JSON strictly. [ToCloudEvent]
// wraps an event in a CloudEvents 1.0 envelope. [HMAC] replaces sensitive fields with keyed
// hashes, as Vault's audit devices do, so events stay joinable without
// revealing values. [Sealer] encrypts sensitive fields instead, through the
// [github.com/ztci/ztci/secrets/seal.Encrypter] seam (local keys or a KMS,
// rotation by key id), so the key holder reads them back with
// [Sealer.Unseal] (or [Unseal]); [Protect] applies both, each to its own
// fields.
//
//	env, _ := seal.NewLocal(kek)                      // or seal.New(kmsWrapper)
//	sealer, _ := audit.NewSealer(env, audit.FieldAttributes+"client_ip")
//	sink := sealer.Sink(log)                          // seal first, then the log
//	e, err := sealer.Unseal(ctx, logged)              // operators, with the key
//
// # Sinks
//
// A [Sink] has one method, Write(ctx, Event) error, and a nil error means
// the event was recorded by the sink's definition of durable. Provided:
// [JSONLines] (any io.Writer, optionally as CloudEvents), [Log] (durable
// file), [Webhook] (HTTP, batched, retried, a buffer and batches bounded
// by count and bytes, of which one repository (or, without repository
// claims, one actor) holds at most a share ([WithJobBufferShare]), a [BackPressure] policy; a 413 splits its batch so
// that only the events the endpoint refuses fail their writers, never
// another job's), [SlogSink] (development), [FanOut], [HMAC.Sink],
// [Sealer.Sink], [Protect], [KillSwitch], [Detector] and [Escalator]
// (stream processors).
//
// # Anomalies, escalation and the kill switch
//
// A [Detector] writes explainable anomaly events (first_seen, burst,
// off_hours) to its output, judging each identity by its own history once
// it has one and by its repository's meanwhile (a new branch is a new
// identity, not a new repository), counting bursts per identity, per
// repository and per repository owner, and taking events' times only
// within [WithMaxClockSkew] of its clock; an [Escalator] there turns those of a
// configured [Severity] into [ActionCompromiseDetected] events for a
// [KillSwitch] (or the fleet-wide
// [github.com/ztci/ztci/audit/natskill.Switch]), which then denies the
// identity to every secrets broker and policy gate that consults it. They
// ask with [ActorCompromised], so an operator's mark on a repository or its
// owner ([MarkIDs], [MarkRepositoryID]; in any case after the prefix,
// [CanonicalMarkID]; a prefix in another case, or an id without the
// platform, slash and value, is refused, [CheckMarkID]) denies every job
// of it:
//
//	ks, _ := audit.NewKillSwitch(log)                 // or natskill.New(ctx, js, log)
//	x, _ := audit.NewEscalator(ks)                    // burst and unknown rules, 1 h
//	d, _ := audit.NewDetector(audit.FanOut(alerts, x))
//
// # Tamper-evident log
//
// [Open] returns a [Log]: an append-only file whose entries are the leaves
// of an RFC 6962 Merkle tree (github.com/transparency-dev/merkle), with
// Ed25519-signed checkpoints in the C2SP tlog-checkpoint / signed-note format
// written into the file periodically. Appends are group-committed with fsync
// and return only once durable; after a crash, Open truncates a torn tail and
// keeps every acknowledged entry. Entries a crash left after the last
// checkpoint are adopted, never silently: Open records them in an
// [ActionUnsignedTailAdopted] entry and signs both, or, with
// [WithUnsignedTail]([TailRefuse]), refuses to open. [Log.InclusionProof] and
// [Log.ConsistencyProof] serve proofs that a [Verifier], holding only the
// log's origin and public key, checks offline; [Verifier.Log] walks a whole
// log and reports the first bad line as a [*LogError], and returns nil only
// when checkpoints signed by the key cover every entry ([ErrUnanchored]
// otherwise); [Verifier.LogSince] also anchors it to a checkpoint seen
// before, which detects truncation. Before each batch the Log checks that
// its path still names the file it has open, holding exactly what it wrote:
// a file renamed over, deleted, re-created, truncated or appended to by
// someone else fails that append and every later one, checkpoint and Close
// with [ErrLogFileChanged] (fail closed; reopen after finding out why).
// [VerifyIntegrityOnlyUnsafe] checks
// framing only, for tooling: anyone can write a file that passes it.
//
// Checkpoint keys are agile: [OpenWithSigner] takes any signed-note signer
// with its [Verifier] — [NewCheckpointSigner] makes one from a crypto.Signer
// (a KMS key: Ed25519, or ECDSA P-256/P-384/P-521 as signed-note type 0x02),
// and a scheme the package does not know (a post-quantum one, say) plugs in
// as a note.Signer and note.Verifier ([NewNoteVerifier]). The key hash names
// the algorithm, so a verifier never accepts another algorithm or key under
// the same origin. A checkpoint is one line of the file, at most
// [MaxEventSize] + 64 bytes: [Open] and [OpenWithSigner] refuse
// ([ErrConfig]) an origin and signer whose checkpoints would not fit (with
// a short origin, signatures above about 36 KB, such as SLH-DSA-256f's
// 49 856 bytes; ML-DSA's fit), and a checkpoint that outgrows the line
// later fails its batch ([ErrSink]) and writes nothing.
//
//	log, err := audit.Open(ctx, "/var/lib/ztci/audit.log", "example.com/ztci/audit/prod", key)
//	if err != nil { ... }
//	defer log.Close()
//	sink := audit.FanOut(log, webhook)          // give sink to secrets, policy...
//	r, err := log.Append(ctx, event)            // durable when err == nil
//	cp, err := log.Checkpoint(ctx)              // signed
//	proof, err := log.InclusionProof(r.Index, cp.Size)
//	err = verifier.Inclusion(cp, r.Index, r.Entry, proof) // anyone, offline
//
// The file is line-oriented text: a header "ztci-audit-log/v1 <origin>",
// entries "e <index> <crc32c> <event JSON>", and checkpoints
// "c <base64 signed note>". The Merkle leaf is the event JSON as stored.
//
// # Mapping onto OCSF
//
// Events map onto the OCSF 1.x API Activity class (class_uid 6003) as
// follows; fields without an OCSF home go to "unmapped":
//
//	id               metadata.uid
//	time             time (epoch milliseconds)
//	source           metadata.product.feature.name (product.name "ztci")
//	action           api.operation; activity_id 99 (Other)
//	outcome          status_id: allow, success → 1 (Success);
//	                 deny, failure, error → 2 (Failure); status ← outcome;
//	                 for allow/deny also disposition_id 1 (Allowed) / 2 (Blocked)
//	actor.id         actor.user.uid (actor.user.type ← actor.kind)
//	actor.claims     actor.user attributes / unmapped.claims
//	resource         resources[0].uid
//	reason           status_detail
//	policy_revision  policy.version (policy.name ← source)
//	violations       unmapped.violations
//	correlation      metadata.correlation_uid ← run_id; trace_id → trace.uid
//	                 (OCSF 1.4+), job_id → unmapped.job_id
//	attributes       unmapped.attributes
//
// # Security contract
//
//   - A sink error means "may not be recorded": components that must audit
//     fail the audited action. Every constructor validates its inputs and
//     rejects options meant for another constructor.
//   - Events carry no secrets by contract; [HMAC] hides identifying values.
//     The HMAC key never appears in String, GoString, LogValue or JSON.
//   - [Sealer] replaces each configured field with "sealed:v1:" and the
//     unpadded base64url of a seal record (AES-256-GCM under a fresh data
//     key wrapped by the KEK, key id in the record), authenticated with
//     event id + NUL + field name: a sealed value moved to another event or
//     field does not open. Sealed values are randomised, so unlike HMAC'd
//     ones they cannot be joined. Events without an ID (or with a NUL in
//     it) are refused. A field is hashed or sealed, never both: [Protect]
//     refuses such a configuration with [ErrConfig] (chaining HMAC.Sink and
//     Sealer.Sink by hand does not check).
//   - Sealing fails closed: when the Encrypter fails (a KMS is down) the
//     sealing sink writes nothing and returns an error wrapping [ErrSeal]
//     (an [ErrSink]); the event is never written with the plaintext. The
//     Encrypter's own error text (which a KMS client may fill with a key
//     URI, credentials or data) is withheld: an [*EncrypterError] names
//     the class, the operation and the Encrypter's current key id, and
//     keeps the Encrypter's error for errors.Is and [EncrypterError.Cause]
//     (for an operator's log). A checkpoint signer's error is withheld
//     likewise ([*SignerError]). Place
//     the sealing sink before the [Log] and every sink that must not see
//     the values: the Merkle leaves and checkpoints then cover the sealed
//     form only, and the log verifies without the sealing key.
//   - [Unseal] fails closed: any value carrying the prefix that does not
//     open (damaged, foreign key, wrong key material, moved, not sealed at
//     all) makes it return the zero Event and an error wrapping [ErrUnseal]
//     and seal's ErrOpen class (ErrMalformed, ErrUnknownKey, ErrTampered,
//     ErrUnwrap) — never part of the event. Only the canonical spelling of
//     a record is accepted. Plaintext never appears in errors, nor any
//     other text of the event: the error names a configured field, a claim
//     or attribute key that [Unseal] found by its length, and the failure
//     by its class only (a key id in a record is the writer's). Unseal looks at every field, so a text an actor
//     chose (a resource or workflow name) that begins with the prefix
//     makes it fail for the event; [Sealer.Unseal] opens only the fields
//     its sealer seals, whose every value was sealed, and fails closed on
//     those alone.
//   - The log detects corruption, reordering, duplication, removal, torn
//     tails, truncation below a trusted checkpoint, checkpoints signed by another key and logs of another
//     instance (origin), each with its line and entry index. Accidental
//     corruption is located at the exact entry; a rewrite that also fixes
//     checksums is located at the first checkpoint after it. A nil error
//     from [Verifier.Log] or [Verifier.LogSince] means every entry is
//     covered by a checkpoint signed by the trusted key: a log without
//     one, or with entries after the last one ([Report.Unsigned]), fails
//     with [ErrUnanchored], so a rewrite that drops the checkpoint lines
//     cannot pass as verified. Checkpoint often enough for your threat
//     model; [Log.Close] signs everything.
//   - Errors about what was read (a log line, an event given to [Decode], a
//     checkpoint, a proof) say what kind of failure it was and where (line,
//     offset, entry index, byte offset, field name), never what the input
//     holds there: a line may carry a secret a producer should not have
//     written, or terminal escapes, and errors end up in logs.
//   - A checkpoint carries the log key's signature once, in canonical
//     base64 ([ErrCheckpointSignature] otherwise): the signed-note package
//     checks only the first line of a known key and reads base64 loosely,
//     so one checkpoint could take several byte strings, one of them with a
//     line of the log's key that does not verify. Lines of other keys
//     (cosignatures) are ignored, as signed-note verifiers must, so
//     compare checkpoints by origin, size and root, not by Signed's bytes.
//   - Rollback is caught only by a checkpoint kept where the host cannot
//     write. A file cut back to an earlier checkpoint line is a valid,
//     shorter log: [Verifier.Log] passes it, and [Open] reopens it and
//     appends after it (a fork of the log that was). Keep the latest
//     checkpoint off the host (from [Log.Checkpoint], or through a
//     witness: [github.com/ztci/ztci/audit/witness]) and verify with
//     [Verifier.LogSince] ([ErrTruncated] for a cut, [ErrRootMismatch]
//     for a fork) or [Verifier.Consistency] from it to a newer one.
//   - [Open] verifies an existing log before appending and refuses a log it
//     cannot verify; every checkpoint it signs is verified with its
//     [Verifier] before it is written; after a write or fsync error, or a
//     checkpoint that does not verify, the log refuses appends.
//     It never truncates a file that is not a log (only a torn header or
//     tail), and opens only a log no other user can rewrite or replace
//     ([ErrUnsafeFile], nothing read or written): a regular file (not a
//     FIFO, which would hang it, nor a device), reached without a symbolic
//     link in its last element, owned by this process's user, not
//     writable by group or others, in a directory that passes OpenSSH's
//     ~/.ssh rule (every directory from / owned by root or this user, the
//     ones above writable by others only if sticky, the log's own not at
//     all). A log another user planted first in a shared directory, or a
//     link to one, is refused rather than continued; put the log in a
//     directory of its own. A new log is created with mode 0600, and a
//     new log is no torn tail: Open warns only when it cuts one.
//   - Open signs whatever it keeps, and cannot tell entries a crash left
//     after the last checkpoint from entries appended to the file by
//     someone without the key (framing and checksums need none). So it
//     never adopts such an unsigned tail silently: by default it logs a
//     warning and appends, before any other entry, an
//     [ActionUnsignedTailAdopted] event naming the adopted range and its
//     tree root, then signs a checkpoint; [Verifier.Log] counts the
//     adopted entries ([Report.Adopted]), so an auditor sees which entries
//     were signed at a restart rather than when written. It adopts only
//     events exactly as [Log.Append] writes them: a tail entry that is no
//     event, or an event spelled otherwise (which [Log.Lookup] would not
//     find by its id), fails Open with [ErrCorruptEntry]. Deployments whose
//     checkpoint key is out of the host's reach ([OpenWithSigner] with a
//     KMS or HSM key), where that adoption would sign for whoever can
//     write the file, pass [WithUnsignedTail]([TailRefuse]): Open then
//     fails with [ErrUnanchored] naming the entries and leaves the file
//     untouched, and an operator inspects it ([Verifier.Log],
//     [ReadEntries]) before adopting the tail or cutting it off.
//   - [KillSwitch] marks take effect before they are audited; clearing a mark
//     takes effect only once audited. A mark whose expiry is not after the
//     switch's clock would deny nobody: [KillSwitch.Mark] refuses it with
//     [ErrMarkLapsed], and a detector event naming one (a replay) marks
//     nothing; neither is audited as a mark.
//   - Identities are compared byte for byte everywhere (marks, compromise
//     checks, [Detector] profiles, [Log.Lookup] by event id), with no
//     Unicode normalisation: two spellings of one name (NFC and NFD) are
//     two identities. SPIFFE IDs are ASCII and a mark of one is refused
//     otherwise ([CheckMarkID]); ids built from typed names must be
//     normalised by the vendor before they reach events and checks.
//   - Automatic marks are bounded quarantines. An [Escalator] marks an
//     anomaly's Actor.ID only when the anomaly's rule is ranked at or above
//     its threshold (defaults: burst high, first_seen medium, off_hours low,
//     any rule it does not know critical, so a new detection is never
//     silently ignored; threshold high), never that of a "service" actor
//     (whose events its callers drive: marking it would let them deny the
//     service to the fleet), and every mark it writes expires
//     after [WithQuarantine] (default one hour, at most [MaxQuarantine],
//     never unbounded), counted from the anomaly's time and capped by the
//     escalator's clock: a false positive, or an attacker shaping the audit
//     stream, denies one identity for a bounded time, and a lasting mark is
//     an operator's decision. The mark's id derives from the anomaly's, so
//     a replayed anomaly writes the same mark; an anomaly whose quarantine
//     has lapsed marks nothing. A malformed anomaly is an error and marks
//     nothing; a mark the kill switch did not take is an error wrapping
//     [ErrSink], never dropped. Whoever can write anomaly events to the
//     escalator can quarantine any identity: feed it a detector's output
//     only.
//   - The escalator's live marks are bounded ([WithEscalationLimit],
//     default [DefaultEscalationsPerOwner] per owner and
//     [DefaultEscalations] in all, each per severity): an attacker raising
//     anomalies for many fresh identities of their organisation spends
//     that organisation's budget, not another's, and cannot crowd out a
//     higher-severity anomaly. A refused quarantine is an
//     [*EscalationLimitError] ([ErrEscalationLimit], an [ErrSink]) and an
//     error log, never silent. A flood across more owners than the total
//     allows (many organisations, each cheap to create) still refuses
//     other owners' quarantines of the same or lower severity: size the
//     total, and alert on the error.
package audit
