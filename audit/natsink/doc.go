// Package natsink is an audit [audit.Sink] that publishes events to a NATS
// JetStream stream, for vendors whose fleet outgrows one machine.
//
// Each event is published, as its stable JSON ([audit.Encode]), to the
// subject "<prefix>.<tenant>" (default prefix "ztci.audit"), so a stream or
// consumer can be scoped per tenant. The publish carries the tenant and
// the event id as Nats-Msg-Id ("<tenant>:<id>"; an id a header cannot
// carry exactly — over 128 bytes, or with spaces, control or non-ASCII
// bytes — as "sha256:" and its hex SHA-256, so that distinct ids never
// share one), so JetStream drops duplicates within the stream's
// de-duplication window, and one tenant's event never passes for a
// duplicate of another tenant's that has the same id; Write returns
// only once the server has acknowledged that the stream stored the message
// or already held one with the same Nats-Msg-Id.
//
// The stream does not compare a duplicate with the message it holds: an
// event published under the id of another of its tenant within the window is
// acknowledged and dropped, and Write returns nil. So give each event an
// id of its own (random, or derived from such an id, as the anomaly and
// escalation events are, so that a replay is dropped), and let only the
// writers you trust publish to "<prefix>.>": one that may publish to a
// tenant's subject can store a message there under an event's id before
// the event is written. One confined to its own subject cannot suppress
// another tenant's events: Write reads the message the stream holds under
// a duplicate's id and fails with [audit.ErrSink] when it is on another
// subject (grant the sink STREAM.MSG.GET on the stream; skipped
// [WithoutStreamCheck]).
//
// The tenant comes from a required [TenantFunc]: events are never published
// under a guessed tenant. Tenant names must be single subject tokens
// (letters, digits, '-', '_'), which prevents one tenant's events from being
// routed into another's subject hierarchy.
//
//	nc, _ := nats.Connect(url)
//	js, _ := jetstream.New(nc)
//	sink, _ := natsink.New(js, "AUDIT", natsink.TenantAttribute("tenant"), natsink.WithMinReplicas(3))
//	err := sink.Write(ctx, event) // nil once the stream has stored it
//
// The stream must exist and capture "<prefix>.>" and nothing else; set its
// Duplicates window to cover retries. It must keep every event for its max
// age (the operator's retention) and let nobody erase one sooner: the first
// Write reads its settings, and so does the first Write after each check
// interval (default one minute, [WithStreamCheckInterval]); while they fail
// [CheckStream], it publishes nothing and fails with [ErrStream] (an
// [audit.ErrSink]), and the Writes after it check again, so the sink
// resumes once the stream is safe again. That refuses
// interest or work-queue retention, memory storage, MaxMsgs or MaxBytes
// with discard old and MaxMsgsPerSubject without discard new per subject
// (a flood would evict older events), deletes or purges allowed, rollup or
// per-message TTL headers, sources, and subjects outside "<prefix>.":
//
//	js.CreateStream(ctx, jetstream.StreamConfig{Name: "AUDIT",
//		Subjects: []string{"ztci.audit.>"}, Storage: jetstream.FileStorage,
//		Replicas: 3, Duplicates: 10 * time.Minute, DenyDelete: true, DenyPurge: true})
//
// A fleet sets [WithMinReplicas](3), so that a stream with fewer replicas
// (made R1, or dropped to R1 later) is refused the same way; the default,
// 1, suits a single server.
//
// A Publisher that cannot read the stream ([StreamLookup]) makes [New] fail
// unless [WithoutStreamCheck]. A stream edited, or deleted and made again,
// after a check is refused at the first Write past the interval: events
// written in between went to the edited stream, so grant stream management
// to its operators only. A max age shorter than the one the sink's first
// check saw (for ever made a second, say, so the trail ages out) is
// refused the same way until restored; [WithMinMaxAge] sets a floor that
// also holds for a sink started after such a change. A stream that lost
// events between two checks (deleted and made again with the same safe
// settings, restored from an older snapshot, or given an evicting limit
// that was lifted again before the check: its creation time changed,
// its last sequence went down, events were deleted from its middle, or,
// kept for ever, it holds fewer) fails with [ErrEventsLost] (an ErrStream)
// at every Write until the sink is made again, since no later edit brings
// the trail back; making the sink again is the operator acknowledging the
// loss. This package links nats.go; package audit does not.
package natsink
