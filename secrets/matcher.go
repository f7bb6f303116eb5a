package secrets

import (
	"encoding/binary"
	"slices"
	"sort"
	"strings"
)

// matcher finds every occurrence of a set of patterns, each at least
// MinMaskLen (>= gramLen+1) bytes long, in one pass.
//
// Any occurrence of a pattern of length >= minLen covers minLen-gramLen+1
// consecutive 4-byte windows, so sampling one window every stride =
// minLen-gramLen+1 bytes lands inside every occurrence at least once. Each
// sampled window is looked up in a bitset of the hashed windows of all
// patterns; only on a hit is it looked up in a second, smaller bitset under
// another hash, and only on a hit there are the (pattern, offset)
// candidates for that exact window compared. The cost per input byte is
// about one load, multiply and bit test per stride bytes.
//
// Only the windows that start in a pattern's first stride bytes are
// entered in the bitsets and the map: the first sample at or after the
// start of an occurrence starts less than stride bytes into it (and ends
// inside it, as the pattern is at least minLen long), and the exact
// comparison of that one window finds the occurrence. Entering the others
// too would only fill the bitsets, so that more samples of ordinary text
// pass them: a pattern costs them stride windows however long it is, which
// is what makes the long encodings (UTF-16, base32, base64 of UTF-16,
// separated hex) cheap to add.
type matcher struct {
	pats  []string
	owner []int32 // pats[i] is a form of secret owner[i]
	names []string
	repl  [][]byte // by secret: what replaces it
	// hold is how many bytes a writer holds back: one less than the longest
	// stretch of stream an occurrence can span, raw or escaped (see
	// maxExpand), or in a hex dump with the lines it is on (see dumpHold).
	hold int
	// reach is how far around an escape or a line break an occurrence
	// can reach: the hold-back but for the lines of hex dumps, which only
	// findDumps reads, so that the regions decoded around every escape do
	// not grow with them.
	reach  int
	hex    *wideMatcher // the hex and decimal forms (see byteForms)
	minLen int
	maxLen int
	stride int
	bits   *filter
	bits2  *filter2
	grams  map[uint32][]cand
	// used marks the bytes that occur in pats: an escape next to a byte
	// that does not cannot be inside an occurrence (see findSpliced).
	used [256]bool
	// nonASCII reports whether pats hold a byte outside ASCII: only then
	// can an invisible character after such a byte be inside an
	// occurrence (see nextInvisible).
	nonASCII bool
	// escaped reports whether pats hold a character that HTML and XML
	// escapers write as a reference: &<>"' or a non-ASCII one.
	escaped bool
	// sorted is the patterns of secrets (not triggers), sorted, for
	// startsForm.
	sorted []string
}

// startsForm reports whether b is the start of a pattern of a secret.
func (m *matcher) startsForm(b []byte) bool {
	i := sort.Search(len(m.sorted), func(j int) bool { return m.sorted[j] >= string(b) })
	return i < len(m.sorted) && strings.HasPrefix(m.sorted[i], string(b))
}

type cand struct{ pat, off int32 }

// filter is a bitset of hashed windows, indexed by a filterBits-bit hash.
type filter [1 << filterBits / 64]uint64

// filter2 is the second bitset. About one sampled window in a hundred hits
// the first by chance (a hundred secrets' patterns set about 1% of its
// bits), and looking it up in the map of windows costs as much as some fifty
// samples (a map access that misses the cache: it was a tenth of the
// writer's time); the second bitset, small enough to stay in L1, turns away
// all but about one in ten of those.
type filter2 [1 << filter2Bits / 64]uint64

const (
	gramLen     = 4
	filterBits  = 20 // 128 KiB bitset
	filter2Bits = 17 // 16 KiB
	hashMul     = 0x9E3779B1
	hashMul2    = 0x85EBCA6B
)

