// Package svr writes and strictly reads in-toto Simple Verification
// Results v0.1 (predicate type https://in-toto.io/attestation/svr/v0.1):
// the statement a verifier signs to say that an artifact passed a set of
// named properties at a point in time. It is the lighter sibling of the
// SLSA VSA (attest/vsa): no input attestations and no levels, only who,
// when and which properties passed.
//
// # Model
//
// A [Result] holds the predicate's fields: [Verifier] (id URI and,
// optionally, the policy descriptor the specification suggests as an
// extension, with the policy revision in its [AnnotationPolicyRevision]
// annotation), TimeCreated and Properties. [FromDecision] builds one from
// a policy decision: [PropertyAllowed] ("ZTCI_POLICY_ALLOWED") when the
// policy allowed with no violation, followed by the properties the caller
// established, such as the ids of the controls a policy/compliance report
// shows as passed ("SSDF-PS.2.1"). A denied decision yields no passing
// property of the policy: an SVR lists what passed, never what failed.
// It still lists the caller's other properties (the controls a deny
// passed): each property is its own claim, so a consumer deciding whether
// to deploy requires PropertyAllowed, never another property alone, and
// never reads a result that lacks it as revoking an earlier one.
//
//	r, err := svr.FromDecision("https://gate.example/prod", svr.Decision{
//		Allowed: d.Allowed, Rules: d.Rules(), PolicyRevision: d.PolicyRevision, Time: now,
//		Passed: passedControls})
//	st, err := attest.NewStatement([]attest.ResourceDescriptor{image}, svr.Predicate(r))
//	bundle, err := attest.Sign(ctx, signer, st)
//	// later, on the Statement of a bundle verified as the gate's:
//	want := svr.Expect{Subject: imageDigest, VerifierID: "https://gate.example/prod", MaxAge: 15 * time.Minute}
//	r, err := want.Check(result.Statement)
//
// # Checking a result against what the consumer expects
//
// [Expect.Check] is how a consumer (a later deploy step, an admission
// controller) relies on a result instead of verifying the artifact again.
// It returns the Result only when: the expected digest ([Expect.Subject])
// is one of the Statement's subjects, named [Expect.Repository] when that
// is set ([ErrSubjectMismatch]); verifier.id is exactly [Expect.VerifierID]
// ([ErrVerifierMismatch]); timeCreated is no older than [Expect.MaxAge]
// ([ErrStale]) and no more than [Expect.ClockSkew] ([DefaultClockSkew],
// one minute, when zero; at most [MaxClockSkew]) ahead of the clock
// ([ErrFuture]); the result
// lists [PropertyAllowed] ([ErrNotAllowed]; it cannot be waived, since a
// deny still lists the controls it passed) and each of
// [Expect.Properties] ([ErrPropertyMissing]); and, with
// [Expect.PolicyRevisions], its policy revision is one of them
// ([ErrRevision], also for a result naming none). Each failure is a
// [*MismatchError] wrapping [ErrUnexpected], its Got clipped to 64 bytes.
// Subject, VerifierID and a positive MaxAge are required: an Expect
// without them, the zero Expect included, refuses every result
// ([ErrExpectation]). A result naming several subjects (a gate's result
// about the platform manifests of an index) is accepted for each of them,
// as it states the same about each; a consumer running several manifests
// checks each digest.
//
// Check does not verify the signature: pass it only the Statement of a
// bundle verified with a verifier pinned to the one identity that signs
// for VerifierID (one verifier per Expect), so that verifier.id and the
// signer are the pair the consumer trusts. A verifier accepting several
// gates' identities lets any of them sign a result naming another.
//
// # Why not the generated type
//
// The in-toto attestation Go module ships a generated type for this
// predicate (predicates/svr/v01). It is a protobuf message: encoding/json
// misnames its fields, and protojson, the only correct codec, reads the
// verifier's policy as a google.protobuf.Any that must carry an "@type"
// member, which the specification's own policy example does not have, and
// refuses every other extension member. The package therefore keeps its
// own type, as attest/vsa does, and its tests check that protojson with the
// generated type reads what this package writes to the same values.
//
// # Reading untrusted results
//
// [ParsePredicate] and [FromStatement] refuse, with a [*FieldError]
// wrapping [ErrInvalid]: input over [MaxSize], an object of more members
// than its size allows (more than 1024, plus one per 32 bytes of it) or
// arrays of more elements than it allows ([ErrTooLarge]); invalid UTF-8,
// anything but one JSON object, repeated members or members spelt like
// the specification's in another case, null anywhere, wrong JSON types
// ([ErrMalformed]); a missing verifier.id, timeCreated or properties
// ([ErrMissingField]); a verifier.id that is not an absolute URI of
// visible characters, a time that is not RFC 3339, a policy descriptor
// attest refuses or whose [AnnotationPolicyRevision] is not a string of 1
// to 512 bytes of printable characters (as a ztci policy's revision is),
// a property that is empty, longer than 256 bytes, holds white space,
// control or format characters (Unicode's: an em space, a C1 control, a
// zero-width space, a bidi override) or is listed twice ([ErrBadValue]);
// and a member of the predicate or the verifier that is neither the
// specification's nor an extension named by an absolute URI
// ([ErrUnknownField]). That is stricter than the in-toto parsing rules,
// which ask consumers to ignore unknown fields: a result is a decision a
// consumer acts on without looking further, so a misspelt or
// later-version member that could narrow it is refused, not dropped.
//
// # Security contract
//
// Nothing here verifies a signature, and only [Expect.Check] checks a
// subject, a verifier, freshness and the allow. A Result is evidence
// about an artifact only when the Statement carrying it verified as signed
// by an identity the consumer accepts for that verifier.id, its subject
// digest is the artifact's, and it is fresh enough for the properties the
// consumer relies on (the specification leaves expiry to property naming
// and timeCreated). Fresh means timeCreated is no earlier than now less
// the age the consumer allows and no later than now plus the clock skew it
// tolerates: the parser accepts any time of years 0001–9999, and a check
// of the age alone (now.Sub(timeCreated) <= maxAge) reads a result dated
// years ahead, by a verifier with a wrong clock, as the freshest there is,
// for as long as that clock was ahead. [Predicate] validates what it writes by the same rules
// and reads its encoding back with [ParsePredicate] (a null or two
// annotation names equal under case folding are seen only there), so this
// package never writes a result it would refuse to read. Error messages
// quote at most 64 bytes of untrusted input.
package svr
