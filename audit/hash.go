package audit

import "crypto/sha256"

// RFC 6962 hashing with one allocation per node instead of the three of
// rfc6962.DefaultHasher, which TestHashMatchesRFC6962 checks it equals.
// Proof construction and verification stay in transparency-dev/merkle.

// hashChildren is SHA-256(0x01 || l || r).
func hashChildren(l, r []byte) []byte {
	var b [1 + 2*sha256.Size]byte
	b[0] = 1
	copy(b[1:], l)
	copy(b[1+sha256.Size:], r)
	s := sha256.Sum256(b[:])
	return s[:]
}

// hashLeafPrefixed returns SHA-256(0x00 || p[1:]), using p[0] as scratch
// for the 0x00 prefix and restoring it: the caller passes the leaf with the
// byte before it, avoiding a copy.
func hashLeafPrefixed(p []byte) []byte {
	saved := p[0]
	p[0] = 0
	s := sha256.Sum256(p)
	p[0] = saved
	return s[:]
}
