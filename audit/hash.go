package audit

import (
	"crypto/sha256"

	"github.com/transparency-dev/merkle/compact"
)

// RFC 6962 hashing with one allocation per node instead of the three of
// rfc6962.DefaultHasher, which TestHashMatchesRFC6962 checks it equals.
// Proof construction and verification stay in transparency-dev/merkle.

// hashChildren is SHA-256(0x01 || l || r).
func hashChildren(l, r []byte) []byte {
	s := sumChildren(l, r)
	return s[:]
}

func sumChildren(l, r []byte) [sha256.Size]byte {
	var b [1 + 2*sha256.Size]byte
	b[0] = 1
	copy(b[1:], l)
	copy(b[1+sha256.Size:], r)
	return sha256.Sum256(b[:])
}

// slabHasher hands out hashes carved from large blocks, so that building a
// tree costs an allocation per 4096 nodes rather than per node. It is not
// safe for concurrent use.
type slabHasher struct{ slab []byte }

func (h *slabHasher) alloc(s [sha256.Size]byte) []byte {
	if len(h.slab) < sha256.Size {
		h.slab = make([]byte, 4096*sha256.Size)
	}
	out := h.slab[:sha256.Size:sha256.Size]
	h.slab = h.slab[sha256.Size:]
	copy(out, s[:])
	return out
}

func (h *slabHasher) children(l, r []byte) []byte { return h.alloc(sumChildren(l, r)) }

// leafPrefixed is hashLeafPrefixed into the slab.
func (h *slabHasher) leafPrefixed(p []byte) []byte {
	saved := p[0]
	p[0] = 0
	s := sha256.Sum256(p)
	p[0] = saved
	return h.alloc(s)
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

// rootOf is the Merkle tree hash of the range, which must start at 0. The
// empty tree's is SHA-256 of nothing (RFC 6962 section 2.1), where
// compact.Range gives no hash: a checkpoint of a log without entries then
// commits to the same root every RFC 6962 verifier expects.
func rootOf(r *compact.Range) ([]byte, error) {
	if r.End() == 0 {
		empty := sha256.Sum256(nil)
		return empty[:], nil
	}
	return r.GetRootHash(nil)
}
