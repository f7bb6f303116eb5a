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
	pats  []string
	owner []int32 // pats[i] is a form of secret owner[i]
	names []string
	repl  [][]byte // by secret: what replaces it
	// hold is how many bytes a writer holds back: one less than the longest
	// stretch of stream an occurrence can span, raw or escaped (see
	// maxExpand).
	hold   int
	hex    *wideMatcher // the hex forms
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

// newMatcher returns a matcher for pats, where pats[i] is a form of secret
// owner[i], and maxRaw is the length of the longest value (whose escaped
// forms are found by decoding).
func newMatcher(pats []string, owner []int32, hex *wideMatcher, maxRaw int) *matcher {
	m := &matcher{pats: pats, owner: owner, hex: hex}
	if len(pats) == 0 {
		return m
	}
	m.minLen = len(pats[0])
	for _, p := range pats {
		m.minLen = min(m.minLen, len(p))
		m.maxLen = max(m.maxLen, len(p))
	}
	m.hold = max(m.maxLen, hex.maxLen, maxExpand*maxRaw) - 1
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
		out = m.check(b, q, g, out)
	}
	return out
}

// check appends the occurrences that the window g at b[q:] is part of.
func (m *matcher) check(b []byte, q int, g uint32, out []interval) []interval {
	for _, c := range m.grams[g] {
		p := m.pats[c.pat]
		start := q - int(c.off)
		if start < 0 || start+len(p) > len(b) {
			continue
		}
		if string(b[start:start+len(p)]) == p {
			out = append(out, interval{start, start + len(p), m.owner[c.pat]})
		}
	}
	return out
}

// wideMatcher is a matcher keyed by 8-byte windows, for the hex forms of
// values. Hex forms are at least 2*MinMaskLen bytes long, so the longer
// window costs nothing in stride, and it keeps ordinary digits in a log
// (line numbers, timestamps), which match 4-byte windows of hex forms all
// the time, from reaching the exact comparison.
type wideMatcher struct {
	pats   []string
	owner  []int32
	maxLen int
	stride int
	bits   []uint64
	grams  map[uint64][]cand
}

const (
	wideGramLen = 8
	wideHashMul = 0x9E3779B97F4A7C15
)

func wideHash(g uint64) uint64 { return (g * wideHashMul) >> (64 - filterBits) }

// newWideMatcher returns a matcher for pats (each at least 2*MinMaskLen
// bytes), where pats[i] is a form of secret owner[i].
func newWideMatcher(pats []string, owner []int32) *wideMatcher {
	w := &wideMatcher{pats: pats, owner: owner}
	if len(pats) == 0 {
		return w
	}
	minLen := len(pats[0])
	for _, p := range pats {
		minLen = min(minLen, len(p))
		w.maxLen = max(w.maxLen, len(p))
	}
	w.stride = minLen - wideGramLen + 1
	w.bits = make([]uint64, 1<<filterBits/64)
	w.grams = map[uint64][]cand{}
	for i, p := range pats {
		for off := 0; off+wideGramLen <= len(p); off++ {
			g := binary.LittleEndian.Uint64([]byte(p[off : off+wideGramLen]))
			h := wideHash(g)
			w.bits[h>>6] |= 1 << (h & 63)
			w.grams[g] = append(w.grams[g], cand{pat: int32(i), off: int32(off)})
		}
	}
	return w
}

// find appends the intervals of every occurrence in b to out.
func (w *wideMatcher) find(b []byte, out []interval) []interval {
	if len(w.pats) == 0 {
		return out
	}
	bits := w.bits
	for q := 0; q+wideGramLen <= len(b); q += w.stride {
		g := binary.LittleEndian.Uint64(b[q:])
		h := wideHash(g)
		if bits[h>>6]&(1<<(h&63)) == 0 {
			continue
		}
		out = w.check(b, q, g, out)
	}
	return out
}

// check appends the occurrences that the window g at b[q:] is part of.
func (w *wideMatcher) check(b []byte, q int, g uint64, out []interval) []interval {
	for _, c := range w.grams[g] {
		p := w.pats[c.pat]
		start := q - int(c.off)
		if start >= 0 && start+len(p) <= len(b) && string(b[start:start+len(p)]) == p {
			out = append(out, interval{start, start + len(p), w.owner[c.pat]})
		}
	}
	return out
}
