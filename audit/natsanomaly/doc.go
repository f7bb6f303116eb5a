// Package natsanomaly runs audit's anomaly detector over the whole fleet's
// audit events: a [Feeder] consumes the JetStream stream that every replica
// publishes to (audit/natsink) into an [audit.Detector], so one baseline
// covers every replica's events, and a restarted feeder rebuilds it by
// replaying the stream.
//
// To act on what it finds, give the feeder an [audit.Escalator] (beside the
// sink that keeps the anomalies) writing to a fleet kill switch
// (audit/natskill): one anomaly of a high enough severity on the fleet's
// stream then quarantines the identity on every replica.
//
//	js, _ := jetstream.New(nc)
//	positions, _ := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "ztci_feeders", Replicas: 3})
//	f, _ := natsanomaly.New(js, "AUDIT", alerts,
//		natsanomaly.WithDetector(audit.WithLearning(20)),
//		natsanomaly.WithPosition(positions, "audit-alerts"))
//	go f.Run(ctx)             // until ctx is done
//	err := f.Check(ctx)       // nil: every event stored so far was examined
//
// # The stream is the persistence
//
// The feeder keeps no baseline of its own. Run reads the stream with an
// ordered consumer from its first event (or [WithStartTime]); the detector
// is deterministic for a given sequence of events (it uses the events' own
// times, bounded by the times the stream stored them: see below), so
// replaying the stream rebuilds exactly the baseline the previous feeder
// had: there is no new learning window after a restart. The
// baseline covers what the stream retains: size the stream's max age for
// the history the detector should learn from.
//
// What it keeps is its position ([WithPosition]): the stream sequence up to
// which it has written every anomaly, in a KV bucket. Anomalies of events
// up to the saved position are not written again (they are counted in
// [Stats].Replayed); those of every later event are, including the events
// stored while no feeder ran. The position is saved only after the
// anomalies it covers are written, so it may lag (a restart writes a few
// again, under the same ids: a de-duplicating sink keeps one) but never
// skips. Without WithPosition, a feeder takes every event already stored
// when Run starts for examined, and the anomalies of events stored while no
// feeder ran are never written; [WithReplayAnomalies] writes the anomalies
// of every event instead.
//
// # Security contract
//
//   - Fail closed, never "no anomalies" by silence: Run returns an error
//     wrapping [ErrUnavailable] when the stream cannot be reached at start,
//     [ErrConfig] when its settings let an event vanish before the feeder
//     reads it (deletes or purges allowed, evicting limits, interest
//     retention: [natsink.CheckStream], without the subjects check),
//     [ErrPosition] when the saved position cannot be read or is not a
//     position, and the output sink's error when an anomaly cannot be
//     written (the feeder stops rather than drop it). [Feeder.Check] returns nil only when
//     the server confirms that every event the stream held at the moment of
//     the question has been examined; otherwise [ErrBehind],
//     [ErrUnavailable] or [ErrNotRunning]. A report of "no anomalies" for a
//     period must rest on a nil Check after it.
//   - A node loss or reconnect is absorbed by the ordered consumer, which
//     resumes after the last message delivered: with a 3-replica stream,
//     losing one node loses no event (tested with kill -9).
//   - Bounded input: each message is decoded with [audit.Decode], which
//     rejects more than [audit.MaxEventSize] bytes before parsing, unknown
//     fields and invalid events. An undecodable message does not stop
//     detection: it is skipped, counted ([Stats].Undecodable and
//     LastUndecodable, its stream sequence) and logged at error level with
//     its sequence, subject, size and the decoder's error, which says what
//     kind of problem it has and where, never the message's content.
//   - The detector's clock is the stream's: an event's Time is taken
//     within [audit.DefaultMaxClockSkew] ([audit.WithMaxClockSkew]) of
//     the time the stream stored it, not of the publishing replica's
//     clock, so a replica whose clock is skewed (or that lies) cannot date
//     events where no burst window counts them, or poison the windows of
//     other replicas' events; an event outside the bound counts at it, and
//     its anomalies carry its own time ([audit.AttrEventTime]). A clock
//     passed with [WithDetector] does not replace the stream's;
//     [audit.WithEventTimeTrustedUnsafe] removes the bound.
//   - Anomalies raised by a detector ([audit.SourceDetector]) that land in
//     the same stream are ignored, so a feeder may write to the stream it
//     reads.
//   - Whoever can publish to the stream shapes the baseline: grant publish
//     rights to the fleet's audit sinks only. Whoever can write a feeder's
//     position key can make it skip anomalies: grant write access to that
//     feeder only, and give each feeder its own key. The detector knows
//     identities by the events' actor.id: publishers must not hash or seal
//     it (see [audit.Detector]).
//
// This package links nats.go; package audit does not.
package natsanomaly
