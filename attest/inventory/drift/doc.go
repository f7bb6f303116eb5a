// Package drift detects compliance drift in what a deploy gate admitted:
// when a vulnerability advisory, a builder, signer or key revocation, or a
// policy revision arrives, it asks the admission index ([inventory.Store])
// which admitted artifacts it concerns, and emits one audit event per
// artifact that was compliant when admitted and is not now, naming the
// artifact digest, the image reference, the gate decision that admitted
// it, the cause and the time from the record's arrival to the event (the
// mean time to detection, MTTD, is the mean of these).
//
// # Use
//
//	d, err := drift.New(store, sink, drift.WithObserver(func(c drift.Change) {
//		mttd.Observe(c.Latency.Seconds()) // a metric per drifted artifact
//	}))
//	...
//	arrived := time.Now()
//	adv, err := drift.ParseOSV(record) // an OSV record from osv.dev, GitHub, Go vulndb
//	if err != nil { ... }
//	rep, err := d.Advisory(ctx, adv, arrived)
//	if err != nil { ... } // detection did not (fully) run: retry, alert
//	for _, s := range rep.Skipped { ... } // parts no query could match
//
// [ParseOSV] reads an OSV 1.x record strictly; [Advisory.Queries] turns
// its affected packages into inventory queries (package URL, OSV ranges as
// [inventory.Range], enumerated versions). [Detector.Advisory] runs them
// and emits [ActionAdvisory] events; [Detector.RevokedBuilder] asks the
// index by builder and emits [ActionBuilderRevoked] events;
// [Detector.RevokedSigner] asks it by the signer SAN or key id of the
// attestations decisions relied on and emits [ActionSignerRevoked] events;
// [Detector.PolicyRevision] re-runs a new policy revision, through a
// caller's [Evaluator], on the policy input the gate kept for each
// admission of the previous revisions and emits [ActionPolicyRevision]
// events for the artifacts it now denies; [Detector.VEX] applies one
// statement of a verified OpenVEX document (attest/vex): not_affected or
// fixed emits [ActionCompliantAgain] for the artifacts an advisory made
// non-compliant that it covers, affected emits [ActionVEXAffected] for the
// artifacts its products name.
//
// # What is covered, and what is not
//
// Covered: a new or updated vulnerability record (any artifact whose
// verified SBOM lists an affected package version), a revoked builder
// (any artifact admitted with that SLSA builder id — an id without "@"
// at any "@<ref>" too, as the gate's revocation marks match it —
// optionally from a time on), and a revoked signer or key (any artifact
// whose decision relied on an attestation signed by that certificate
// SAN, whatever its issuer, or that key id — the match the gate's
// revocation lists make — optionally from a time on; admissions indexed
// before the index recorded signers list none and are not found), and a
// policy revision (allow → deny of any admission allowed under a
// revision the caller names, re-run on the exact policy input the gate
// evaluated, which the index keeps up to inventory.MaxPolicyInput
// bytes), and a VEX statement (not_affected
// with a justification or fixed: "compliant again" once per artifact the
// advisory it names affects and the statement covers, whole or in every
// affected package; affected: drift of the artifacts its products name by
// digest or by package URL). The package URLs of advisories and of
// affected statements are compared with the index's as
// [inventory.ParsePURL] normalizes them (a PyPI advisory for
// zope.interface finds an SBOM's Zope_Interface, as PEP 503 says; a Go
// advisory for github.com/foo/bar also finds github.com/Foo/bar), which
// errs toward reporting; an affected statement's subcomponents list the
// packages they may name ([vex.MayMatchPURL]: qualifiers ignored, 1.2.3
// as v1.2.3), so the event names the affected package. A not_affected or fixed statement lifts a finding
// only for the packages it names as their registry compares names
// ([vex.MatchPURL] on [inventory.Package.Spelled]: Go and npm names
// exactly), never for a package it does not name; a product that is a
// package URL with subcomponents is about those parts of it and lifts
// nothing (the index cannot place them). A Debian, Ubuntu or
// Alpine advisory names a source package: it finds the images whose SBOMs
// list a binary package built from it (the index keys source packages
// too, [inventory.Package.Source]), and a statement lifts that finding
// only by naming the binary package, not the source's name (which may be
// a binary package's too). Not covered:
//
//   - Admissions whose policy input was not kept (larger than the bound,
//     or indexed before inputs were kept) cannot be re-evaluated: they are
//     listed in [Report.Unevaluated], never counted as allowed. Admissions
//     of a revision not named in [PolicyChange.Previous] are not read: the
//     index is searched by revision, not scanned whole. A re-run sees the
//     input as it was at admission: verification is not repeated (a
//     revocation since is the revocation detectors' job), and a rule that
//     reads the clock (a scan's maximum age) judges it at the re-run, so
//     it may report drift that is only age.
//   - VEX signatures: [Detector.VEX] takes a statement the caller read
//     from an attestation it verified, and the identity that signed it,
//     which it records; it verifies nothing. Only statements from signers
//     the deploy policy trusts for VEX may be fed: a forged not_affected
//     statement makes an affected artifact read compliant.
//   - A VEX statement is applied when it arrives, to the artifacts the
//     advisory affects then; the Detector remembers what it resolved only
//     in its bounded seen-set, so a later delivery of the advisory reports
//     nothing for them in this process, but after a restart (or on another
//     replica) it reports them again (under the same event id as before,
//     which a de-duplicating sink drops). Feed a statement after its
//     advisory: fed first, its "compliant again" event precedes the drift.
//     A VEX product naming an image without a digest, or by CPE, cannot be
//     searched in the index: it is a [Skip] ([ErrUnresolvableProduct]).
//   - VEX ordering: a lift loses to a contrary statement unless that one is
//     older by both its timestamp and its last change, as in the deploy
//     policy, but only among the statements this Detector was fed and
//     still remembers (bounded as the seen-set, lost on restart): a
//     not_affected fed to a fresh Detector lifts, whatever "affected"
//     statements it was not fed. Read statements with [StatementsOf], so
//     a document-level last_updated is seen.
//   - Severity thresholds: every advisory fed in counts. The caller feeds
//     only the records its gate policy would deny (by severity, say).
//   - GIT ranges name commits, not versions: they are reported as a
//     [Skip] with [ErrGitRange]; the record's enumerated versions, when it
//     has them, are still matched.
//   - Reachability: Go records list affected symbols; the detector matches
//     modules, so it reports artifacts that may not call the vulnerable
//     code (it errs toward reporting).
//
// # Security contract
//
//   - Fail closed: an inventory error returns [ErrStore] before any event
//     is written; an audit sink error returns [ErrAudit]; an answer larger
//     than [inventory.MaxLimit] returns [ErrIncomplete] (after emitting
//     the drift it found; a VEX statement lifts nothing on such an
//     answer). So does a call needing more distinct inventory queries than
//     [WithMaxQueries] allows ([ErrTooManyQueries]): identical queries run
//     once, the rest past the bound are not run, a contrary VEX statement
//     is then applied to every artifact and a lifting one lifts nothing.
//     A non-nil error means detection did not fully run, never
//     "nothing drifted". A malformed record is refused whole
//     ([ErrInvalidRecord]).
//   - Nothing is dropped silently: every affected entry or range that no
//     query covers (GIT ranges, ecosystems without a package URL mapping or
//     a version ordering, bounds that do not parse) is listed in
//     [Report.Skipped] and logged. A package whose indexed version cannot
//     be ordered is reported as possibly affected (unordered_version).
//   - Withdrawn records produce no drift.
//   - One event per (artifact, cause): a record delivered again emits
//     nothing for artifacts already reported. The seen-set is per Detector
//     and bounded ([WithSeenLimit]); across restarts and replicas the event
//     id is derived from (action, digest, cause), so a sink that
//     de-duplicates by id (as [audit.Event] asks sinks to) records each
//     change once. An artifact admitted by several decisions is one
//     artifact: its event names the newest decision and lists the others.
//   - A changed (modified) record with the same id reports only artifacts
//     not reported for that id before; a record's ranges shrinking emits
//     nothing (no "compliant again" event).
//   - Input is bounded: record size ([MaxRecordSize]), ids, aliases,
//     affected entries, ranges, events and versions; events list at most
//     16 packages, aliases and decisions and say how many there are.
//   - Events carry digests, references, decision ids, builders (those of
//     the admission the event names, separated by spaces, in its "builder"
//     attribute), job and signer identities, advisory ids and an
//     evaluator's deny reasons (clipped, at most 16), never secrets and
//     never a policy input.
//   - An advisory is not verified here: OSV records are unsigned. Feed
//     records from a source you trust over an authenticated channel; a
//     forged record can raise false drift events, not suppress any.
package drift
