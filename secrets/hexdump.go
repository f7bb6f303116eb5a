package secrets

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"fmt"
	"slices"
)

// Hex dumps. hexdump -C, od -tx1, xxd -g1 and Go's hex.Dump write bytes as
// hex with a space between bytes, broken into lines of 16, each perhaps
// preceded by its offset and followed by its bytes as ASCII (hexdump -C
// and hex.Dump also write two spaces in the middle of a line). No spelling
// of a value is whole in such a dump, and reading every line of a log as
// one would cost more than all the matching does.
//
// So, as for wrapped base64 (see wrapPatterns), the matcher finds blocks
// of a value's hex as such dumps spell it inside a line, which serve only
// as triggers: around one, the writer reads the lines as a dump (dumpLine),
// joins the bytes they show and searches those for the value. What it
// finds is masked from the value's first hex digit to its last byte's
// character in the ASCII column, so that neither column shows any of it.
// Text that merely looks like a dump is read as bytes too, but only the
// value's own bytes, in order and all of them, mask anything.
//
// Each 4-byte window of a block holds a space, so the digits of ordinary
// text (line numbers, timestamps) do not reach the exact comparison, as
// the 4-digit windows of the hex of printable text would. That is why xxd's
// default dump, which writes the bytes in pairs (4142 4344), is not read:
// the windows of its blocks are all digits as often, and in the wide
// matcher, whose windows of them all hold a space, blocks short enough to
// be whole in a dump line would halve its stride (the writer was 14-29%
// slower on plain logs, measured). xxd -p, which writes no spaces and 30 bytes a line, is
// matched as it is instead (see xxdPlain).
const (
	// maxDumpLine bounds the length of a dump line at the default width
	// (hexdump -C's, the longest, is 79 bytes with its LF).
	maxDumpLine = 80
	// maxReadLine bounds how much of a line is read as a dump: up to 64
	// bytes a line, wider than the default.
	maxReadLine = 4 * maxDumpLine
	// dumpBytes is how many bytes a dump line shows at the default width.
	dumpBytes = 16
	// dumpRun is the fewest bytes a dump line holds without two spaces
	// between them: hexdump -C writes two in the middle.
	dumpRun = dumpBytes / 2
	// minDumpBlock is the fewest bytes of a value in a block: 32 bits,
	// so that text holds one by chance too rarely to cost anything.
	minDumpBlock = 4
)

// spacedHex returns b in lower-case hex with a space between bytes.
func spacedHex(b string) string { return fmt.Sprintf("% x", b) }

// dumpBlocks returns the blocks of f spelled as dumps spell it inside a
// line, at least one of which is whole in any dump of f.
//
// A value of 2*dumpBytes-1 bytes or more holds a whole dump line wherever
// it starts: its blocks are the lines it can hold, spelled with one space
// between bytes and with two in the middle, all as long as the longest
// blocks wrapPatterns makes (or one byte shorter), so that they leave the
// matcher's stride as it is.
//
// A shorter one, broken into runs of dumpRun bytes, has one of at least
// g = min(dumpRun, ⌈len(f)/2⌉) bytes wherever it starts, so blocks of
// b <= g bytes every g-b+1 bytes, and one at the end, put one inside it.
// Such a block is as short as it can be but no shorter than minLen bytes
// spelled (the shortest pattern, which sets the stride) nor than
// minDumpBlock bytes. (It is shorter than minLen only if the shortest value
// registered is longer than 3*dumpRun-1 bytes and this one is shorter than
// 2*dumpBytes-1.)
func dumpBlocks(f string, minLen int) []string {
	n := len(f)
	var out []string
	if n >= 2*dumpBytes-1 {
		for p := 0; p+dumpBytes <= n; p++ {
			half := p + dumpBytes/2
			out = append(out, spacedHex(f[p:p+dumpBytes]), spacedHex(f[p:half])+"  "+spacedHex(f[half:p+dumpBytes]))
		}
		return out
	}
	g := min(dumpRun, (n+1)/2)
	b := minDumpBlock
	for b < g && 3*b-1 < minLen {
		b++
	}
	for p := 0; ; p += g - b + 1 {
		p = min(p, n-b)
		out = append(out, spacedHex(f[p:p+b]))
		if p == n-b {
			return out
		}
	}
}

