package secrets

import (
	"encoding/binary"
)

// matcher finds every occurrence of a set of patterns, each at least
// MinMaskLen (>= gramLen+1) bytes long, in one pass.
//
// Any occurrence of a pattern of length >= minLen covers minLen-gramLen+1
// consecutive 4-byte windows, so sampling one window every stride =
// minLen-gramLen+1 bytes lands inside every occurrence at least once. Each
// sampled window is looked up in a bitset of the hashed windows of all
// patterns; only on a hit are the (pattern, offset) candidates for that exact
// window compared. The cost per input byte is about one load, multiply and
// bit test per stride bytes.
type matcher struct {
	pats   []string
	minLen int
	maxLen int
	stride int
	bits   []uint64
	grams  map[uint32][]cand
}

type cand struct{ pat, off int32 }

const (
	gramLen    = 4
	filterBits = 20 // 128 KiB bitset
	hashMul    = 0x9E3779B1
)

func gramHash(g uint32) uint32 { return (g * hashMul) >> (32 - filterBits) }

func newMatcher(pats []string) *matcher {
	m := &matcher{pats: pats}
	if len(pats) == 0 {
		return m
	}
	m.minLen = len(pats[0])
	for _, p := range pats {
		m.minLen = min(m.minLen, len(p))
		m.maxLen = max(m.maxLen, len(p))
	}
	m.stride = m.minLen - gramLen + 1
	m.bits = make([]uint64, 1<<filterBits/64)
	m.grams = map[uint32][]cand{}
	for i, p := range pats {
		for off := 0; off+gramLen <= len(p); off++ {
			g := binary.LittleEndian.Uint32([]byte(p[off : off+gramLen]))
			h := gramHash(g)
			m.bits[h>>6] |= 1 << (h & 63)
			m.grams[g] = append(m.grams[g], cand{pat: int32(i), off: int32(off)})
		}
	}
	return m
}

// find appends the intervals of every occurrence in b to out.
func (m *matcher) find(b []byte, out []interval) []interval {
	if len(m.pats) == 0 {
		return out
	}
	n := len(b)
	bits := m.bits
	for q := 0; q+gramLen <= n; q += m.stride {
		g := binary.LittleEndian.Uint32(b[q:])
		h := gramHash(g)
		if bits[h>>6]&(1<<(h&63)) == 0 {
			continue
		}
		for _, c := range m.grams[g] {
			p := m.pats[c.pat]
			start := q - int(c.off)
			if start < 0 || start+len(p) > n {
				continue
			}
			if string(b[start:start+len(p)]) == p {
				out = append(out, interval{start, start + len(p)})
			}
		}
	}
	return out
}
