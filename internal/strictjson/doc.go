// Package strictjson refuses JSON whose member names a case-insensitive
// decoder could read differently from a case-sensitive one. It is the one
// implementation of that check in the module: identity (JOSE headers, JWT
// claims, JWKS), verify (Sigstore bundles and in-toto statements), attest
// (statements, predicates, SBOMs, the CA's requests), internal/oci
// (manifests), audit, policy and policy/gate (deploy requests) all call it.
//
// encoding/json matches member names to struct fields case-insensitively
// (Unicode simple folding, so "ALG", "Alg" and "\u0061lg" all fill Alg) and
// keeps the last of repeated members, while JOSE (RFC 7515 §4), JWKS,
// protobuf JSON and the in-toto and SLSA specifications name members
// case-sensitively and other implementations keep the first. A document
// that means one thing to a ztci verifier and another to a peer is refused
// before it is decoded: [Check] rejects every object, at any depth, holding
// two members whose names are equal under Unicode case folding (exact
// repeats included), and every member spelt like a registered name in
// another case.
//
// A [Schema], derived from a Go type by [SchemaOf], replaces the registered
// names with the type's own member names, refused in another case only at
// the positions the type gives them: a request's or a policy input's
// struct members, not the free-form documents nested inside them. Every
// refusal is a [*MemberError] naming the two members and the JSON pointer
// of their object (at most 64 bytes of each quoted). Every check also refuses text that is not Unicode
// ([ErrNotUnicode]: bytes that are not UTF-8, an escaped lone surrogate),
// which readers otherwise turn into U+FFFD, refuse or keep, each its own
// way. Numbers are not judged: 1e400, -0, 1.0 and integers beyond 2^53
// pass as written, and a caller that hands them on (to policy, to a
// comparison) reads them as json.Number, exactly, not as float64.
//
// [Check] validates the document first. [CheckUnvalidated] skips that pass
// (it would double the cost on a large bundle) for callers that parse the
// same bytes strictly right afterwards and refuse what does not parse. The
// walk is iterative: no input depth can overflow the goroutine stack, and
// it refuses a document nested deeper than encoding/json's limit (10000),
// so no input costs more than a bounded stack of open objects.
//
// The walk keeps no copy of a member name it can point at: an object's
// first 32 names are compared with each other as they are read, a larger
// object's by sorting where its names are (8 bytes a member) when it
// closes, or when the walk stops inside it, and the refusal is the one
// the in-order comparison would make (the earliest member colliding with
// one before it). A check therefore allocates at most a few times a flood
// of one object's members, not the 6 to 15 times a map of the names cost.
//
// encoding/json allocates a whole Go element for each element of an array
// it decodes into a slice, and grows the slice by copying, so
// `[{},{},…]` into a slice of structs costs 50 to 190 times the input's
// size. [Schema.CheckBounded] weighs every array element and map member
// by what one decoded element of its Go type takes (16 bytes for an
// element of a free-form array, 32 for a member of an object decoded into
// an interface), and every non-null value by what it allocates besides
// (a pointer's target, a map's header, an interface's boxed value; a
// member's first 48 bytes of it are free), and refuses, with
// [ErrTooManyElements], a document whose weights pass twice its length
// plus 64 KiB: what decoding then allocates is a small multiple of the
// input, as for a real document.
// Callers decoding large untrusted documents (SBOMs, vulnerability and VEX
// predicates) use it; the other checks do not count.
package strictjson