// dumpTriggers appends to pats and owner the blocks of forms, each owned
// by a trigger of its form's secret, but those that are already patterns.
func dumpTriggers(forms map[string]int32, pats []string, owner []int32) ([]string, []int32) {
	minLen := maxWrapBlock
	seen := make(map[string]bool, len(pats))
	for _, p := range pats {
		minLen = min(minLen, len(p))
		seen[p] = true
	}
	for f, sec := range forms {
		for _, p := range dumpBlocks(f, minLen) {
			if !seen[p] {
				seen[p] = true
				pats, owner = append(pats, p), append(owner, trigger(sec))
			}
		}
	}
	return pats, owner
}

// xxdPlainWidth is how many bytes xxd -p writes a line.
const xxdPlainWidth = 30

// xxdPlain returns the spellings of f's hex as xxd -p writes it, broken by
// an LF every xxdPlainWidth bytes, at each offset that puts a break inside
// it (before byte k of f, and every xxdPlainWidth bytes after). They are
// patterns of the wide matcher, as the hex of f is: no shorter than it,
// they leave its stride as it is, where blocks short enough to be whole in
// a line would halve it.
func xxdPlain(f string) []string {
	h := hex.EncodeToString([]byte(f))
	var out []string
	for k := 1; k <= min(xxdPlainWidth, len(f)-1); k++ {
		var b []byte
		for j := range len(f) {
			if j >= k && (j-k)%xxdPlainWidth == 0 {
				b = append(b, '\n')
			}
			b = append(b, h[2*j:2*j+2]...)
		}
		out = append(out, string(b))
	}
	return out
}

// dumpHold is the least hold-back that keeps a dump of a value of n bytes
// in the writer's buffer from the start of its first line to the end of its
// last, so that it is read the same way however the stream is cut into
// writes: the lines it can be on.
func dumpHold(n int) int { return maxDumpLine * ((n + 2*dumpBytes - 2) / dumpBytes) }

// findDumps appends the occurrences in b of values in hex dumps, found by
// reading the lines around the triggers among ivs as a dump; what is found
// is kept if it holds a trigger, as in findWrapped.
func (rw *RedactWriter) findDumps(m *matcher, b []byte, ivs []interval) []interval {
	trig := rw.trig[:0]
	for _, iv := range ivs {
		if iv.sec < 0 {
			trig = append(trig, iv)
		}
	}
	rw.trig = trig
	if len(trig) == 0 {
		return ivs
	}
	slices.SortFunc(trig, func(a, b interval) int { return cmp.Compare(a.start, b.start) })
	for i := 0; i < len(trig); {
		lo, hi := lineStart(b, max(trig[i].start-m.hold, 0)), min(trig[i].end+m.hold, len(b))
		j := i + 1
		for ; j < len(trig) && trig[j].start-m.hold <= hi; j++ {
			hi = max(hi, min(trig[j].end+m.hold, len(b)))
		}
		rw.dec.reset()
		for x := lo; x < hi; {
			next, ok := dumpLine(&rw.dec, b, x, lo)
			if !ok {
				ivs = rw.searchDump(m, ivs, lo, trig)
			}
			x = next
		}
		ivs = rw.searchDump(m, ivs, lo, trig)
		i = j
	}
	return ivs
}

// searchDump appends what it finds in the bytes of the dump lines read
// into rw.dec, from the region at base, and empties rw.dec.
func (rw *RedactWriter) searchDump(m *matcher, ivs []interval, base int, trig []interval) []interval {
	k := len(ivs)
	ivs = keepTriggered(rw.dec.mapBack(m.find(rw.dec.b, ivs), k, base), k, trig)
	rw.dec.reset()
	return ivs
}

// lineStart returns the start of the line b[i] is on, or i if that is more
// than a dump line back.
func lineStart(b []byte, i int) int {
	lo := max(i-maxDumpLine, 0)
	if k := bytes.LastIndexByte(b[lo:i], '\n'); k >= 0 {
		return lo + k + 1
	}
	if lo == 0 {
		return 0
	}
	return i
}

