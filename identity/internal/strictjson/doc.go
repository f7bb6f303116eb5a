// Package strictjson refuses JSON whose member names a case-insensitive
// decoder could read differently from a case-sensitive one.
//
// encoding/json matches member names to struct fields case-insensitively
// (Unicode simple folding, so "ALG", "Alg" and "\u0061lg" all fill Alg) and
// keeps the last of repeated members, while JOSE (RFC 7515 §4), JWKS and
// protobuf JSON name members case-sensitively and other implementations
// keep the first. A document that means one thing to the ztci verifier and
// another to a peer is refused before it is decoded: [Check] rejects every
// object, at any depth, holding two members whose names are equal under
// Unicode case folding (exact repeats included), and every member spelt
// like a registered name in another case.
package strictjson