func gramHash(g uint32) uint32  { return (g * hashMul) >> (32 - filterBits) }
func gramHash2(g uint32) uint32 { return (g * hashMul2) >> (32 - filter2Bits) }

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
	for i, p := range pats {
		if owner[i] >= 0 {
			m.sorted = append(m.sorted, p)
		}
	}
	slices.Sort(m.sorted)
	m.bits, m.bits2 = new(filter), new(filter2)
	m.grams = map[uint32][]cand{}
	for i, p := range pats {
		for j := range len(p) {
			m.used[p[j]] = true
			m.nonASCII = m.nonASCII || p[j] >= 0x80
			m.escaped = m.escaped || p[j] >= 0x80 || strings.IndexByte(`&<>"'`, p[j]) >= 0
		}
		for off := 0; off < m.stride; off++ { // see matcher
			g := binary.LittleEndian.Uint32([]byte(p[off : off+gramLen]))
			h, h2 := gramHash(g), gramHash2(g)
			m.bits[h>>6] |= 1 << (h & 63)
			m.bits2[h2>>6] |= 1 << (h2 & 63)
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
	bits, stride := m.bits[:], m.stride
	// This loop is most of the redactor's time. Written this way (the
	// bound as len(b)-gramLen, the window assembled from single bytes, the
	// bitset sliced from a fixed-size array) the compiler proves all but
	// one index in range and drops their bounds checks, and the window
	// still compiles to one 32-bit load.
	for q := 0; q <= len(b)-gramLen; q += stride {
		g := uint32(b[q]) | uint32(b[q+1])<<8 | uint32(b[q+2])<<16 | uint32(b[q+3])<<24
		if h := gramHash(g); bits[h>>6]&(1<<(h&63)) != 0 {
			out = m.check(b, q, g, out)
		}
	}
	return out
}

// check appends the occurrences that the window g at b[q:] is part of.
func (m *matcher) check(b []byte, q int, g uint32, out []interval) []interval {
	if h := gramHash2(g); m.bits2[h>>6]&(1<<(h&63)) == 0 {
		return out
	}
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

// wideMatcher is a matcher for the hex and decimal forms of values, keyed
// by 6-byte windows. Those forms are at least 2*MinMaskLen bytes long (hex
// always is; a decimal form shorter than that, of a value whose bytes are
// mostly below 10, is not matched), so it can sample a longer window than
// matcher at about twice its stride, and the longer window keeps the
// digits of ordinary log text (line numbers, timestamps) from reaching the
// exact comparison: the hex of printable text is all digits often enough
// that they would match its 4-byte windows all the time. Six bytes rather
// than eight lengthen the stride, and so cut the samples, by a fifth for
// the shortest values.
type wideMatcher struct {
	pats   []string
	owner  []int32
	maxLen int
	stride int
	bits   *filter
	bits2  *filter2
	grams  map[uint64][]cand
}

const (
	wideGramLen  = 6
	wideHashMul  = 0x9E3779B97F4A7C15
	wideHashMul2 = 0xC2B2AE3D27D4EB4F
)

func wideHash(g uint64) uint64  { return (g * wideHashMul) >> (64 - filterBits) }
func wideHash2(g uint64) uint64 { return (g * wideHashMul2) >> (64 - filter2Bits) }

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
	w.bits, w.bits2 = new(filter), new(filter2)
	w.grams = map[uint64][]cand{}
	for i, p := range pats {
		first := unbroken(p, w.stride+wideGramLen-1)
		for off := first; off < first+w.stride; off++ { // see matcher
			var win [8]byte
			copy(win[:], p[off:off+wideGramLen])
			g := binary.LittleEndian.Uint64(win[:])
			h, h2 := wideHash(g), wideHash2(g)
			w.bits[h>>6] |= 1 << (h & 63)
			w.bits2[h2>>6] |= 1 << (h2 & 63)
			w.grams[g] = append(w.grams[g], cand{pat: int32(i), off: int32(off)})
		}
	}
	return w
}

// unbroken returns the start of the first n bytes of p that hold no line
// break, or 0 if there are none. The wide matcher enters the windows that
// start in them: any stride bytes of an occurrence hold a sampled window's
// start, not only its first (see matcher), and windows that span the line
// breaks of xxd -p's hex (see xxdPlain) would be many, each spelling of a
// value breaking it at another place, where those inside a line are the
// hex's own.
func unbroken(p string, n int) int {
	first := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '\n' {
			first = i + 1
		} else if i+1-first >= n {
			return first
		}
	}
	return 0
}

// find appends the intervals of every occurrence in b to out.
func (w *wideMatcher) find(b []byte, out []interval) []interval {
	if len(w.pats) == 0 {
		return out
	}
	bits, stride := w.bits[:], w.stride
	// Written for bounds-check elimination, as in matcher.find. The
	// window is read as the top six bytes of the 8-byte word at p, in one
	// load: the windows sampled start at 2, 2+stride, …, which still land
	// in every occurrence (each is longer than 2+wideGramLen bytes).
	for p := 0; p <= len(b)-8; p += stride {
		g := (uint64(b[p]) | uint64(b[p+1])<<8 | uint64(b[p+2])<<16 | uint64(b[p+3])<<24 |
			uint64(b[p+4])<<32 | uint64(b[p+5])<<40 | uint64(b[p+6])<<48 | uint64(b[p+7])<<56) >> 16
		if h := wideHash(g); bits[h>>6]&(1<<(h&63)) != 0 {
			out = w.check(b, p+2, g, out)
		}
	}
	return out
}

// check appends the occurrences that the window g at b[q:] is part of.
func (w *wideMatcher) check(b []byte, q int, g uint64, out []interval) []interval {
	if h := wideHash2(g); w.bits2[h>>6]&(1<<(h&63)) == 0 {
		return out
	}
	for _, c := range w.grams[g] {
		p := w.pats[c.pat]
		start := q - int(c.off)
		if start >= 0 && start+len(p) <= len(b) && string(b[start:start+len(p)]) == p {
			out = append(out, interval{start, start + len(p), w.owner[c.pat]})
		}
	}
	return out
}
