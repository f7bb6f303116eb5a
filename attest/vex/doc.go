// Package vex reads and writes OpenVEX v0.2.0 documents (Vulnerability
// Exploitability eXchange) as signed in-toto attestations, and says which
// statements of a document are about a given artifact.
//
// A VEX statement says what one vulnerability means for some products:
// not_affected (with a justification), affected, fixed or
// under_investigation. A deploy gate uses it to let an artifact through
// despite a scanner finding, so a statement is an exception to a deny and
// is read as strictly as anything that can open a gate.
//
// # Model
//
// A [Document] holds [Statement]s; each names a [Vulnerability] (name and
// aliases), its [Product]s ([Component]s identified by "@id", identifiers
// and hashes, with optional subcomponents), a [Status], a [Justification]
// and the statement's time (its own, else the document's). [Parse] reads a
// document, bare or inside an in-toto Statement; [FromStatement] reads a
// verified attest.Statement; [Predicate] writes a document as the in-toto
// predicate [PredicateType] (https://openvex.dev/ns/v0.2.0, the document's
// "@context"), to be signed with the artifact's digest as subject:
//
//	st, err := attest.NewStatement(
//		[]attest.ResourceDescriptor{{Name: ref, Digest: attest.DigestSet{"sha256": hex}}},
//		vex.Predicate(doc))
//	bundle, err := attest.Sign(ctx, signer, st)
//	// later, after verification of the bundle:
//	doc, err := vex.FromStatement(verified.Statement)
//	for _, a := range doc.For(vex.Artifact{Digest: digest}) { ... }
//
// [Document.For] returns the statements that name an artifact among their
// products — by hash, by a pkg:oci package URL whose version is the
// digest, or by package URL matching ([MatchPURL]) — with the
// subcomponents they are about. [Statement.MayFor] is the looser rule for
// a statement that would cancel a lift (what may name an artifact, and
// what cannot be placed), and [MayMatchPURL] the looser package URL match.
//
// # Security contract
//
//   - Strict parsing: Parse refuses more than [MaxSize] bytes, anything but
//     one JSON object, repeated members and member names in another case at
//     any depth (internal/strictjson), more array elements and map members
//     than the document's size allows (they may decode to at most twice
//     its length plus 64 KiB: `"statements":[{},{},…]` would cost hundreds
//     of times its size), members the OpenVEX JSON schema does
//     not define, null, values of the wrong JSON type, a document without
//     "@context" (exactly [PredicateType]), "@id", "author", "timestamp",
//     "version" or statements, a status or justification outside the spec's
//     enumerations, a vulnerability name or alias that is not printable
//     ASCII without spaces (ids are compared with a finding's as strings:
//     a later "affected" about "CVE-2026-1 " would name no finding),
//     not_affected without justification or impact statement, affected
//     without action statement, unparsable package URLs and hashes
//     that are not hex of their algorithm's length. Errors wrap [ErrInvalid]
//     (which wraps attest.ErrInvalidPredicate) and a finer sentinel; a
//     statement's error is a [*StatementError]. Messages quote at most 64
//     bytes of the input. An unknown status never reads as a known one.
//   - Bounded work: a document names at most [MaxProducts] products over
//     all its statements, counted after inheritance (a statement without
//     products has one per subject of the in-toto Statement). Bytes do not
//     bound that count, so more is refused ([ErrTooLarge], in a
//     [*StatementError]) before the statement that would pass it is read:
//     [Document.For] walks every product on each call. For the same reason
//     a statement without products does not inherit a subject whose name
//     is a package URL longer than [MaxPURLLen] ([ErrTooLarge]): For would
//     parse it once per statement.
//   - A statement applies only to the products it names. Only in an in-toto
//     Statement does a statement without products inherit the Statement's
//     subjects (the OpenVEX attestation rule); in a bare document it names
//     nothing and [Document.For] never returns it.
//   - Parse verifies nothing. A Document is evidence about an artifact only
//     when the Statement carrying it was signed by an identity the verifier
//     allows and its subject is the artifact's digest; "author" is what the
//     document claims, the signer is who vouches for it. The gate (package
//     policy/gate) reads VEX only from verified attestations and the
//     built-in deploy policy counts a statement only when its signer is in
//     DeployConfig.VEXSigners.
//   - What suppresses a finding is policy, not this package: For reports
//     every statement about the artifact, whatever its status; the
//     built-in rules count not_affected (with a justification, not an
//     impact statement alone) and fixed, and let a later affected or
//     under_investigation statement about the same vulnerability and
//     product win.
package vex