// dumpLine appends to d the bytes that the line starting at b[i] shows as a
// dump, each mapped (relative to base) from its hex digits to, if the line
// has an ASCII column, its character there. It returns the start of the
// next line, and whether this one was a dump line to its end (a line that
// is not cannot be inside a dump: the bytes before it and after it are not
// joined).
//
// A line is read as perhaps an offset (hex digits and ':' as xxd writes
// it, or six to eight hex digits before a byte), then bytes as two hex
// digits each, one or more spaces apart, then perhaps the line's bytes as
// ASCII (bytes outside ' '..'~' as '.'), two or more spaces after them,
// plain (xxd -g1) or between '|' (hexdump -C, hex.Dump) or '>' and '<'
// (od -z), or plain one space after them (curl --trace, see tightColumn).
func dumpLine(d *decoded, b []byte, i, base int) (int, bool) {
	// A line longer than any dump's is read only as far as that goes, so
	// that reading around a trigger costs no more than the lines near it.
	end := min(len(b), i+maxReadLine)
	next := end
	if k := bytes.IndexByte(b[i:end], '\n'); k >= 0 {
		end, next = i+k, i+k+1
	}
	if end > i && b[end-1] == '\r' {
		end--
	}
	k0 := len(d.b)
	p := dumpOffset(b, i, end)
	for first := true; ; first = false {
		sp := p
		for p < end && b[p] == ' ' {
			p++
		}
		if p == end {
			return next, len(d.b) > k0
		}
		if p-sp >= 2 && len(d.b) > k0 {
			if c := asciiColumn(b[:end], sp, d.b[k0:]); c >= 0 {
				for j := k0; j < len(d.b); j++ {
					d.to[j] = int32(c + j - k0 + 1 - base)
				}
				return next, true
			}
		}
		if hexDigits(b[:end], p) != 2 || p == sp && !first {
			return next, tightColumn(d, b[:end], k0, base)
		}
		d.add(unhex(b[p])<<4|unhex(b[p+1]), p-base, p+2-base)
		p += 2
	}
}

// tightColumn reports whether the dump line that ends where b does, whose
// bytes read so far are d.b[k0:], ends in an ASCII column of its first n
// of them one space or more after the n-th byte's digits, as curl --trace
// writes its lines (each byte as two digits and a space, then the
// column); if so it keeps only those n bytes in d, each mapped to its
// character there. The column may start with what reads as a byte ("ab").
func tightColumn(d *decoded, b []byte, k0, base int) bool {
	for n := len(d.b) - k0; n > 0; n-- {
		digits, c := int(d.to[k0+n-1])+base, len(b)-n
		if c <= digits || len(bytes.TrimLeft(b[digits:c], " ")) > 0 || !shownAs(d.b[k0:k0+n], b[c:]) {
			continue
		}
		d.b, d.from, d.to = d.b[:k0+n], d.from[:k0+n], d.to[:k0+n]
		for j := range n {
			d.to[k0+j] = int32(c + j + 1 - base)
		}
		return true
	}
	return false
}

// dumpOffset returns where the bytes of the dump line b[i:end] start:
// after its offset, if it has one.
func dumpOffset(b []byte, i, end int) int {
	n := hexDigits(b[:end], i)
	if n > 0 && i+n < end && b[i+n] == ':' {
		return i + n + 1 // xxd
	}
	if n < 6 || n > 8 || i+n == end || b[i+n] != ' ' {
		return i
	}
	p := i + n
	for p < end && b[p] == ' ' {
		p++
	}
	if hexDigits(b[:end], p) == 2 {
		return i + n // hexdump -C, hex.Dump, od
	}
	return i
}

// hexDigits returns how many hex digits b holds from b[p] on.
func hexDigits(b []byte, p int) int {
	n := 0
	for p+n < len(b) && isHex(b[p+n]) {
		n++
	}
	return n
}

// asciiColumn returns where the ASCII column of a dump line's bytes data
// starts in b (which ends where the line does), if b ends with one, at
// least two spaces after b[sp]; or -1.
func asciiColumn(b []byte, sp int, data []byte) int {
	for _, delim := range []string{"", "||", "><"} {
		c := len(b) - len(data) - len(delim)
		if c < sp+2 || len(bytes.TrimLeft(b[sp:c], " ")) > 0 {
			continue
		}
		col := b[c:]
		if delim != "" {
			if col[0] != delim[0] || col[len(col)-1] != delim[1] {
				continue
			}
			col, c = col[1:len(col)-1], c+1
		}
		if shownAs(data, col) {
			return c
		}
	}
	return -1
}

// shownAs reports whether col is data as dumps show bytes as ASCII.
func shownAs(data, col []byte) bool {
	for j, c := range data {
		if c < ' ' || c > '~' {
			c = '.'
		}
		if col[j] != c {
			return false
		}
	}
	return true
}
