// Package natskill is a fleet-wide kill switch on a NATS JetStream KV bucket:
// a mark set on any replica (an operator, or a detector's
// [audit.ActionCompromiseDetected] event) is persisted in the bucket and
// reaches every replica's [Switch] through a watch, so that every gate,
// secrets broker and verifier of the fleet denies the marked identity.
//
//	nc, _ := nats.Connect(urls)
//	js, _ := jetstream.New(nc)
//	ks, err := natskill.New(ctx, js, auditLog, natskill.WithReplicas(3))
//	defer ks.Close()
//	broker, _ := secrets.NewBroker(..., secrets.WithCompromiseChecker(ks))
//	engine, _ := policy.New(..., policy.WithCompromiseChecker(ks))
//	keyCheck := ks.For(natskill.KindKey) // for a verifier: refuse marked keys
//
// A [Switch] satisfies [audit.CompromiseChecker] for job identities and
// SPIFFE IDs (the actor IDs that brokers and gates pass), and [Switch.For]
// gives one for each other kind: signer identity, key id, builder id. Kinds
// never match each other, except that job identities and SPIFFE IDs are
// both actor ids: a check of either consults the marks of both, so the
// automatic (job) mark of a workload's SPIFFE ID denies it to a
// For(KindSPIFFE) checker too. Like [audit.KillSwitch] it is an [audit.Sink] for a
// detector's events and audits every mark and clear.
//
// A repository, or the owner of repositories, is marked as a [KindJob]
// mark of its mark id ([audit.MarkIDs]: "repository_id:github-actions/42",
// "repository:github-actions/acme/app", "repository_owner_id:github-actions/7"):
// brokers, policy engines, gates and egress proxies ask for every mark id
// of a job's identity ([audit.ActorCompromised]), so the mark denies each
// job of the repository whatever its own id. These ids are folded to lower
// case ([audit.CanonicalMarkID]) when marked, cleared and checked, so
// "repository:github-actions/Acme/App" denies the jobs of acme/app; a
// repository mark stored unfolded by an earlier version still denies in
// any case, and is lifted with [Switch.ClearMark] as [Switch.Marks] lists it.
// The prefix itself is not folded: [Switch.Mark] refuses a mark id whose
// prefix is in another case ("Repository:..."), or that lacks the
// platform, the slash or the value, or has whitespace after the prefix or
// around that slash ([audit.CheckMarkID]): no job would match it.
//
// # Security contract
//
//   - Checks read memory only (no network on the decision path). A mark is
//     in force on the replica that set it when [Switch.Mark] returns, and on
//     the others when their watch delivers it (measured on a loopback
//     3-node cluster: p99 a few milliseconds).
//   - Fail closed. The switch keeps proving it is current: every eighth of
//     [WithStaleAfter] it asks the stream leader for the bucket's last
//     sequence, and once its watch has delivered that sequence it knows it
//     held every mark committed before the question. When no such proof is
//     younger than the bound (NATS unreachable, all nodes lost, no stream
//     leader, watch stalled), every check denies with [ErrStale]; when the
//     watch falls behind it is restarted and the view rebuilt from the
//     bucket. Recovery is automatic when NATS answers again. The bound is
//     measured on the process's monotonic clock, not [WithClock]'s (which
//     governs mark expiry): setting a clock back does not keep a replica
//     current. So a mark
//     acknowledged at time A is in force on every replica by A plus the
//     bound, or that replica denies everything (as long as the stream leader
//     that answers is the current one: a partitioned former leader steps
//     down within its RAFT election timeout).
//   - An entry in the bucket that is not a valid mark (bad JSON, unknown
//     fields, a member repeated or spelt in another case, stored under a
//     key that is not its own) makes every check deny with [ErrCorrupt]
//     until it is removed: the switch never guesses; the log line and the
//     error name the key, never the value's content. An id that is not
//     UTF-8 is refused before the bucket ([ErrConfig]).
//   - Ids are compared byte for byte, with no Unicode normalisation.
//     [Switch.Mark] refuses an id no check could match
//     ([audit.CheckMarkID]), and a [KindSPIFFE] mark of anything but an
//     ASCII SPIFFE ID ("spiffe://..."): a lookalike scheme or a path
//     outside ASCII would be audited as in force and deny nobody. So
//     would a mark whose until is not after the switch's clock: it is
//     refused ([ErrMarkLapsed], which is [audit.ErrMarkLapsed]) and
//     nothing is written to the bucket or audited; a detector event
//     asking for one (a replay) is logged and dropped by [Switch.Write],
//     which returns nil. A live mark is never replaced, shortened or
//     rewritten by such a request.
//   - A mark that cannot be written returns [ErrUnavailable] and is not in
//     force anywhere: the caller retries. Marking is effective before it is
//     audited (denying is the safe side); clearing is audited first, and an
//     audit failure keeps the mark. Clearing an identity with no mark is
//     refused ([ErrNotMarked]) and not audited. A clear deletes only the
//     revision it read: a mark written after that read (on any replica) is
//     kept ([ErrMarkChanged]), and the audited clear is followed by an
//     event saying it did not happen.
//   - Marks do not lapse by age in the bucket ([New] refuses a bucket with a
//     max age, and one whose stream drops values by itself: interest or
//     work-queue retention, discard old with a limit, memory storage, fewer
//     replicas than [WithReplicas] asks for), nor by a writer's header: a
//     stream that allows per-message TTLs is refused
//     ([*BucketSettingError] naming AllowMsgTTL), since a mark put with a
//     Nats-TTL header would vanish without a deletion the watch delivers,
//     denying on running replicas and allowing on restarted ones (the
//     switch sets no TTL itself: its purges below are KV deletes and
//     stream purges). Every freshness probe checks these settings again: a
//     stream edited to any of them while the switch runs makes it stale
//     (deny) and logs why. A mark's own Until ends it on
//     every replica by its clock. A mark that lapsed more than
//     [WithPurgeAfter] ago (default one hour: the clock-skew allowance of
//     the fleet) is deleted from the bucket by the next [Switch.Mark] on
//     any replica, only at the revision that replica read (a mark
//     re-asserted meanwhile is kept), and logged, not audited: it denied
//     nobody any more. Replicas that mark must keep their clocks within
//     that allowance.
//     A cleared or purged mark's key leaves every replica's memory when
//     its watch delivers the deletion (a revision the watch has passed
//     cannot bring it back), and the deletion marker the bucket keeps is
//     purged by a later [Switch.Mark] once older than the allowance (and
//     four stale bounds), up to the marker only, so a mark written to the
//     key since is kept: neither memory nor the bucket grows with the
//     number of ids ever marked. Replicas that mark need purge permission
//     on the bucket's stream for that; without it markers stay (logged).
//     With [WithReplicas](3), losing any one node loses no acknowledged mark.
//   - A switch holds at most [WithMaxMarks] marks (default
//     [DefaultMaxMarks], lapsed ones not yet purged included), so a flood
//     of marks by a bucket writer, or by a detector an attacker drives,
//     cannot exhaust the replicas' memory. A bucket holding more makes the
//     switch deny every identity ([ErrTooManyMarks]) and log an error; it
//     never drops a mark, and decides again once a view it rebuilds from
//     the bucket (every four stale bounds) fits. [Switch.Mark] of an
//     identity not yet marked is refused with [ErrTooManyMarks] when the
//     switch holds the bound: clear marks, or raise the bound on every
//     replica.
//   - Keys are the kind and the SHA-256 of the id; values are bounded
//     (4 KiB per field). An id longer than 4 KiB is marked all the same,
//     under a stand-in ("\x00sha256:" and its hex SHA-256: the Mark.ID
//     that [Switch.Marks] and [WithOnMark] see, that [Switch.ClearMark]
//     lifts and that the clear event names), and a detector's longer
//     reason or name is cut: no identity escapes quarantine by the length
//     of its id. Whoever can write the bucket can deny any identity
//     or lift any mark: grant write access to the markers only, read access
//     (watch and stream info) to the replicas.
//   - After [Switch.Close] every check denies with [ErrClosed]; Close stops
//     the switch's goroutines and waits for them.
//
// A bucket created moments ago on a cluster may take a second or so before
// its first change reaches watchers; replicas deny meanwhile.
package natskill
